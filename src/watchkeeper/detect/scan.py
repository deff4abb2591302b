"""Reading the lake for detection: day windows, the events behind hits, SQL views.

The views (:func:`sql_views`, :func:`spark_views`) name each rule table as in the lake
(``authentication``, …, ``finding``, ``people``, ``devices``, ``data_assets``), so SQL
rules and hunting queries read the same tables.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from watchkeeper.detect.sql_rules import (
    MATCH_SCHEMA,
    VIEWS,
    SqlRule,
    run_sql_rule,
    run_sql_rule_spark,
    to_json,
    view_schema,
)
from watchkeeper.errors import RuleError
from watchkeeper.lake.store import Lake

BEGINNING = date(1970, 1, 1)
END = datetime(9999, 1, 1, tzinfo=UTC)


def window(table: ir.Table, start: date) -> ir.Table:
    return table.filter(table.day >= start) if start > BEGINNING else table


def count(table: ir.Table, start: date) -> int:
    return int(window(table, start).count().execute())


def events_of(table: ir.Table, hits: pa.Table) -> pa.Table:
    """The event rows behind ``hits`` (by ``event_id``)."""
    ids = ibis.memtable(pa.table({"wk_id": hits["event_id"]}).group_by("wk_id").aggregate([]))
    return table.filter(table.event_id.isin(ids.wk_id)).to_pyarrow()


def sigma_matches(hits: pa.Table, events: pa.Table) -> pa.Table:
    """Sigma hits (``rule_id, event_id, time``) as match rows; ``raw`` is the event."""
    rows = {str(r["event_id"]): {k: v for k, v in r.items() if v not in (None, [])}
            for r in events.to_pylist()}
    out: dict[str, list[object]] = {f.name: [] for f in MATCH_SCHEMA}
    for hit in hits.select(["rule_id", "event_id", "time"]).to_pylist():
        event = rows.get(hit["event_id"], {})
        for key, value in (("rule_id", hit["rule_id"]), ("time", hit["time"]),
                           ("user", event.get("user")), ("host", event.get("host")),
                           ("event_refs", [hit["event_id"]]), ("window_start", None),
                           ("raw", to_json(event))):
            out[key].append(value)
    return pa.table(out, schema=MATCH_SCHEMA)


SqlRunner = Callable[[SqlRule, datetime, datetime], pa.Table]


def sql_runner(lake: Lake) -> SqlRunner:
    """Runs SQL rules on the lake's engine: DuckDB, or Spark SQL (sqlglot-transpiled)."""
    if lake.engine == "pyspark":
        session = spark_views(lake)
        return lambda rule, start, end: run_sql_rule_spark(session, rule, start, end)
    con = sql_views(lake)
    return lambda rule, start, end: run_sql_rule(con, rule, start, end)


def sql_views(lake: Lake) -> Any:
    """The lake's DuckDB connection with one view per rule table."""
    backend = lake.ibis()
    con = getattr(backend, "con", None)
    if con is None:
        raise RuleError(f"SQL rules: no DuckDB connection on engine {lake.engine!r}")
    for name in VIEWS:
        expr = lake.table(name)
        if lake.rows(name) == 0:
            con.register(name, view_schema(name).empty_table())
        else:
            con.execute(f'CREATE OR REPLACE TEMP VIEW "{name}" AS {ibis.to_sql(expr)}')
    return con


def spark_views(lake: Lake) -> Any:
    """The lake's Spark session with one temporary view per rule table."""
    from pyspark.sql.pandas.types import from_arrow_schema

    from watchkeeper.lake import spark

    lake.ibis()
    session = spark.session()
    for name in VIEWS:
        if lake.rows(name) == 0:
            schema = from_arrow_schema(view_schema(name))
            session.createDataFrame([], schema).createOrReplaceTempView(name)
        else:
            sql = ibis.to_sql(lake.table(name), dialect="pyspark")
            session.sql(str(sql)).createOrReplaceTempView(name)
    return session


__all__ = ["BEGINNING", "END", "SqlRunner", "count", "events_of", "sigma_matches",
           "spark_views", "sql_runner", "sql_views", "window"]
