"""OCSF Detection Finding (2004) and Data Security Finding (2006) → `AlertIn`.

Attribute names follow the OCSF schema (schema.ocsf.io, ``events/findings/*.json``):
``finding_info`` (required: ``uid``, ``title``), ``severity_id`` 0-6 (99: ``severity``
names it), ``status_id`` 1 New … 6 Deleted (99: ``status``), ``time`` (epoch ms),
``evidences``, ``observables``, and for 2006 ``actor``, ``device``, ``src_endpoint``,
``dst_endpoint``, ``database``, ``databucket``, ``table``, ``file``, ``data_security``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from watchkeeper.cases.intake.node import (
    Node,
    extras,
    node_texts,
    observables,
    people,
    status_word,
    unique,
)
from watchkeeper.cases.model import AlertIn, Observable, Severity

CLASSES = (2004, 2006)
_STATUS = {0: "unknown", 1: "new", 2: "in_progress", 3: "suppressed", 4: "resolved",
           5: "archived", 6: "deleted", 99: "other"}
_OBSERVABLE = {1: "hostname", 2: "ip", 3: "mac", 4: "user", 5: "email", 6: "url",
               7: "file_name", 8: "file_hash", 9: "process_name"}


def looks_like(doc: object) -> bool:
    return isinstance(doc, dict) and "class_uid" in doc and (
        "finding_info" in doc or doc.get("category_uid") == 2)


def parse(node: Node, raw: str) -> AlertIn:
    node.obj()
    class_uid = node.at("class_uid").integer(CLASSES, "2004 or 2006")
    info = node.at("finding_info").obj()
    uid = info.at("uid").text(required=True) or ""
    title = info.at("title").text() or node.at("message").text()
    if title is None:
        raise info.at("title").fail("missing")
    time = _time(node)
    first = info.at("first_seen_time").time() or node.at("start_time").time()
    last = info.at("last_seen_time").time() or node.at("end_time").time()
    analytic = info.at("analytic").obj()
    return AlertIn(
        source="ocsf", source_ref=uid, title=title, severity=_severity(node),
        event_time=first or time, raw=raw, class_uid=class_uid or 2004,
        status=_status(node), rule=analytic.at("name").text(),
        rule_id=analytic.at("uid").text(),
        description=info.at("desc").text() or node.at("message").text(),
        subjects=people(node_texts(_users(node))), hosts=unique(node_texts(_hosts(node))),
        observables=_observables(node), first_seen=first, last_seen=last,
        region=node.at("cloud", "region").text() or node.at("device", "region").text(),
        extra=_extra(node, info))


def _time(node: Node) -> datetime:
    time = node.at("time").time() or node.at("time_dt").time()
    if time is None:
        raise node.at("time").fail("missing")
    return time


def _severity(node: Node) -> Severity:
    sid = node.at("severity_id").integer([*range(7), 99], "0-6 or 99")
    if sid is None or sid == 99:
        return Severity.from_name(node.at("severity").text() or "")
    return Severity(sid)


def _status(node: Node) -> str:
    sid = node.at("status_id").integer(_STATUS, "0-6 or 99")
    if sid is None:
        return status_word(node.at("status").text())
    return _STATUS[sid]


def _parties(node: Node) -> Iterator[Node]:
    """The finding itself and each of its evidences: where actors and devices sit."""
    yield node
    yield from node.at("evidences").items()


def _users(node: Node) -> Iterator[Node]:
    for part in _parties(node):
        for user in (part.at("actor", "user"), part.at("user")):
            user.obj()
            yield user.at("name") if not user.at("name").missing else user.at("uid")


def _hosts(node: Node) -> Iterator[Node]:
    for part in _parties(node):
        for device in (part.at("device"), part.at("src_endpoint"), part.at("dst_endpoint")):
            device.obj()
            yield device.at("hostname") if not device.at("hostname").missing else \
                device.at("name")


def _observables(node: Node) -> tuple[Observable, ...]:
    pairs: list[tuple[str, str | None]] = []
    for item in node.at("observables").items():
        item.obj()
        type_id = item.at("type_id").value
        caption = item.at("type").text() or "other"
        kind = _OBSERVABLE.get(type_id) if isinstance(type_id, int) else None
        pairs.append((kind or "_".join(caption.lower().split()), item.at("value").text()))
    for part in _parties(node):
        for end in ("device", "src_endpoint", "dst_endpoint"):
            pairs.append(("ip", part.at(end, "ip").text()))
        pairs.append(("file_name", part.at("file", "name").text()))
    return observables(pairs)


def _extra(node: Node, info: Node) -> tuple[tuple[str, str], ...]:
    security = node.at("data_security").obj()
    return extras(
        product=node.at("metadata", "product", "name").text(),
        vendor=node.at("metadata", "product", "vendor_name").text(),
        activity=node.at("activity_name").text(),
        related_events=list(node_texts(e.at("uid") for e in info.at("related_events").items())),
        policy=security.at("policy", "name").text(),
        data_category=security.at("category").text(),
        database=node.at("database", "name").text(),
        databucket=node.at("databucket", "name").text(),
        table=node.at("table", "name").text(),
        file_path=node.at("file", "path").text())

