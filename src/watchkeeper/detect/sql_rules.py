"""SQL rules: what Sigma cannot say (history, joins, per-person baselines).

A SQL rule is a YAML file with the same metadata as a Sigma rule (``name`` is the dotted
rule id, ``title``, ``level``, ``tags``, ``description``, ``falsepositives``, ``runbook``,
``tests``) and a ``query:`` in DuckDB SQL over views named like the lake tables
(``authentication``, ``web``, ``people``, ``devices``, …). The engine binds the time window
as the parameters ``$start`` and ``$end``: the query reads all history it needs and reports
the events with ``$start <= time < $end``. Each row must carry ``time``, ``user``, ``host``
and ``event_id`` or ``event_refs`` (a list); ``window_start`` is optional; every column
returned goes into the finding's ``raw`` JSON. ``transpile(rule, "spark")`` gives the query
in another dialect through sqlglot; :func:`run_sql_rule_spark` runs that form on a Spark
session (``$start``/``$end`` become Spark's named parameters ``:start``/``:end``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import sqlglot
import sqlglot.errors
from sqlglot import exp

from watchkeeper.errors import RuleError
from watchkeeper.lake.tables import table_spec
from watchkeeper.schema.events import class_spec

REQUIRED_COLUMNS = ("time", "user", "host")
#: Tables a SQL rule may read, with the lake table each view shows.
VIEWS: tuple[str, ...] = ("authentication", "peripheral", "file", "email", "web", "datastore",
                          "process", "finding", "people", "devices", "data_assets")
MATCH_SCHEMA = pa.schema([
    pa.field("rule_id", pa.string()),
    pa.field("time", pa.timestamp("us", tz="UTC")),
    pa.field("user", pa.string()),
    pa.field("host", pa.string()),
    pa.field("event_refs", pa.list_(pa.string())),
    pa.field("window_start", pa.timestamp("us", tz="UTC")),
    pa.field("raw", pa.string()),
])


@dataclass(frozen=True)
class SqlRule:
    """A parsed SQL rule: metadata needed at run time plus the DuckDB query."""

    rule_id: str
    title: str
    level: str | None
    tags: tuple[str, ...]
    query: str
    path: str | None
    tables: tuple[str, ...]


def parse_sql_rule(doc: Mapping[str, Any], path: Path | str | None = None) -> SqlRule:
    """Check the query parses and returns the required columns; RuleError names the rule."""
    rule_id = str(doc.get("name") or "")
    if not rule_id:
        raise RuleError("missing 'name' (the dotted rule id)", path=path)
    query = doc.get("query")
    if not isinstance(query, str) or not query.strip():
        raise RuleError("'query' must be a SQL string", path=path, rule_id=rule_id)
    try:
        tree = sqlglot.parse_one(query, read="duckdb")
    except sqlglot.errors.ParseError as exc:
        raise RuleError(f"query does not parse: {exc}", path=path, rule_id=rule_id) from exc
    if not isinstance(tree, exp.Query):
        raise RuleError("query must be a SELECT", path=path, rule_id=rule_id)
    names = {n.lower() for n in tree.named_selects}
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if not names & {"event_id", "event_refs"}:
        missing.append("event_id or event_refs")
    if missing:
        raise RuleError(f"query does not return {', '.join(missing)}", path=path,
                        rule_id=rule_id)
    ctes = {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}
    tables = sorted({t.name.lower() for t in tree.find_all(exp.Table)} - ctes)
    unknown = [t for t in tables if t not in VIEWS]
    if unknown:
        raise RuleError(f"query reads unknown table(s) {', '.join(unknown)} "
                        f"(known: {', '.join(VIEWS)})", path=path, rule_id=rule_id)
    level = doc.get("level")
    return SqlRule(rule_id, str(doc.get("title") or rule_id),
                   str(level) if level is not None else None,
                   tuple(str(t) for t in doc.get("tags") or ()), query,
                   str(path) if path is not None else None, tuple(tables))


def transpile(rule: SqlRule, dialect: str = "spark") -> str:
    """The rule's query in another SQL dialect (sqlglot)."""
    return sqlglot.transpile(rule.query, read="duckdb", write=dialect)[0]


def view_schema(name: str) -> pa.Schema:
    """Columns of the view ``name``: event classes carry the ``day`` partition column."""
    if name in VIEWS[:8]:
        return class_spec(name).schema.append(pa.field("day", pa.date32()))
    return table_spec(name).schema


def register_tables(con: duckdb.DuckDBPyConnection, tables: Mapping[str, pa.Table]) -> None:
    """Show Arrow tables as the rule views; views not given are empty, with their columns."""
    for name in VIEWS:
        data = tables.get(name, view_schema(name).empty_table())
        con.register(name, data)


def run_sql_rule(con: duckdb.DuckDBPyConnection, rule: SqlRule, start: datetime,
                 end: datetime) -> pa.Table:
    """Matches of ``rule`` in ``[start, end)`` as rows of :data:`MATCH_SCHEMA`."""
    try:
        result = con.sql(rule.query, params={"start": start, "end": end}).to_arrow_table()
    except duckdb.Error as exc:
        raise RuleError(f"query failed: {exc}", path=rule.path, rule_id=rule.rule_id) from exc
    return _matches(rule, result)


def run_sql_rule_spark(session: Any, rule: SqlRule, start: datetime,
                       end: datetime) -> pa.Table:
    """Matches of ``rule`` in ``[start, end)`` on a Spark session whose temporary views are
    named like :data:`VIEWS`; the query is transpiled from DuckDB SQL by sqlglot."""
    try:
        query = transpile(rule, "spark")
    except sqlglot.errors.SqlglotError as exc:
        raise RuleError(f"query does not transpile to Spark SQL: {exc}", path=rule.path,
                        rule_id=rule.rule_id) from exc
    try:
        frame = session.sql(query, args={"start": start, "end": end})
        result: pa.Table = frame.toArrow()
    except Exception as exc:  # Spark raises its own (Py4J/analysis) exception classes
        raise RuleError(f"query failed on Spark: {str(exc).splitlines()[0]}",
                        path=rule.path, rule_id=rule.rule_id) from exc
    return _matches(rule, result)


def _matches(rule: SqlRule, result: pa.Table) -> pa.Table:
    rows = result.to_pylist()
    names = {n.lower(): n for n in result.column_names}
    out: dict[str, list[Any]] = {f.name: [] for f in MATCH_SCHEMA}
    for row in rows:
        refs = row.get(names.get("event_refs", ""))
        if refs is None:
            refs = [row.get(names.get("event_id", ""))]
        out["rule_id"].append(rule.rule_id)
        out["time"].append(row[names["time"]])
        out["user"].append(row[names["user"]])
        out["host"].append(row[names["host"]])
        out["event_refs"].append(sorted(str(r) for r in refs if r is not None))
        out["window_start"].append(row.get(names.get("window_start", "")))
        out["raw"].append(to_json(row))
    return pa.table(out, schema=MATCH_SCHEMA)


def to_json(row: Mapping[str, Any]) -> str:
    """A row as compact JSON (times in ISO format)."""
    return json.dumps(dict(row), default=_json_default, sort_keys=True)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


__all__ = ["MATCH_SCHEMA", "VIEWS", "SqlRule", "parse_sql_rule", "register_tables",
           "run_sql_rule", "run_sql_rule_spark", "to_json", "transpile", "view_schema"]
