"""The Ibis feature expressions give the same person-day features on Spark as on DuckDB."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from helpers.spark import require_spark
from ueba.lakes import ev, make_lake, person
from watchkeeper.lake import Lake
from watchkeeper.ueba import build_features

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def test_features_match_on_duckdb_and_spark(tmp_path: Path) -> None:
    require_spark()
    t = datetime(2025, 1, 6, 14)
    events = [ev("authentication", "u", t + timedelta(days=i), "logon", status="success")
              for i in range(20)]
    events += [
        ev("web", "u", t, "visit", domain="www.indeed.com", url="http://www.indeed.com/j"),
        ev("web", "u", t, "download", domain="tools.example", url="http://tools.example/k",
           content="free KEYLOGGER download"),
        ev("email", "u", t, "send", recipients=["a@gmail.com"], attachment_count=2,
           external_recipient_count=1, recipient_count=1, size=1000),
        ev("datastore", "u", t, "export", dataset="p_eu", data_region="EU",
           record_count=500, sensitivity="restricted"),
        ev("peripheral", "u", t + timedelta(days=18), "connect"),
    ]
    make_lake(tmp_path, events, [person("u", "US")])
    duck = build_features(Lake(tmp_path)).table
    spark = build_features(Lake(tmp_path, engine="pyspark")).table
    assert spark.sort_by([("user", "ascending"), ("day", "ascending")]).to_pylist() == \
        duck.sort_by([("user", "ascending"), ("day", "ascending")]).to_pylist()
