"""SQL rules: loading errors name file and rule, parameters, transpiling for Spark."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from watchkeeper.detect.ruleset import load_pack
from watchkeeper.detect.sql_rules import (
    parse_sql_rule,
    register_tables,
    run_sql_rule,
    transpile,
    view_schema,
)
from watchkeeper.errors import RuleError

META = {"name": "test.sql.rule", "title": "t"}


def test_missing_columns_name_the_rule() -> None:
    with pytest.raises(RuleError, match=r"x\.yml: rule test\.sql\.rule: .*event_id or event_refs"):
        parse_sql_rule({**META, "query": 'SELECT time, "user", host FROM web'}, "x.yml")


def test_unknown_table_and_bad_sql_are_rule_errors() -> None:
    with pytest.raises(RuleError, match="unknown table"):
        parse_sql_rule({**META, "query": 'SELECT event_id, time, "user", host FROM nope'})
    with pytest.raises(RuleError, match="does not parse"):
        parse_sql_rule({**META, "query": "SELECT FROM WHERE ("})


def test_window_parameters_limit_reported_events() -> None:
    rule = parse_sql_rule({**META, "query": 'SELECT event_id, time, "user", host FROM web '
                                            "WHERE time >= $start AND time < $end"})
    schema = view_schema("web")
    times = [datetime(2025, 1, d, tzinfo=UTC) for d in (1, 5, 9)]
    data = pa.table({n: [None] * 3 for n in schema.names}, schema=schema).set_column(
        0, "event_id", pa.array(["a", "b", "c"])).set_column(
        1, "time", pa.array(times, schema.field("time").type))
    con = duckdb.connect()
    register_tables(con, {"web": data})
    got = run_sql_rule(con, rule, datetime(2025, 1, 4, tzinfo=UTC),
                       datetime(2025, 1, 8, tzinfo=UTC))
    assert got["event_refs"].to_pylist() == [["b"]]
    assert got["rule_id"].to_pylist() == ["test.sql.rule"]


def test_pack_sql_rules_transpile_to_spark() -> None:
    sql = [r.sql for r in load_pack().rules if r.sql is not None]
    assert len(sql) >= 5
    for rule in sql:
        assert "SELECT" in transpile(rule, "spark").upper()


def test_broken_rule_file_is_reported_with_path(tmp_path: Path) -> None:
    (tmp_path / "a.b.yml").write_text("name: a.b\nquery: 'SELECT 1'\n", encoding="utf-8")
    errors = load_pack([tmp_path]).errors
    assert errors and all("a.b.yml" in str(e) for e in errors)
