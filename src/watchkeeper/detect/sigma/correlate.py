"""Evaluate Sigma correlation rules over base-rule matches with true sliding windows.

Input is the match table of :func:`~watchkeeper.detect.runner.run_rules` called with
``fields=`` the group-by (and value_count) fields: ``rule_id, event_id, time`` plus one
column per field. For each correlation and group (equal group-by values; a null value is
its own group) the matches are walked in time order and every match closes a window
``[time - timespan, time]``; both ends are inclusive, so "within 5m" admits a gap of
exactly 5 minutes (the Sigma specification leaves the boundary open).

* ``event_count``: number of matches in the window compared with the condition;
* ``value_count``: number of distinct non-null values of the condition's field;
* ``temporal``: every referenced rule matched in the window (or, with a condition, the
  number of distinct rules compared with it);
* ``temporal_ordered``: the referenced rules matched in the listed order in the window.

A window that satisfies the condition is reported once, and the next window of that group
starts after it (no overlapping hits for one burst). Windows slide with the events, so a
burst that straddles a fixed bucket boundary is still found.

Incremental evaluation: with ``since``, only windows closing at or after ``since`` are
reported (earlier matches only fill windows), and ``seeds`` gives, per (correlation, group),
the closing ``(time, event_id)`` of the group's last hit already reported: the walk resumes
after it, exactly as a run over all history would. Matches from ``since - timespan`` on
are enough, so a run from a watermark reproduces a full run's hits.
"""

from __future__ import annotations

import operator
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyarrow as pa

from watchkeeper.detect.sigma.correlation import CorrelationSpec

HIT_SCHEMA = pa.schema([
    pa.field("rule_id", pa.string()),
    pa.field("title", pa.string()),
    pa.field("level", pa.string()),
    pa.field("kind", pa.string()),
    pa.field("window_start", pa.timestamp("us", tz="UTC")),
    pa.field("window_end", pa.timestamp("us", tz="UTC")),
    pa.field("group_fields", pa.list_(pa.string())),
    pa.field("group_values", pa.list_(pa.string())),
    pa.field("event_refs", pa.list_(pa.string())),
])
_OPS: Mapping[str, Callable[[float, float], bool]] = {
    "gt": operator.gt, "gte": operator.ge, "lt": operator.lt, "lte": operator.le,
    "eq": operator.eq, "neq": operator.ne,
}


@dataclass(frozen=True)
class _Event:
    time: datetime
    event_id: str
    rule: int  # index of the referenced rule in the spec
    value: str | None


GroupKey = tuple[str | None, ...]
Seeds = Mapping[tuple[str, GroupKey], tuple[datetime, str]]


def run_correlations(specs: Sequence[CorrelationSpec], matches: pa.Table,
                     names: Mapping[str, str] | None = None, *,
                     since: datetime | None = None, seeds: Seeds | None = None) -> pa.Table:
    """Correlation hits of ``specs`` over base-rule ``matches`` (see the module docstring).

    ``names`` maps Sigma rule ``name`` to rule id, for correlations that refer to rules by
    name (:func:`rule_names` builds it from parsed rules). ``since`` and ``seeds`` resume
    an earlier evaluation (module docstring); group keys are the group-by values as text.
    """
    rows = matches.to_pylist()
    hits: list[dict[str, object]] = []
    for spec in specs:
        hits.extend(_evaluate(spec, rows, names or {}, since, seeds or {}))
    return pa.Table.from_pylist(hits, schema=HIT_SCHEMA)


def rule_names(rules: Sequence[object]) -> dict[str, str]:
    """``name`` → id of parsed Sigma rules that have both."""
    found: dict[str, str] = {}
    for rule in rules:
        name, rule_id = getattr(rule, "name", None), getattr(rule, "id", None)
        if name and rule_id:
            found[str(name)] = str(rule_id)
    return found


def correlation_fields(specs: Sequence[CorrelationSpec]) -> list[str]:
    """The fields :func:`run_correlations` needs in the match table, for ``run_rules``."""
    wanted = [f for s in specs for f in (*s.group_by, *(_value_field(s) or ()))]
    return list(dict.fromkeys(wanted))


def _value_field(spec: CorrelationSpec) -> tuple[str, ...] | None:
    if spec.kind == "value_count" and spec.threshold is not None:
        return spec.threshold.field[:1]
    return None


def _evaluate(spec: CorrelationSpec, rows: Sequence[Mapping[str, object]],
              names: Mapping[str, str], since: datetime | None,
              seeds: Seeds) -> list[dict[str, object]]:
    refs = [names.get(ref, ref) for ref in spec.rule_refs]
    position = {ref: i for i, ref in reversed(list(enumerate(refs)))}
    value_field = (_value_field(spec) or (None,))[0]
    groups: dict[tuple[str | None, ...], list[_Event]] = defaultdict(list)
    for row in rows:
        rule = position.get(str(row["rule_id"]))
        if rule is None or row["time"] is None:  # an undated match fits no window
            continue
        key = tuple(_text(row.get(f)) for f in spec.group_by)
        value = _text(row.get(value_field)) if value_field else None
        groups[key].append(_Event(_time(row["time"]), str(row["event_id"]), rule, value))
    hits = []
    for key, events in groups.items():
        events.sort(key=lambda e: (e.time, e.event_id))
        seed = seeds.get((spec.rule_id, key))
        if seed is not None:
            events = [e for e in events if (e.time, e.event_id) > seed]
        for window in _windows(spec, events, len(refs), since):
            hits.append(_hit(spec, key, window))
    return hits


def _windows(spec: CorrelationSpec, events: list[_Event], refs: int,
             since: datetime | None = None) -> list[list[_Event]]:
    """Satisfying windows of one group, without overlap, in time order."""
    span = timedelta(seconds=spec.timespan_seconds)
    found: list[list[_Event]] = []
    start = 0
    for end, event in enumerate(events):
        while events[start].time < event.time - span:
            start += 1
        if since is not None and event.time < since:
            continue
        window = _satisfied(spec, events[start:end + 1], refs)
        if window is not None:
            found.append(window)
            start = end + 1
            if start >= len(events):
                break
    return found


def _satisfied(spec: CorrelationSpec, window: list[_Event],
               refs: int) -> list[_Event] | None:
    if not window:
        return None
    if spec.kind == "event_count":
        return window if _compare(spec, len(window)) else None
    if spec.kind == "value_count":
        distinct = {e.value for e in window if e.value is not None}
        return window if _compare(spec, len(distinct)) else None
    if spec.kind == "temporal_ordered":
        return _in_order(window, refs)
    rules = {e.rule for e in window}
    ok = _compare(spec, len(rules)) if spec.threshold is not None else len(rules) == refs
    return window if ok else None


def _in_order(window: list[_Event], refs: int) -> list[_Event] | None:
    """The earliest chain rule 0, 1, … of the window that ends with its last event."""
    if window[-1].rule != refs - 1:
        return None
    chain: list[_Event] = []
    for event in window:
        if event.rule == len(chain) and (len(chain) < refs - 1 or event is window[-1]):
            chain.append(event)
    return chain if len(chain) == refs else None


def _compare(spec: CorrelationSpec, count: int) -> bool:
    if spec.threshold is None:
        return count > 0
    return _OPS[spec.threshold.op](count, spec.threshold.count)


def _hit(spec: CorrelationSpec, key: tuple[str | None, ...],
         window: list[_Event]) -> dict[str, object]:
    return {
        "rule_id": spec.rule_id, "title": spec.title, "level": spec.level, "kind": spec.kind,
        "window_start": window[0].time, "window_end": window[-1].time,
        "group_fields": list(spec.group_by), "group_values": list(key),
        "event_refs": [e.event_id for e in window],
    }


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _time(value: object) -> datetime:
    if not isinstance(value, datetime):
        raise TypeError(f"match time must be a timestamp, got {type(value).__name__}")
    return value


__all__ = ["HIT_SCHEMA", "GroupKey", "Seeds", "correlation_fields", "rule_names",
           "run_correlations"]
