"""The violation checks find the same violations on Spark as on DuckDB."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from access.test_violations import T, ds, window
from helpers.spark import require_spark
from ueba.lakes import make_lake, person
from watchkeeper.access.violations import detect, windows_table
from watchkeeper.lake import Lake

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def test_violations_match_on_duckdb_and_spark(tmp_path: Path) -> None:
    require_spark()
    events = [ds("a", T, dataset="p_eu", region="EU"), ds("b", T + timedelta(days=3)),
              ds("gone", T + timedelta(days=9)),
              ds("m", T, "export", "p_us", "US", 500),
              ds("m", T + timedelta(hours=1), "write", "p_eu", "EU", 500)]
    peers = ("v", "p1", "p2", "p3", "p4", "p5")
    for d in range(12):   # two reads a day each; v fifteen on the last three days
        for u in peers:
            n = 15 if u == "v" and d >= 9 else 2
            events += [ds(u, T + timedelta(days=d, minutes=k)) for k in range(n)]
    people = [person(u, "US", role="Admin") for u in ("a", "b", "m", *peers)]
    people.append(person("gone", "US", end_date=T.date()))
    make_lake(tmp_path, events, people)
    w = windows_table([window(u) for u in ("gone", "m", *peers)] +
                      [window("a", "p_us"), window("b", end=T + timedelta(days=1))])
    duck = detect(Lake(tmp_path), w).to_pylist()
    spark = detect(Lake(tmp_path, engine="pyspark"), w).to_pylist()
    assert sorted((r["kind"], r["user"]) for r in duck) == [
        ("cross_region", "a"), ("expired_grant", "b"), ("leaver", "gone"), ("movement", "m"),
        ("no_grant", "a"), ("volume", "v")]
    assert spark == duck
