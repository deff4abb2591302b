"""Rule matches → rows of the lake's ``finding`` class.

A finding's ``event_id`` is a hash of the rule id and the events behind it, so running the
same rules over the same events again yields the same ids, and the lake's dedupe on
``event_id`` drops them: re-runs and overlapping incremental runs never duplicate findings.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

import pyarrow as pa

from watchkeeper.detect.ruleset import RuleMeta
from watchkeeper.schema.events import class_spec

VENDOR = "watchkeeper"
FINDING_SCHEMA = class_spec("finding").schema


def finding_id(rule_id: str, event_refs: Sequence[str]) -> str:
    """Stable id of the finding a rule raises on these events."""
    key = "\x1f".join([rule_id, *sorted(event_refs)])
    return "wk:" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def finding_rows(matches: pa.Table, meta: Mapping[str, RuleMeta]) -> pa.Table:
    """Findings from match rows (``sql_rules.MATCH_SCHEMA``); one per (rule, events)."""
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
            "window_start": row["window_start"], "raw": row["raw"],
        }
        for name in FINDING_SCHEMA.names:
            out[name].append(values[name])
    return pa.table(out, schema=FINDING_SCHEMA)


__all__ = ["FINDING_SCHEMA", "VENDOR", "finding_id", "finding_rows"]
