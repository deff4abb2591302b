"""Reading stored findings: a filtered list, and one finding in full.

A finding in full is the rule (id, title, level, ATT&CK tags), the matched event(s), the
person and host, and, for a Sigma finding, which of the rule's selections held on which
field and value as the engine recorded it when it stored the finding (``raw.matched``,
see :mod:`.matched`). Findings of a correlation list the events of their window.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import ibis
import pyarrow as pa

from watchkeeper.detect.matched import FieldMatch, SelectionMatch
from watchkeeper.errors import NotFoundError
from watchkeeper.lake.store import Lake
from watchkeeper.schema.events import EventClass

#: Events of one finding shown at most (a correlation window may hold thousands).
MAX_EVENTS = 20
Pairs = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class FindingSummary:
    """One finding as a list shows it."""

    id: str
    time: datetime
    rule_id: str
    title: str
    severity: str
    user: str | None
    host: str | None
    tags: tuple[str, ...]

    @property
    def attack(self) -> tuple[str, ...]:
        """The ATT&CK tags (``attack.t1105``, ``attack.exfiltration``, …)."""
        return tuple(t for t in self.tags if t.lower().startswith("attack."))

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> FindingSummary:
        return cls(str(row["event_id"]), row["time"], str(row["rule_id"] or ""),
                   str(row["title"] or ""), str(row["severity"] or ""), row.get("user"),
                   row.get("host"), tuple(row.get("tags") or ()))

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "time": self.time.isoformat(), "rule_id": self.rule_id,
                "title": self.title, "severity": self.severity, "user": self.user,
                "host": self.host, "tags": list(self.tags), "attack": list(self.attack)}


@dataclass(frozen=True)
class MatchedEvent:
    """An event behind a finding: its id and its non-empty fields as text."""

    event_id: str
    fields: Pairs

    def to_dict(self) -> dict[str, Any]:
        return {"event_id": self.event_id, "fields": dict(self.fields)}


@dataclass(frozen=True)
class FindingDetail:
    """One finding in full."""

    finding: FindingSummary
    events: tuple[MatchedEvent, ...]
    event_count: int
    matched: tuple[SelectionMatch, ...]
    person: Pairs
    context: Pairs  # a correlation's kind, group and count; a SQL rule's result row

    def to_dict(self) -> dict[str, Any]:
        return {**self.finding.to_dict(), "event_count": self.event_count,
                "events": [e.to_dict() for e in self.events],
                "matched": [s.to_dict() for s in self.matched],
                "person": dict(self.person), "context": dict(self.context)}


def newest(findings: pa.Table, limit: int | None) -> tuple[FindingSummary, ...]:
    """The newest ``limit`` findings of a table of findings (all when ``limit`` is None)."""
    rows = sorted(findings.to_pylist(), key=lambda r: (r["time"], r["event_id"]), reverse=True)
    return tuple(FindingSummary.from_row(r) for r in rows[:limit])


def list_findings(lake: Lake, *, rule: str | None = None, user: str | None = None,
                  host: str | None = None, since: date | None = None,
                  limit: int = 50) -> tuple[FindingSummary, ...]:
    """Stored findings, newest first. ``rule`` is a rule id or a dotted prefix of ids
    (``insider.exfil``); ``user`` and ``host`` match exactly, ignoring case."""
    table = lake.table("finding")
    if rule:
        table = table.filter((table.rule_id == rule) | table.rule_id.startswith(rule + "."))
    if user:
        table = table.filter(table.user.lower() == user.lower())
    if host:
        table = table.filter(table.host.lower() == host.lower())
    if since:
        table = table.filter(table.day >= since)
    table = table.order_by([ibis.desc("time"), ibis.desc("event_id")])
    rows = table.limit(limit).to_pyarrow().to_pylist() if limit > 0 else \
        table.to_pyarrow().to_pylist()
    return tuple(FindingSummary.from_row(r) for r in rows)


def show_finding(lake: Lake, finding_id: str) -> FindingDetail:
    """One stored finding by id, or by an unambiguous prefix of its id."""
    table = lake.table("finding")
    rows = table.filter(table.event_id.startswith(finding_id)).limit(2).to_pyarrow().to_pylist()
    exact = [r for r in rows if r["event_id"] == finding_id]
    if exact:
        rows = exact
    if not rows:
        raise NotFoundError(f"finding {finding_id!r}: no stored finding has this id")
    if len(rows) > 1:
        raise NotFoundError(f"finding {finding_id!r}: more than one finding starts so; "
                              "give more of the id")
    return _detail(lake, rows[0])


def _detail(lake: Lake, row: Mapping[str, Any]) -> FindingDetail:
    raw = _json(row.get("raw"))
    refs = [str(r) for r in row.get("event_refs") or ()]
    matched: tuple[SelectionMatch, ...] = ()
    context: Pairs = ()
    events: tuple[MatchedEvent, ...]
    if raw.get("kind") == "sigma" and isinstance(raw.get("event"), dict):
        event = raw["event"]
        events = (MatchedEvent(str(event.get("event_id") or (refs or [""])[0]),
                               _pairs(event)),)
        matched = tuple(_selection(s) for s in raw.get("matched") or ())
    else:
        events = _events(lake, refs[:MAX_EVENTS])
        skip = {"events", "group_values", "last_event"}
        context = tuple((k, _text(v)) for k, v in raw.items() if k not in skip)
    return FindingDetail(FindingSummary.from_row(row), events, len(refs), matched,
                         _person(lake, row.get("user")), context)


def _selection(raw: Mapping[str, Any]) -> SelectionMatch:
    fields = tuple(FieldMatch(str(f.get("field")), str(f.get("test")), str(f.get("pattern")),
                              None if f.get("value") is None else str(f.get("value")))
                   for f in raw.get("fields") or ())
    return SelectionMatch(str(raw.get("selection")), bool(raw.get("matched")), fields)


def _events(lake: Lake, refs: Sequence[str]) -> tuple[MatchedEvent, ...]:
    """The events with these ids, from whichever event table holds them."""
    if not refs:
        return ()
    found: dict[str, MatchedEvent] = {}
    names = [c.value for c in EventClass if c is not EventClass.FINDING] + ["windows"]
    for name in names:
        if len(found) == len(refs) or lake.rows(name) == 0:
            continue
        table = lake.table(name)
        for event in table.filter(table.event_id.isin(list(refs))).to_pyarrow().to_pylist():
            found[str(event["event_id"])] = MatchedEvent(str(event["event_id"]), _pairs(event))
    return tuple(found[r] for r in refs if r in found)


def _person(lake: Lake, user: str | None) -> Pairs:
    """The person's current attributes (empty when the lake does not know them)."""
    if not user or lake.rows("people") == 0:
        return ()
    people = lake.table("people")
    rows = people.filter(people.user == user).to_pyarrow().to_pylist()
    if not rows:
        return ()
    rows.sort(key=lambda r: (r.get("valid_to") is None, str(r.get("valid_from") or "")))
    return _pairs({k: v for k, v in rows[-1].items() if k not in ("valid_from", "valid_to")})


def _pairs(row: Mapping[str, Any]) -> Pairs:
    """Non-empty fields as text; the lake's bookkeeping (``day``, ``_…``) left out."""
    return tuple((str(k), _text(v)) for k, v in row.items()
                 if v not in (None, "", []) and k != "day" and not str(k).startswith("_"))


def _text(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, default=str)
    return str(value)


def _json(text: Any) -> dict[str, Any]:
    try:
        value = json.loads(text) if isinstance(text, str) and text else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


__all__ = ["MAX_EVENTS", "FindingDetail", "FindingSummary", "MatchedEvent",
           "list_findings", "newest", "show_finding"]
