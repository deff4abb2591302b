"""A Microsoft Sentinel incident → `AlertIn`.

Three documented shapes: the incident resource of the REST API (``Incidents - Get``:
``id``, ``name``, ``type`` ``Microsoft.SecurityInsights/incidents``, ``properties`` with
``title``, ``severity``, ``status``, ``classification``, ``firstActivityTimeUtc`` …), the
REST list (``Incidents - List``: ``{"value": [incident, …]}``), and the body a Logic Apps
playbook receives from the "Microsoft Sentinel incident" trigger (``{"object": incident,
"workspaceInfo": …}``, whose ``properties`` also carry ``relatedEntities`` and
``alerts``). Entities have the shape of ``Incidents - List Entities``: ``kind``
(``Account``, ``Host``, ``Ip``, ``Url``, ``FileHash``, ``File``) and ``properties``.

Status: New → new, Active → in_progress, Closed → resolved, or suppressed when the
classification is ``FalsePositive`` or ``BenignPositive`` (OCSF: "reviewed, determined
to be benign or a false positive").
"""

from __future__ import annotations

from collections.abc import Iterator

from watchkeeper.cases.intake.node import Node, extras, observables, people, unique
from watchkeeper.cases.model import AlertIn, Severity

_SUPPRESSED = {"falsepositive", "benignpositive"}
_STATUS = {"new": "new", "active": "in_progress", "closed": "resolved"}


def _is_incident(doc: object) -> bool:
    if not isinstance(doc, dict):
        return False
    kind = doc.get("type")
    props = doc.get("properties")
    return (isinstance(kind, str) and kind.lower() == "microsoft.securityinsights/incidents") \
        or (isinstance(props, dict) and "incidentNumber" in props)


def looks_like(doc: object) -> bool:
    return _is_incident(doc) or (isinstance(doc, dict) and _is_incident(doc.get("object")))


def is_list(doc: object) -> bool:
    """``{"value": [incident, …]}``, the REST API's list of incidents."""
    if not isinstance(doc, dict) or not isinstance(doc.get("value"), list):
        return False
    return all(_is_incident(v) for v in doc["value"])


def parse(node: Node, raw: str) -> AlertIn:
    node.obj()
    incident = node.at("object") if _is_incident(node.at("object").value) else node
    props = incident.at("properties").obj()
    # the incident's name (a GUID) is the same in the REST API and the Logic Apps body,
    # whose ARM ids differ in case ("…/incidents/…" and "…/Incidents/…")
    arm_id = incident.at("id").text()
    ref = incident.at("name").text() or (arm_id.rsplit("/", 1)[-1] if arm_id else None)
    if ref is None:
        raise incident.at("name").fail("missing")
    first = props.at("firstActivityTimeUtc").time()
    created = props.at("createdTimeUtc").time()
    when = first or created
    if when is None:
        raise props.at("firstActivityTimeUtc").fail("missing")
    entities = _entities(props)
    rules = props.at("relatedAnalyticRuleIds").items()
    return AlertIn(
        source="sentinel", source_ref=ref,
        title=props.at("title").text(required=True) or "",
        severity=Severity.from_name(props.at("severity").text() or ""),
        event_time=when, raw=raw, status=_status(props),
        rule=_alert_rule(props), rule_id=rules[0].text() if rules else None,
        description=props.at("description").text(),
        subjects=people(_accounts(entities)), hosts=unique(_hosts(entities)),
        observables=observables(_observed(entities)),
        first_seen=first, last_seen=props.at("lastActivityTimeUtc").time(),
        extra=extras(incident_number=props.at("incidentNumber").text(),
                     classification=props.at("classification").text(),
                     classification_reason=props.at("classificationReason").text(),
                     provider=props.at("providerName").text(),
                     url=props.at("incidentUrl").text(), arm_id=arm_id,
                     tactics=[t.text() for t in props.at("additionalData", "tactics").values()]))


def _status(props: Node) -> str:
    status = (props.at("status").text() or "new").lower()
    classification = (props.at("classification").text() or "").lower()
    if status == "closed" and classification in _SUPPRESSED:
        return "suppressed"
    return _STATUS.get(status, "other")


def _alert_rule(props: Node) -> str | None:
    for alert in props.at("alerts").items():
        name = alert.at("properties", "alertDisplayName").text()
        if name is not None:
            return name
    return None


def _entities(props: Node) -> list[tuple[str, Node]]:
    out = []
    for entity in props.at("relatedEntities").items():
        entity.obj()
        kind = (entity.at("kind").text() or "").lower()
        out.append((kind, entity.at("properties").obj()))
    return out


def _accounts(entities: list[tuple[str, Node]]) -> Iterator[str | None]:
    for kind, p in entities:
        if kind == "account":
            yield p.at("accountName").text() or p.at("userPrincipalName").text() or \
                p.at("friendlyName").text()


def _hosts(entities: list[tuple[str, Node]]) -> Iterator[str | None]:
    for kind, p in entities:
        if kind == "host":
            yield p.at("hostName").text() or p.at("friendlyName").text()


def _observed(entities: list[tuple[str, Node]]) -> Iterator[tuple[str, str | None]]:
    fields = {"ip": ("ip", "address"), "url": ("url", "url"),
              "filehash": ("file_hash", "hashValue"), "file": ("file_name", "fileName"),
              "dnsresolution": ("domain", "domainName"), "mailbox": ("email",
                                                                      "mailboxPrimaryAddress")}
    for kind, p in entities:
        if kind in fields:
            name, key = fields[kind]
            yield name, p.at(key).text()
