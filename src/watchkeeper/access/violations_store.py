"""Violations kept in the lake: rows of the ``finding`` class carrying an OCSF Data
Security Finding (class 2006) in ``raw``, with the ids of the events behind them.

A violation's id is a hash of its kind, person, store, day and events, so running the
checks again over the same events yields the same ids and the lake's dedupe drops them.
Stored as findings with ``vendor`` ``watchkeeper`` and rule ids ``access.<kind>``, they
reach risk scoring as rule signals (`watchkeeper.risk.signals.finding_events`) with no
extra wiring, and the ``tags`` give their risk kinds (``insider.cross-region`` …).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from watchkeeper.schema.events import class_spec

if TYPE_CHECKING:
    from watchkeeper.lake.store import Lake

RULE_PREFIX = "access."
VENDOR = "watchkeeper"
COMMIT_KIND = "access-violations"
OCSF_CLASS = 2006
FINDING_SCHEMA = class_spec("finding").schema

TITLES: Mapping[str, str] = {
    "no_grant": "Data store access with no allowing grant or decision",
    "expired_grant": "Data store access after the grant expired or was revoked",
    "cross_region": "Access to another region's data store without a ticket",
    "volume": "Reads beyond the person's usual volume and their peers'",
    "leaver": "Data store access after the person left",
    "movement": "Data copied from one region's store to another region's",
}
SEVERITY: Mapping[str, str] = {
    "no_grant": "medium", "expired_grant": "medium", "cross_region": "high",
    "volume": "medium", "leaver": "high", "movement": "high"}
_SEVERITY_ID = {"informational": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}
# tags risk scoring maps to its signal kinds (`RiskConfig.tag_kinds`)
RISK_TAGS: Mapping[str, tuple[str, ...]] = {
    "cross_region": ("insider.cross-region",),
    "movement": ("insider.cross-region", "insider.exfiltration"),
    "volume": ("insider.exfiltration",),
}


@dataclass(frozen=True)
class Violation:
    """One stored violation: a kind, a person, a store (or ``src -> dst`` for a
    movement; none for volume), the day, and the events behind it."""

    id: str
    kind: str
    user: str
    dataset: str | None
    day: date
    first_time: datetime
    last_time: datetime
    events: int
    records: int
    severity: str
    title: str
    detail: str
    event_refs: tuple[str, ...]


def violation_id(kind: str, user: str, dataset: str | None, day: date,
                 refs: Sequence[str]) -> str:
    key = "\x1f".join([kind, user, dataset or "", day.isoformat(), *sorted(refs)])
    return "wk:" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def _ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


def ocsf(v: Violation) -> dict[str, Any]:
    """The violation as an OCSF 1.3 Data Security Finding (class 2006, activity Create)."""
    return {
        "class_uid": OCSF_CLASS, "class_name": "Data Security Finding",
        "category_uid": 2, "category_name": "Findings",
        "activity_id": 1, "activity_name": "Create", "type_uid": OCSF_CLASS * 100 + 1,
        "time": _ms(v.last_time), "severity": v.severity.capitalize(),
        "severity_id": _SEVERITY_ID[v.severity],
        "metadata": {"version": "1.3.0", "uid": v.id,
                     "product": {"name": "Watchkeeper", "vendor_name": VENDOR}},
        "finding_info": {"uid": v.id, "title": v.title, "desc": v.detail,
                         "types": [f"{RULE_PREFIX}{v.kind}"],
                         "first_seen_time": _ms(v.first_time),
                         "last_seen_time": _ms(v.last_time),
                         "related_events": [{"uid": ref} for ref in v.event_refs]},
        "actor": {"user": {"uid": v.user}},
        "resources": [{"name": v.dataset, "type": "datastore"}] if v.dataset else [],
        "data_security": {"category": v.kind,
                          "policy": {"name": f"{RULE_PREFIX}{v.kind}"}},
        "count": v.events,
        "unmapped": {"records": v.records, "day": v.day.isoformat()},
    }


def from_rows(rows: pa.Table) -> list[Violation]:
    """Violations from `violations.detect` rows."""
    out = []
    for r in rows.to_pylist():
        refs = tuple(r["event_refs"] or ())
        kind = r["kind"]
        out.append(Violation(
            violation_id(kind, r["user"], r["dataset"], r["day"], refs), kind, r["user"],
            r["dataset"], r["day"], r["first_time"], r["last_time"], int(r["events"]),
            int(r["records"] or 0), SEVERITY[kind], TITLES[kind], r["detail"] or "", refs))
    return sorted(out, key=lambda v: (v.day, v.user, v.kind, v.dataset or ""))


def finding_rows(found: Sequence[Violation]) -> pa.Table:
    """Rows of the lake's ``finding`` class, one per violation."""
    out: dict[str, list[object]] = {name: [] for name in FINDING_SCHEMA.names}
    for v in found:
        values: dict[str, object] = {
            "event_id": v.id, "time": v.last_time, "source": VENDOR, "class": "finding",
            "activity": "detect", "user": v.user, "host": None, "region": None,
            "rule_id": f"{RULE_PREFIX}{v.kind}", "title": v.title, "severity": v.severity,
            "tags": ["access.violation", *RISK_TAGS.get(v.kind, ())], "vendor": VENDOR,
            "event_refs": list(v.event_refs), "window_start": v.first_time,
            "raw": json.dumps(ocsf(v), sort_keys=True)}
        for name in FINDING_SCHEMA.names:
            out[name].append(values[name])
    return pa.table(out, schema=FINDING_SCHEMA)


def save(lake: Lake, found: Sequence[Violation], summary: Mapping[str, Any],
         wait: float = 0.0) -> tuple[int, int | None]:
    """Store violations in one commit: (new rows, commit seq; None when all were known)."""
    with lake.transaction(COMMIT_KIND, wait) as txn:
        txn.stage("finding", finding_rows(found), 0)
        result = txn.commit(dict(summary), skip=lambda r: not sum(r.rows.values()))
    stored = result.rows.get("events/finding", 0)
    return stored, result.seq if result.visible else None


def stored(lake: Lake, *, kind: str | None = None, user: str | None = None,
           since: date | None = None, limit: int = 100,
           ident: str | None = None) -> list[Violation]:
    """Stored violations, newest first (``limit`` 0: all; `ident`: only that one)."""
    import ibis

    t = lake.table("finding")
    t = t.filter(t.rule_id.startswith(RULE_PREFIX))
    if ident is not None:
        t = t.filter(t.event_id == ident)
    if kind is not None:
        t = t.filter(t.rule_id == f"{RULE_PREFIX}{kind}")
    if user is not None:
        t = t.filter(t.user == user)
    if since is not None:
        t = t.filter(t.day >= since)
    t = t.order_by([ibis.desc("time"), "event_id"])
    if limit:
        t = t.limit(limit)
    return [_from_finding(r) for r in t.select("raw").to_pyarrow().to_pylist()]


def _from_finding(row: Mapping[str, Any]) -> Violation:
    doc = json.loads(row["raw"])
    info = doc["finding_info"]
    resources = doc.get("resources") or [{}]
    return Violation(
        info["uid"], doc["data_security"]["category"], doc["actor"]["user"]["uid"],
        resources[0].get("name"), date.fromisoformat(doc["unmapped"]["day"]),
        _time(info["first_seen_time"]), _time(info["last_seen_time"]), int(doc["count"]),
        int(doc["unmapped"]["records"]), doc["severity"].lower(), info["title"],
        info.get("desc") or "", tuple(e["uid"] for e in info.get("related_events", ())))


def _time(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


__all__ = ["COMMIT_KIND", "OCSF_CLASS", "RULE_PREFIX", "Violation", "finding_rows",
           "from_rows", "ocsf", "save", "stored"]
