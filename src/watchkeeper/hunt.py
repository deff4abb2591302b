"""Hunting: one read-only SQL query over the lake's views.

Views: one per event class (``authentication``, ``peripheral``, ``file``, ``email``,
``web``, ``datastore``, ``process``, ``finding``, also as ``findings``), the raw Windows
events (``windows``) and the entities (``people``, ``devices``, ``data_assets``, also as
``assets``). Read-only twice over: the statement must parse (sqlglot, DuckDB dialect) as
one query (SELECT, WITH, UNION, …) reading only those views, and it runs on a connection
of its own that may read nothing but the lake's folder (DuckDB's external access off).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import sqlglot
import sqlglot.errors
from sqlglot import exp

from watchkeeper.errors import QueryError
from watchkeeper.lake.store import Lake
from watchkeeper.schema.windows import CORE_SCHEMA

#: Rows returned unless asked otherwise.
DEFAULT_LIMIT = 100
#: Extra names for views (a person types `findings` as readily as `finding`).
ALIASES = {"findings": "finding", "assets": "data_assets"}
Value = object


@dataclass(frozen=True)
class QueryResult:
    """Columns and rows of a query; ``truncated`` when more rows than ``limit`` exist."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Value, ...], ...]
    truncated: bool
    limit: int


def view_names() -> tuple[str, ...]:
    from watchkeeper.detect.sql_rules import VIEWS
    return (*VIEWS, "windows", *ALIASES)


def check_read_only(sql: str) -> exp.Query:
    """The parsed statement, if it is one query that reads only the lake's views."""
    try:
        statements = [s for s in sqlglot.parse(sql, read="duckdb") if s is not None]
    except sqlglot.errors.SqlglotError as exc:
        raise QueryError(f"query: cannot parse: {_first_line(str(exc))}") from None
    if len(statements) != 1:
        raise QueryError(f"query: one statement expected, got {len(statements)}")
    statement = statements[0]
    if not isinstance(statement, exp.Query) or statement.find(exp.Into) is not None:
        kind = statement.key.upper()
        raise QueryError(f"query: only a read-only SELECT is allowed (got {kind}); "
                         "the lake is changed by ingest and detect only")
    ctes = {c.alias_or_name.lower() for c in statement.find_all(exp.CTE)}
    allowed = set(view_names()) | ctes
    for table in statement.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):
            raise QueryError(f"query: table functions are not allowed ({table.sql('duckdb')}); "
                             f"read the views: {', '.join(view_names())}")
        if table.catalog or table.db or table.name.lower() not in allowed:
            raise QueryError(f"query: unknown table {table.sql('duckdb')!r} (views: "
                             f"{', '.join(view_names())})")
    return statement


def run_query(lake: Lake, sql: str, limit: int = DEFAULT_LIMIT) -> QueryResult:
    """Rows of ``sql`` (at most ``limit``; 0 means all) over the lake's views."""
    check_read_only(sql)
    reader = Lake(lake.root, memory_limit=lake.memory_limit, threads=lake.threads)
    con = _views(reader)
    try:
        cursor = con.execute(sql)
        rows = cursor.fetchall() if limit <= 0 else cursor.fetchmany(limit + 1)
        columns = tuple(str(d[0]) for d in cursor.description or ())
    except duckdb.Error as exc:
        raise QueryError(f"query: {_first_line(str(exc))}") from None
    finally:
        con.close()
    truncated = 0 < limit < len(rows)
    kept = rows[:limit] if limit > 0 else rows
    return QueryResult(columns, tuple(tuple(r) for r in kept), truncated, limit)


def _views(lake: Lake) -> duckdb.DuckDBPyConnection:
    """A connection with the lake's views that can read the lake's folder only."""
    from watchkeeper.detect.scan import sql_views
    con: duckdb.DuckDBPyConnection = sql_views(lake)
    if lake.rows("windows") == 0:
        con.register("windows", CORE_SCHEMA.empty_table())
    else:
        import ibis
        con.execute(f'CREATE OR REPLACE TEMP VIEW "windows" AS '
                    f"{ibis.to_sql(lake.table('windows'))}")
    for alias, name in ALIASES.items():
        con.execute(f'CREATE OR REPLACE TEMP VIEW "{alias}" AS SELECT * FROM "{name}"')
    folder = (str(lake.root.resolve()) + "/").replace("'", "''")
    con.execute(f"SET allowed_directories = ['{folder}']")
    con.execute("SET enable_external_access = false")
    return con


def _first_line(message: str) -> str:
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    return lines[0] if lines else message


__all__ = ["ALIASES", "DEFAULT_LIMIT", "QueryResult", "check_read_only", "run_query",
           "view_names"]
