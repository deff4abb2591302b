"""Engine parity: the same compiled rules give the same matches on DuckDB and PySpark.

DuckDB runs the fused sqlglot runner (``run_rules``); Spark (local mode) runs the portable
Ibis predicates (``CompiledRule.predicate``), fused into one ``SELECT`` per chunk of rules,
over a Spark table made from the same Arrow data (all SigmaHQ regression samples).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pytest

from helpers.spark import require_spark
from watchkeeper.detect import CompiledRule, RuleSet, compile_rules, connect_table, run_rules

from .conftest import SIGMA

pytestmark = pytest.mark.spark
RULES = 120
CHUNK = 100


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    require_spark()
    from watchkeeper.lake import spark as lake_spark

    yield lake_spark.session()  # the lake's own session, shared by every Spark test


@pytest.fixture(scope="module")
def events(regression_events: pa.Table) -> pa.Table:
    return regression_events


@pytest.fixture(scope="module")
def rules(corpus: RuleSet, events: pa.Table) -> list[CompiledRule]:
    """Rules with regression samples first, then others, up to RULES."""
    windows = [r for r in corpus.rules if r.logsource.product == "windows"]
    compiled = compile_rules(windows).rules
    with_sample = {p.parent.name for p in (SIGMA / "regression_data").rglob("info.yml")}
    ranked = sorted(compiled, key=lambda r: (path_stem(r.path) not in with_sample, r.rule_id))
    return ranked[:RULES]


def path_stem(path: str | None) -> str:
    return path.rsplit("/", 1)[-1].rsplit(".", 1)[0] if path else ""


def spark_matches(rules: Sequence[CompiledRule], table: ir.Table) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for start in range(0, len(rules), CHUNK):
        chunk = rules[start:start + CHUNK]
        flags = {f"r{i}": rule.predicate(table) for i, rule in enumerate(chunk)}
        result = table.select("event_id", **flags).to_pyarrow().to_pylist()
        for row in result:
            found.update((rule.rule_id, row["event_id"])
                         for i, rule in enumerate(chunk) if row[f"r{i}"])
    return found


def test_duckdb_and_spark_agree(spark: Any, events: pa.Table,
                                rules: list[CompiledRule]) -> None:
    duck = run_rules(rules, connect_table(events))
    expected = set(zip(duck["rule_id"].to_pylist(), duck["event_id"].to_pylist(), strict=True))
    con = ibis.pyspark.connect(spark)
    table = con.create_table("events", events, overwrite=True)
    assert spark_matches(rules, table) == expected
    assert len({rule for rule, _ in expected}) > 100  # the comparison is not vacuous
