"""Correlation rules over base-rule matches: sliding windows, boundaries, order, groups."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa

from watchkeeper.detect import CorrelationSpec, compile_rule, connect_table, run_rules
from watchkeeper.detect.sigma.correlate import correlation_fields, run_correlations
from watchkeeper.detect.sigma.correlation import Threshold

from .conftest import events_table

T0 = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
MATCH_SCHEMA = pa.schema([
    ("rule_id", pa.string()), ("event_id", pa.string()),
    ("time", pa.timestamp("us", tz="UTC")), ("User", pa.string()), ("Host", pa.string()),
])


def spec(kind: str, refs: tuple[str, ...] = ("a",), op: str = "gte", count: float = 3,
         span: int = 60, group_by: tuple[str, ...] = ("User",),
         field: tuple[str, ...] = ()) -> CorrelationSpec:
    threshold = None if kind.startswith("temporal") else Threshold(op, count, field)
    return CorrelationSpec("c1", "corr", "high", kind, refs, group_by, span, threshold, False)


def matches(*rows: tuple[str, float, str] | tuple[str, float, str, str]) -> pa.Table:
    """(rule_id, seconds after T0, user[, host]) per match; event ids are e0, e1, …"""
    return pa.Table.from_pylist([
        {"rule_id": r[0], "event_id": f"e{i}", "time": T0 + timedelta(seconds=r[1]),
         "User": r[2], "Host": r[3] if len(r) > 3 else "h1"}  # type: ignore[misc]
        for i, r in enumerate(rows)], schema=MATCH_SCHEMA)


def hits(correlation: CorrelationSpec, table: pa.Table) -> list[dict[str, Any]]:
    return run_correlations([correlation], table).to_pylist()


def test_event_count_window_boundary_is_inclusive() -> None:
    at_edge = matches(("a", 0, "u"), ("a", 30, "u"), ("a", 60, "u"))
    (hit,) = hits(spec("event_count"), at_edge)
    assert hit["event_refs"] == ["e0", "e1", "e2"]
    assert hit["window_end"] - hit["window_start"] == timedelta(seconds=60)
    past_edge = matches(("a", 0, "u"), ("a", 30, "u"), ("a", 60.001, "u"))
    assert hits(spec("event_count"), past_edge) == []


def test_sliding_window_catches_burst_across_fixed_buckets() -> None:
    # 3 events in 20 s around the 60 s bucket boundary: 1 in [0, 60), 2 in [60, 120)
    burst = matches(("a", 5, "u"), ("a", 50, "u"), ("a", 65, "u"), ("a", 70, "u"))
    fixed = {b: sum(1 for r in burst.to_pylist() if (r["time"] - T0).seconds // 60 == b)
             for b in (0, 1)}
    assert max(fixed.values()) < 3  # a GROUP BY per 60 s bucket misses it
    (hit,) = hits(spec("event_count", span=60), burst)
    assert hit["event_refs"] == ["e0", "e1", "e2"] or hit["event_refs"] == ["e1", "e2", "e3"]


def test_group_by_separates_groups_and_reports_values() -> None:
    table = matches(("a", 0, "u1"), ("a", 1, "u2"), ("a", 2, "u1"), ("a", 3, "u2"),
                    ("a", 4, "u1"))
    found = hits(spec("event_count"), table)
    assert [(h["group_fields"], h["group_values"]) for h in found] == [(["User"], ["u1"])]
    assert found[0]["event_refs"] == ["e0", "e2", "e4"]


def test_hits_do_not_overlap_within_one_burst() -> None:
    table = matches(*[("a", float(s), "u") for s in range(7)])
    found = hits(spec("event_count"), table)
    assert [h["event_refs"] for h in found] == [["e0", "e1", "e2"], ["e3", "e4", "e5"]]


def test_value_count_counts_distinct_values() -> None:
    table = matches(("a", 0, "u", "h1"), ("a", 1, "u", "h1"), ("a", 2, "u", "h2"))
    many_hosts = spec("value_count", count=2, field=("Host",))
    assert len(hits(many_hosts, table)) == 1
    assert hits(spec("value_count", count=3, field=("Host",)), table) == []
    assert correlation_fields([many_hosts]) == ["User", "Host"]


def test_temporal_unordered_vs_ordered() -> None:
    reversed_order = matches(("b", 0, "u"), ("a", 10, "u"))
    assert len(hits(spec("temporal", refs=("a", "b")), reversed_order)) == 1
    assert hits(spec("temporal_ordered", refs=("a", "b")), reversed_order) == []
    in_order = matches(("b", 0, "u"), ("a", 10, "u"), ("b", 20, "u"))
    (hit,) = hits(spec("temporal_ordered", refs=("a", "b")), in_order)
    assert hit["event_refs"] == ["e1", "e2"]


def test_temporal_needs_all_rules_within_timespan() -> None:
    table = matches(("a", 0, "u"), ("b", 61, "u"))
    assert hits(spec("temporal", refs=("a", "b"), span=60), table) == []
    assert len(hits(spec("temporal", refs=("a", "b"), span=61), table)) == 1


def test_names_resolve_rule_references() -> None:
    table = matches(("id-a", 0, "u"), ("id-a", 1, "u"), ("id-a", 2, "u"))
    named = spec("event_count", refs=("failed_logon",))
    assert len(run_correlations([named], table, {"failed_logon": "id-a"})) == 1


def test_run_rules_returns_group_by_fields_per_route() -> None:
    from sigma.rule import SigmaRule

    rule = compile_rule(SigmaRule.from_yaml("""
title: t
id: 5c4f2a3e-0000-4000-8000-00000000000a
logsource: {product: windows, category: process_creation}
detection: {sel: {Image|endswith: cmd.exe}, condition: sel}
"""))
    events = events_table(
        {"data_User": "alice", "time": T0},
        {"time": T0 + timedelta(seconds=1), "channel": "Security", "event_code": 4688,
         "NewProcessName": "c:\\cmd.exe", "SubjectUserName": "bob", "Image": None},
    )
    found = run_rules([rule], connect_table(events), fields=["User"])
    assert sorted(found["User"].to_pylist()) == ["alice", "bob"]
    fields = correlation_fields([spec("event_count", refs=(rule.rule_id,), count=2)])
    found = run_rules([rule], connect_table(events), fields=fields)
    assert run_correlations([spec("event_count", refs=(rule.rule_id,), count=2,
                                  group_by=())], found).num_rows == 1
