"""Run compiled rules over a table: fused (one scan per log source) or one query per rule.

Fused evaluation groups the rules' branches by route (the rows of one log source). For each
group it filters the table to those rows once, lower-cases every column the group compares
case-insensitively once, and computes one boolean column per rule in a single ``SELECT``;
large groups are split into chunks of ``chunk_size`` rules to keep the SQL small. The
boolean columns are turned into match rows on the client with Arrow.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.detect.sigma.build import (
    LOWER_PREFIX,
    TEXT_COLUMN,
    Columns,
    node_expr,
    route_expr,
    text_expr,
)
from watchkeeper.detect.sigma.compiler import Branch, CompiledRule
from watchkeeper.detect.sigma.ir import lowered_fields, uses_keywords

MATCH_SCHEMA = pa.schema([
    pa.field("rule_id", pa.string()),
    pa.field("title", pa.string()),
    pa.field("level", pa.string()),
    pa.field("event_id", pa.string()),
    pa.field("time", pa.timestamp("us", tz="UTC")),
])
DEFAULT_CHUNK = 250


@dataclass(frozen=True)
class _Job:
    rule: CompiledRule
    branch: Branch


def run_rules(rules: Sequence[CompiledRule], table: ir.Table,
              chunk_size: int = DEFAULT_CHUNK) -> pa.Table:
    """Matches of all ``rules`` on ``table`` (one row per rule and event), fused."""
    groups: dict[tuple[tuple[str, ...], tuple[int, ...]], list[_Job]] = defaultdict(list)
    for rule in rules:
        for branch in rule.branches:
            groups[branch.route.key].append(_Job(rule, branch))
    parts = [_run_group(jobs, table, chunk_size) for jobs in groups.values()]
    return _distinct(parts)


def run_rules_per_rule(rules: Sequence[CompiledRule], table: ir.Table) -> pa.Table:
    """The same matches with one query per rule (the baseline the fused mode is measured by)."""
    parts: list[pa.Table] = []
    for rule in rules:
        hits = table.filter(rule.predicate(table)).select("event_id", "time").to_pyarrow()
        parts.append(_matches(rule, hits))
    return _distinct(parts)


def _run_group(jobs: list[_Job], table: ir.Table, chunk_size: int) -> pa.Table:
    route = jobs[0].branch.route
    rows = table.filter(route_expr(route, Columns(table)))
    parts = [_run_chunk(jobs[i:i + chunk_size], rows)
             for i in range(0, len(jobs), chunk_size)]
    return _distinct(parts)


def _run_chunk(jobs: list[_Job], rows: ir.Table) -> pa.Table:
    base, lowered = _prepare(rows, [job.branch for job in jobs])
    columns = Columns(base, lowered)
    flags = {f"r{i}": node_expr(job.branch.condition, columns).fill_null(False)
             for i, job in enumerate(jobs)}
    result = base.select("event_id", "time", **flags).to_pyarrow()
    parts = []
    for i, job in enumerate(jobs):
        mask = result[f"r{i}"].to_numpy(zero_copy_only=False)
        index = np.flatnonzero(mask)
        if len(index):
            parts.append(_matches(job.rule, result.select(["event_id", "time"]).take(index)))
    return _distinct(parts)


def _prepare(rows: ir.Table, branches: Iterable[Branch]) -> tuple[ir.Table, dict[str, str]]:
    """Add each case-insensitively compared column once in lower case (and the keyword text)."""
    branches = list(branches)
    plain = Columns(rows)
    wanted = sorted({name for b in branches for f in lowered_fields(b.condition)
                     if (name := plain.name(f)) is not None})
    lowered = {name: f"{LOWER_PREFIX}{i}" for i, name in enumerate(wanted)}
    extra: dict[str, ir.Value] = {alias: plain.lower(name) for name, alias in lowered.items()}
    if any(uses_keywords(b.condition) for b in branches):
        text = text_expr(rows)
        if text is not None:
            extra[TEXT_COLUMN] = text
    return (rows.mutate(**extra) if extra else rows), lowered


def _matches(rule: CompiledRule, hits: pa.Table) -> pa.Table:
    n = hits.num_rows
    return pa.table({
        "rule_id": pa.array([rule.rule_id] * n, pa.string()),
        "title": pa.array([rule.title] * n, pa.string()),
        "level": pa.array([rule.level] * n, pa.string()),
        "event_id": hits["event_id"].cast(pa.string()),
        "time": hits["time"].cast(MATCH_SCHEMA.field("time").type),
    }, schema=MATCH_SCHEMA)


def _distinct(parts: Sequence[pa.Table]) -> pa.Table:
    if not parts:
        return MATCH_SCHEMA.empty_table()
    table = pa.concat_tables(parts)
    if table.num_rows == 0:
        return table
    keys = pc.binary_join_element_wise(table["rule_id"], table["event_id"], "\x1f")
    _, first = np.unique(keys.to_numpy(zero_copy_only=False), return_index=True)
    return table.take(np.sort(first))


def connect_table(data: pa.Table, name: str = "events") -> ir.Table:
    """An in-memory DuckDB table over Arrow data (tests, benchmarks, small inputs)."""
    con = ibis.duckdb.connect()
    return con.create_table(name, ibis.memtable(data))


__all__ = ["MATCH_SCHEMA", "connect_table", "run_rules", "run_rules_per_rule"]
