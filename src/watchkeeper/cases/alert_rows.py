"""An incoming alert as the rows the intake writes: its column values and child rows,
checked against the columns' limits (an over-long identifier names ``alerts[i].field``
and writes nothing), copied onto a stored row, and a stored row's content as JSON
values for comparing two versions (`cases.alerts` stores them)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from watchkeeper.cases.model import AlertIn
from watchkeeper.errors import IntakeError
from watchkeeper.store.models import Alert, AlertFinding, AlertHost, AlertObservable, AlertSubject

T = TypeVar("T")
# column limits of store/models/alerts.py. A longer identifier (the key, a person, a
# host, a finding id) names its field and writes nothing; a longer rule name or id (a
# Sentinel rule id is an Azure resource path, 219 characters and up: stored whole) keeps
# its end, where the distinguishing part is, and an observable its start (the raw
# payload has them whole)
LIMITS = {"source": 200, "source_ref": 500, "status": 32, "region": 100}
SHORTENED = {"rule": 500, "rule_id": 500}
ELLIPSIS = "\u2026"
CHILD_LIMITS = {"subjects": 200, "hosts": 255, "finding_ids": 100}
OBSERVABLE_LIMITS = (64, 1000)


def columns(alert: AlertIn, index: int, *, new: bool = False) -> dict[str, Any]:
    """The alert's column values (`new`: with its key), checked against the column
    limits: a value too long or a time without a zone names ``alerts[i].field``."""
    row: dict[str, Any] = {}
    if new:
        row.update(source=_limited(alert.source, "source", index),
                   source_ref=_limited(alert.source_ref, "source_ref", index))
    for name in ("class_uid", "title", "description", "event_time", "first_seen",
                 "last_seen", "raw"):
        value = getattr(alert, name)
        if isinstance(value, datetime) and value.tzinfo is None:
            raise IntakeError(f"alerts[{index}].{name}", "time without a time zone")
        row[name] = value
    for name in ("status", "region"):
        row[name] = _limited(getattr(alert, name), name, index)
    for name, most in SHORTENED.items():
        value = getattr(alert, name)
        row[name] = (value if value is None or len(value) <= most
                     else ELLIPSIS + value[len(value) - most + 1:])
    row["severity"] = int(alert.severity)
    row["fingerprint"] = alert.fingerprint()
    row["extra"] = dict(alert.extra)
    return row


@dataclass(frozen=True)
class Children:
    """An alert's child rows (without ``alert_id``), one per distinct value."""

    subjects: list[dict[str, str]]
    hosts: list[dict[str, str]]
    findings: list[dict[str, str]]
    observables: list[dict[str, str]]


def children_of(alert: AlertIn, index: int) -> Children:
    kinds, values = OBSERVABLE_LIMITS
    observables = dict.fromkeys(
        (_limited(o.type, "observables.type", index, kinds),
         o.value if len(o.value) <= values else o.value[:values - 1] + ELLIPSIS)
        for o in alert.observables)
    return Children(
        [{"subject": v} for v in dict.fromkeys(
            _limited(v, "subjects", index) for v in alert.subjects)],
        [{"host": v} for v in dict.fromkeys(_limited(v, "hosts", index) for v in alert.hosts)],
        [{"finding_id": v} for v in dict.fromkeys(
            _limited(v, "finding_ids", index) for v in alert.finding_ids)],
        [{"type": t, "value": v} for t, v in observables])


def fill(row: Alert, alert: AlertIn, index: int) -> None:
    """Copy every field of `alert` onto a stored `row` (checked as `columns` does)."""
    for name, value in columns(alert, index).items():
        setattr(row, name, value)
    kids = children_of(alert, index)
    _replace(row.subjects, [c["subject"] for c in kids.subjects],
             lambda c: c.subject, lambda v: AlertSubject(subject=v))
    _replace(row.hosts, [c["host"] for c in kids.hosts],
             lambda c: c.host, lambda v: AlertHost(host=v))
    _replace(row.findings, [c["finding_id"] for c in kids.findings],
             lambda c: c.finding_id, lambda v: AlertFinding(finding_id=v))
    _replace(row.observables, [(c["type"], c["value"]) for c in kids.observables],
             lambda c: (c.type, c.value), lambda v: AlertObservable(type=v[0], value=v[1]))


C = TypeVar("C")
V = TypeVar("V")


def _replace(children: list[C], wanted: Sequence[V], key: Callable[[C], V],
             make: Callable[[V], C]) -> None:
    """Make `children` hold one child per distinct value of `wanted`, keeping the
    children that stay (a child deleted and made again with the same key would be two
    writes to one primary key in one flush)."""
    keep = dict.fromkeys(wanted)
    children[:] = [c for c in children if key(c) in keep]
    have = {key(c) for c in children}
    children.extend(make(v) for v in keep if v not in have)


def _limited(value: T, field: str, index: int, limit: int | None = None) -> T:
    most = limit or LIMITS.get(field) or CHILD_LIMITS.get(field)
    if isinstance(value, str) and most is not None and len(value) > most:
        raise IntakeError(f"alerts[{index}].{field}", f"longer than {most} characters")
    return value


def snapshot(row: Alert) -> dict[str, Any]:
    """The content of a stored alert as JSON values, for comparing two versions."""
    doc: dict[str, Any] = {}
    for name in ("title", "severity", "status", "class_uid", "rule", "rule_id",
                 "description", "region", "event_time", "first_seen", "last_seen"):
        value = getattr(row, name)
        doc[name] = value.astimezone(UTC).isoformat() if isinstance(value, datetime) \
            else value
    doc["subjects"] = sorted(s.subject for s in row.subjects)
    doc["hosts"] = sorted(h.host for h in row.hosts)
    doc["observables"] = sorted(f"{o.type}:{o.value}" for o in row.observables)
    doc["finding_ids"] = sorted(f.finding_id for f in row.findings)
    doc["extra"] = dict(sorted((row.extra or {}).items()))
    return doc
