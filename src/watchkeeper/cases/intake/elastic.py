"""An Elastic Security alert document (``kibana.alert.*``) → `AlertIn`.

Field names follow Elastic's "Alert schema" page: ``kibana.alert.uuid``,
``kibana.alert.rule.name`` / ``uuid`` / ``rule_id`` / ``description``,
``kibana.alert.severity`` (low, medium, high, critical), ``kibana.alert.risk_score``,
``kibana.alert.workflow_status`` (open, acknowledged, closed), ``kibana.alert.reason``,
``kibana.alert.original_time`` (the source event's time), ``@timestamp``, and the ECS
fields copied from the source event (``user.name``, ``host.name``, ``source.ip`` …).
Fields may be stored flat (``"kibana.alert.uuid": …``, as in ``_source``) or nested.
A search response (``{"hits": {"hits": [{"_id", "_source"}, …]}}``) is a batch.
"""

from __future__ import annotations

from watchkeeper.cases.intake.node import (
    Node,
    extras,
    node_texts,
    observables,
    people,
    unique,
)
from watchkeeper.cases.model import AlertIn, Severity

_STATUS = {"open": "new", "acknowledged": "in_progress", "closed": "resolved"}
_OBSERVED = (("ip", "source.ip"), ("ip", "destination.ip"), ("ip", "host.ip"),
             ("domain", "url.domain"), ("url", "url.full"), ("file_name", "file.name"),
             ("file_hash", "file.hash.sha256"), ("process_name", "process.name"),
             ("email", "user.email"))


def looks_like(doc: object) -> bool:
    if not isinstance(doc, dict):
        return False
    if isinstance(doc.get("_source"), dict):
        return looks_like(doc["_source"])
    kibana = doc.get("kibana")
    return any(isinstance(k, str) and k.startswith("kibana.alert.") for k in doc) or (
        isinstance(kibana, dict) and isinstance(kibana.get("alert"), dict))


def is_list(doc: object) -> bool:
    """An Elasticsearch search response whose hits are alert documents."""
    hits = doc.get("hits") if isinstance(doc, dict) else None
    inner = hits.get("hits") if isinstance(hits, dict) else None
    return isinstance(inner, list) and all(looks_like(h) for h in inner)


def parse(node: Node, raw: str) -> AlertIn:
    node.obj()
    doc = node.at("_source").obj() if node.at("_source").value is not None else node
    alert = "kibana.alert."
    ref = doc.flat(alert + "uuid").text() or node.at("_id").text()
    if ref is None:
        raise doc.flat(alert + "uuid").fail("missing")
    rule = doc.flat(alert + "rule.name").text()
    title = rule or doc.flat(alert + "reason").text()
    if title is None:
        raise doc.flat(alert + "rule.name").fail("missing")
    original = doc.flat(alert + "original_time").time()
    stamp = doc.flat("@timestamp").time()
    when = original or stamp
    if when is None:
        raise doc.flat("@timestamp").fail("missing")
    workflow = (doc.flat(alert + "workflow_status").text() or "open").lower()
    return AlertIn(
        source="elastic", source_ref=ref, title=title, severity=_severity(doc),
        event_time=when, raw=raw, status=_STATUS.get(workflow, "other"),
        rule=rule, rule_id=doc.flat(alert + "rule.rule_id").text()
        or doc.flat(alert + "rule.uuid").text(),
        description=doc.flat(alert + "reason").text()
        or doc.flat(alert + "rule.description").text(),
        subjects=people(_texts(doc, "user.name", "user.target.name")),
        hosts=unique(_texts(doc, "host.name", "host.hostname")),
        observables=observables((t, v) for t, f in _OBSERVED for v in _texts(doc, f)),
        first_seen=doc.flat(alert + "suppression.start").time() or original,
        last_seen=doc.flat(alert + "suppression.end").time(),
        region=doc.flat("cloud.region").text(),
        extra=extras(risk_score=doc.flat(alert + "risk_score").text(),
                     rule_type=doc.flat(alert + "rule.type").text(),
                     url=doc.flat(alert + "url").text(),
                     tags=[t.text() for t in doc.flat(alert + "workflow_tags").values()]))


def _texts(doc: Node, *fields: str) -> list[str]:
    """Values of ECS fields, each a value or an array of values."""
    return list(node_texts(v for f in fields for v in doc.flat(f).values()))


def _severity(doc: Node) -> Severity:
    name = doc.flat("kibana.alert.severity").text()
    if name is not None:
        return Severity.from_name(name)
    score = doc.flat("kibana.alert.risk_score")
    if not isinstance(score.value, int | float) or isinstance(score.value, bool):
        return Severity.UNKNOWN
    # Elastic's default risk score ranges: 0-21 low, 22-47 medium, 48-73 high, 74-100 critical
    for bound, severity in ((22, Severity.LOW), (48, Severity.MEDIUM), (74, Severity.HIGH)):
        if score.value < bound:
            return severity
    return Severity.CRITICAL
