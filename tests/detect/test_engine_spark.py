"""SQL rules on Spark: the pack's SQL rules give the same findings on DuckDB and PySpark.

Each SQL rule runs on its own golden cases (every case's tables) on DuckDB and, transpiled
by sqlglot, on a local Spark session; then a whole detection run on ``Lake(engine=
"pyspark")`` is compared with the same run on DuckDB.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from helpers.spark import require_spark
from watchkeeper.detect.backtest import FIRST, LAST, case_tables
from watchkeeper.detect.engine import detect
from watchkeeper.detect.ruleset import DEFAULT_RULES, PackRule, load_pack
from watchkeeper.detect.sql_rules import (
    VIEWS,
    register_tables,
    run_sql_rule,
    run_sql_rule_spark,
    view_schema,
)
from watchkeeper.lake import Lake
from watchkeeper.schema.events import class_spec

pytestmark = pytest.mark.spark
SQL_RULES = [r for r in load_pack().rules if r.sql is not None]


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    require_spark()
    from watchkeeper.lake import spark as lake_spark

    yield lake_spark.session()


def spark_views(session: Any, tables: dict[str, pa.Table]) -> None:
    from pyspark.sql.pandas.types import from_arrow_schema

    for name in VIEWS:
        data = tables.get(name, view_schema(name).empty_table())
        frame = session.createDataFrame(data.to_pylist(), from_arrow_schema(data.schema))
        frame.createOrReplaceTempView(name)


def found(table: pa.Table) -> list[tuple[str, str, tuple[str, ...]]]:
    return sorted((str(r["time"]), str(r["user"]), tuple(r["event_refs"]))
                  for r in table.to_pylist())


@pytest.mark.parametrize("rule", SQL_RULES, ids=lambda r: r.rule_id)
def test_sql_rule_cases_agree_on_duckdb_and_spark(spark: Any, rule: PackRule) -> None:
    assert rule.sql is not None
    compared = 0
    for case in rule.tests.cases:
        tables = case_tables(rule, case)
        con = duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")
        register_tables(con, tables)
        duck = run_sql_rule(con, rule.sql, FIRST, LAST)
        spark_views(spark, tables)
        on_spark = run_sql_rule_spark(spark, rule.sql, FIRST, LAST)
        assert found(on_spark) == found(duck), case.name
        compared += duck.num_rows
    assert compared > 0  # every rule has a positive case: the comparison is not vacuous


def test_detect_sql_rules_on_a_pyspark_lake_match_duckdb(spark: Any, tmp_path: Path) -> None:
    start = datetime(2025, 1, 6, 9, tzinfo=UTC)
    auth = [{"event_id": f"a{i}", "time": start + timedelta(hours=i), "source": "test",
             "class": "authentication", "activity": "logon", "user": user, "host": host,
             "status": "success"}
            for i, (user, host) in enumerate([("U1", "PC-1"), ("U1", "PC-2"), ("U2", "PC-1"),
                                              ("U9", "PC-2"), ("U2", "PC-2")])]
    devices = [{"host": "PC-1", "owner": "U1", "shared": False},
               {"host": "PC-2", "owner": "U2", "shared": False}]
    joined = date(2020, 1, 1)
    people = [{"user": "U1", "role": "SoftwareEngineer", "manager": "U2", "valid_from": joined},
              {"user": "U9", "role": "ITAdmin", "manager": "U5", "valid_from": joined}]
    rules = [DEFAULT_RULES / "insider.access.logon_other_users_machine.yml",
             DEFAULT_RULES / "insider.behavior.first_after_hours_logon.yml"]
    reports = {}
    for engine in ("duckdb", "pyspark"):
        lake = Lake(tmp_path / engine, engine=engine)
        with lake.transaction("ingest") as txn:
            txn.stage("authentication", pa.Table.from_pylist(
                auth, schema=class_spec("authentication").schema), 0)
            txn.stage("devices", pa.Table.from_pylist(devices, schema=view_schema("devices")), 0)
            txn.stage("people", pa.Table.from_pylist(people, schema=view_schema("people")), 0)
            txn.commit({})
        reports[engine] = detect(lake, rules)
        stored = lake.table("finding").select("event_id", "rule_id").to_pyarrow()
        reports[engine + "_ids"] = sorted(stored["event_id"].to_pylist())
    assert reports["duckdb"].alerts == reports["pyspark"].alerts
    assert reports["duckdb"].alerts["insider.access.logon_other_users_machine"] == 2
    assert reports["duckdb"].suppressed == reports["pyspark"].suppressed
    assert reports["duckdb_ids"] == reports["pyspark_ids"] and reports["duckdb_ids"]
