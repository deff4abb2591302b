"""Run compiled rules over a table: fused (one scan per log source) or one query per rule.

Fused evaluation groups the rules' branches by route (the rows of one log source). For each
group it filters the table to those rows once, lower-cases every column the group compares
case-insensitively once, and computes one boolean column per rule in a single ``SELECT``
(chunks of ``chunk_size`` rules). The SQL is built from sqlglot syntax trees
(:mod:`.sigma.sqlgen`, cached per rule condition and table schema) and run on the table's
DuckDB connection; the boolean columns become match rows on the client with Arrow.

:meth:`CompiledRule.predicate` (Ibis) stays the portable path for other engines (Spark).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import sqlglot
from sqlglot import exp

from watchkeeper.detect.sigma.build import TEXT_COLUMN
from watchkeeper.detect.sigma.compiler import Branch, CompiledRule
from watchkeeper.detect.sigma.pipeline import Route
from watchkeeper.detect.sigma.sqlgen import (
    Schema,
    col,
    condition_sql,
    condition_text,
    lower_alias,
    lower_expr,
    read_columns,
    route_sql,
    text_expr,
)

MATCH_SCHEMA = pa.schema([
    pa.field("rule_id", pa.string()),
    pa.field("title", pa.string()),
    pa.field("level", pa.string()),
    pa.field("event_id", pa.string()),
    pa.field("time", pa.timestamp("us", tz="UTC")),
])
DEFAULT_CHUNK = 250
DIALECT = "duckdb"


@dataclass(frozen=True)
class _Job:
    rule: CompiledRule
    branch: Branch


@dataclass(frozen=True)
class _Source:
    """The table as a SQL source on a DuckDB connection, with its schema."""

    backend: ibis.BaseBackend
    relation: exp.Expr
    schema: Schema


def match_schema(fields: Sequence[str] = ()) -> pa.Schema:
    """:data:`MATCH_SCHEMA` plus one string column per requested field."""
    return pa.schema(list(MATCH_SCHEMA) + [pa.field(f, pa.string()) for f in fields])


def run_rules(rules: Sequence[CompiledRule], table: ir.Table,
              chunk_size: int = DEFAULT_CHUNK, fields: Sequence[str] = ()) -> pa.Table:
    """Matches of all ``rules`` on ``table`` (one row per rule and event), fused.

    ``fields`` (Sigma field names, e.g. a correlation's group-by) are returned as string
    columns, each read with the matching branch's field names (null when absent).
    """
    source = _source(table)
    groups: dict[tuple[tuple[str, ...], tuple[int, ...]], list[_Job]] = defaultdict(list)
    for rule in rules:
        for branch in rule.branches:
            groups[branch.route.key].append(_Job(rule, branch))
    parts = [_run_group(jobs, source, fields, chunk_size) for jobs in groups.values()]
    return _distinct(parts, fields)


def run_rules_per_rule(rules: Sequence[CompiledRule], table: ir.Table) -> pa.Table:
    """The same matches with one query per rule (the baseline the fused mode is measured by)."""
    source = _source(table)
    parts = []
    for rule in rules:
        for branch in rule.branches:
            flag = condition_sql(branch.condition, source.schema)
            rows = _rows(branch.route, source, [flag], ())
            query = exp.select(col("event_id"), col("time"), copy=False).from_(
                exp.alias_(exp.paren(rows, copy=False), "rows", copy=False), copy=False)
            hits = _execute(source, query.where(flag, copy=False).sql(DIALECT))
            parts.append(_matches([(rule, np.arange(hits.num_rows))], hits, ()))
    return _distinct(parts, ())


def run_rules_ibis(rules: Sequence[CompiledRule], table: ir.Table) -> pa.Table:
    """One Ibis query per rule via :meth:`CompiledRule.predicate` (any Ibis backend)."""
    parts: list[pa.Table] = []
    for rule in rules:
        hits = table.filter(rule.predicate(table)).select("event_id", "time").to_pyarrow()
        index = np.arange(hits.num_rows)
        parts.append(_matches([(rule, index)], hits, ()))
    return _distinct(parts, ())


def _source(table: ir.Table) -> _Source:
    backend = table._find_backend()
    schema = table.schema()
    names = tuple(schema.names)
    relation = exp.paren(sqlglot.parse_one(ibis.to_sql(table, dialect=DIALECT), read=DIALECT))
    return _Source(backend, exp.alias_(relation, "src"), Schema(
        names,
        frozenset(n for n in names if schema[n].is_numeric()),
        frozenset(n for n in names if schema[n].is_string()),
    ))


def _run_group(jobs: list[_Job], source: _Source, fields: Sequence[str],
               chunk_size: int) -> pa.Table:
    """Stage the route's rows once (needed columns only, lower-cased once), then the chunks."""
    schema, route = source.schema, jobs[0].branch.route
    flags = [condition_sql(job.branch.condition, schema) for job in jobs]
    name = f"__wk_rows_{uuid.uuid4().hex}"
    con = source.backend.con  # type: ignore[attr-defined]
    staged = exp.Create(this=_table(name), kind="TABLE",
                        expression=_rows(route, source, flags, fields),
                        properties=exp.Properties(expressions=[exp.TemporaryProperty()]))
    con.execute(staged.sql(DIALECT))
    try:
        parts = [_run_chunk(jobs[i:i + chunk_size], source, fields, name)
                 for i in range(0, len(jobs), chunk_size)]
    finally:
        con.execute(exp.Drop(tables=[_table(name)], kind="TABLE", exists=True).sql(DIALECT))
    return _distinct(parts, fields)


def _table(name: str) -> exp.Table:
    return exp.Table(this=exp.to_identifier(name, quoted=True))


def _run_chunk(jobs: list[_Job], source: _Source, fields: Sequence[str],
               staged: str) -> pa.Table:
    # Each rule's condition is generated once per table schema by sqlglot (literals escaped
    # there) and cached as text; the fused SELECT only lists those texts as columns.
    texts = [condition_text(job.branch.condition, source.schema, DIALECT) for job in jobs]
    columns = ["event_id", "time", *[f"f{i}" for i in range(len(fields))]]
    head = ", ".join(exp.column(c, quoted=True).sql(DIALECT) for c in columns)
    flags = ", ".join(f"{text} AS r{i}" for i, text in enumerate(texts))
    table = _table(staged).sql(DIALECT)
    result = _execute(source, f"SELECT {head}, {flags} FROM {table}")
    hits = [(job.rule, np.flatnonzero(result[f"r{i}"].to_numpy(zero_copy_only=False)))
            for i, job in enumerate(jobs)]
    rows = result.select(columns).rename_columns(["event_id", "time", *fields])
    return _matches([(r, index) for r, index in hits if len(index)], rows, fields)


def _rows(route: Route, source: _Source, flags: Sequence[exp.Expr],
          fields: Sequence[str]) -> exp.Select:
    """The route's rows: ids, requested fields, the columns the flags read (lower-cased
    ones and the keyword text computed here, once)."""
    schema = source.schema
    read = set().union(*[read_columns(flag) for flag in flags])
    out: list[exp.Expr] = [col("event_id"), col("time")]
    out += [_field_value(route, f, schema).as_(f"f{i}", copy=False)
            for i, f in enumerate(fields)]
    for name in schema.names:
        if name in read and name not in ("event_id", "time"):
            out.append(col(name))
        if lower_alias(name) in read:
            out.append(lower_expr(name, schema).as_(lower_alias(name), quoted=True, copy=False))
    text = text_expr(schema) if TEXT_COLUMN in read else None
    if text is not None:
        out.append(text.as_(TEXT_COLUMN, quoted=True, copy=False))
    return exp.select(*out, copy=False).from_(source.relation, copy=False).where(
        route_sql(route, schema), copy=False)


def _field_value(route: Route, field: str, schema: Schema) -> exp.Expr:
    name = schema.name(route.column(field))
    if name is None:
        return exp.cast(exp.Null(), "text")
    return exp.cast(col(name), "text")


def _execute(source: _Source, query: str) -> pa.Table:
    con = source.backend.con  # type: ignore[attr-defined]
    result: pa.Table = con.sql(query).to_arrow_table()
    return result


def _matches(hits: Sequence[tuple[CompiledRule, np.ndarray]], rows: pa.Table,
             fields: Sequence[str]) -> pa.Table:
    schema = match_schema(fields)
    if not hits:
        return schema.empty_table()
    index = np.concatenate([i for _, i in hits])
    owner = np.repeat(np.arange(len(hits)), [len(i) for _, i in hits])
    rules = [rule for rule, _ in hits]

    def meta(values: list[str | None]) -> pa.Array:
        return pa.array(values, pa.string()).take(pa.array(owner))

    taken = rows.take(pa.array(index))
    columns = [meta([r.rule_id for r in rules]), meta([r.title for r in rules]),
               meta([r.level for r in rules]), taken["event_id"].cast(pa.string()),
               taken["time"].cast(MATCH_SCHEMA.field("time").type)]
    columns += [taken[f].cast(pa.string()) for f in fields]
    return pa.Table.from_arrays(columns, schema=schema)


def _distinct(parts: Sequence[pa.Table], fields: Sequence[str]) -> pa.Table:
    parts = [p for p in parts if p.num_rows]
    if not parts:
        return match_schema(fields).empty_table()
    table = pa.concat_tables(parts)
    keys = pc.binary_join_element_wise(table["rule_id"], table["event_id"], "\x1f")
    _, first = np.unique(keys.to_numpy(zero_copy_only=False), return_index=True)
    return table.take(np.sort(first)) if len(first) < table.num_rows else table


def connect_table(data: pa.Table, name: str = "events") -> ir.Table:
    """An in-memory DuckDB table over Arrow data (tests, benchmarks, small inputs)."""
    con = ibis.duckdb.connect()
    return con.create_table(name, ibis.memtable(data))


__all__ = ["MATCH_SCHEMA", "connect_table", "match_schema", "run_rules", "run_rules_ibis",
           "run_rules_per_rule"]
