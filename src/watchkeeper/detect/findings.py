"""Rule matches → rows of the lake's ``finding`` class.

A finding's ``event_id`` is a hash of the rule id and the events behind it, so running the
same rules over the same events again yields the same ids, and the lake's dedupe on
``event_id`` drops them: re-runs and overlapping incremental runs never duplicate findings.
"""

from __future__ import annotations

import hashlib
import json
import operator
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import pyarrow as pa

from watchkeeper.detect.allow import Allow, Condition
from watchkeeper.detect.matched import Explained
from watchkeeper.detect.packtypes import RuleMeta
from watchkeeper.detect.sql_rules import to_json
from watchkeeper.schema.events import class_spec

VENDOR = "watchkeeper"
FINDING_SCHEMA = class_spec("finding").schema


def finding_id(rule_id: str, event_refs: Sequence[str]) -> str:
    """Stable id of the finding a rule raises on these events."""
    key = "\x1f".join([rule_id, *sorted(event_refs)])
    return "wk:" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def finding_rows(matches: pa.Table, meta: Mapping[str, RuleMeta],
                 explained: Explained | None = None) -> pa.Table:
    """Findings from match rows (``sql_rules.MATCH_SCHEMA``); one per (rule, events).

    A Sigma match that ``explained`` covers stores ``raw`` as ``{"kind": "sigma",
    "event": <the event>, "matched": [<selection>, …]}`` (see :mod:`.matched`).
    """
    out: dict[str, list[object]] = {name: [] for name in FINDING_SCHEMA.names}
    seen: set[str] = set()
    for row in matches.to_pylist():
        rule = meta[row["rule_id"]]
        refs = list(row["event_refs"] or [])
        fid = finding_id(rule.name, refs)
        if fid in seen:
            continue
        seen.add(fid)
        values: dict[str, object] = {
            "event_id": fid, "time": row["time"], "source": VENDOR, "class": "finding",
            "activity": "detect", "user": row["user"], "host": row["host"], "region": None,
            "rule_id": rule.name, "title": rule.title, "severity": rule.level,
            "tags": list(rule.tags), "vendor": VENDOR, "event_refs": sorted(refs),
            "window_start": row["window_start"],
            "raw": _raw(row, refs, explained or {}),
        }
        for name in FINDING_SCHEMA.names:
            out[name].append(values[name])
    return pa.table(out, schema=FINDING_SCHEMA)


def _raw(row: Mapping[str, Any], refs: Sequence[str], explained: Explained) -> Any:
    why = explained.get((row["rule_id"], refs[0])) if len(refs) == 1 else None
    if why is None or row["window_start"] is not None:
        return row["raw"]
    event = json.loads(row["raw"]) if row["raw"] else {}
    return to_json({"kind": "sigma", "event": event, "matched": [s.to_dict() for s in why]})


_NUMERIC: Mapping[str, Callable[[float, float], bool]] = {
    "gt": operator.gt, "gte": operator.ge, "lt": operator.lt, "lte": operator.le}
Person = Mapping[str, Any]


def suppress(matches: pa.Table, allows: Mapping[str, Sequence[Allow]],
             people: Mapping[str, Person] | None = None) -> tuple[pa.Table, Counter[str]]:
    """Matches no exception allows, and the number suppressed per rule.

    ``allows`` maps rule id to the exceptions that apply to it; ``people`` maps user id to
    that person's attributes, read by ``person.<column>`` keys.
    """
    if matches.num_rows == 0 or not any(allows.values()):
        return matches, Counter()
    keep: list[bool] = []
    dropped: Counter[str] = Counter()
    for row in matches.to_pylist():
        entries = allows.get(row["rule_id"], ())
        hit = bool(entries) and allowed(row, entries, people or {}) is not None
        keep.append(not hit)
        if hit:
            dropped[str(row["rule_id"])] += 1
    return matches.filter(pa.array(keep, pa.bool_())), dropped


def allowed(row: Mapping[str, Any], entries: Sequence[Allow],
            people: Mapping[str, Person]) -> Allow | None:
    """The first exception that covers this match row (``MATCH_SCHEMA``), if any."""
    raw = row.get("raw")
    fields: dict[str, Any] = json.loads(raw) if isinstance(raw, str) and raw else {}
    when = row.get("time")
    for entry in entries:
        if entry.until is not None and isinstance(when, datetime) and when.date() > entry.until:
            continue
        if all(_holds(c, _lookup(c.key, row, fields, people)) for c in entry.where):
            return entry
    return None


def _lookup(key: str, row: Mapping[str, Any], fields: Mapping[str, Any],
            people: Mapping[str, Person]) -> Any:
    if key.startswith("person."):
        person = people.get(str(row.get("user")), {})
        return person.get(key.split(".", 1)[1])
    if key in ("user", "host"):
        return row.get(key)
    if key in fields:
        return fields[key]
    lowered = {k.lower(): v for k, v in fields.items()}
    return lowered.get(key.lower(), row.get(key))


def _holds(condition: Condition, actual: Any) -> bool:
    values = actual if isinstance(actual, list | tuple) else [actual]
    if condition.op in _NUMERIC:
        compare = _NUMERIC[condition.op]
        return any(_number(v) is not None and compare(_number(v) or 0.0, float(want))
                   for v in values for want in condition.values)
    wanted = {_norm(v) for v in condition.values}
    found = any(_norm(v) in wanted for v in values)
    return not found if condition.op == "neq" else found


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _norm(value: Any) -> str | None:
    """Values compared as case-folded text: booleans ``true``/``false``, ``1.0`` as ``1``."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).casefold()


__all__ = ["FINDING_SCHEMA", "VENDOR", "allowed", "finding_id", "finding_rows", "suppress"]
