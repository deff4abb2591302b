"""Lake.table_days: an event table's rows on a span of UTC days, from those days' files."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pytest

from watchkeeper.lake import Lake
from watchkeeper.schema import class_spec


def logons(day: int, n: int = 2) -> pa.Table:
    schema = class_spec("authentication").schema
    data = {c: [None] * n for c in schema.names}
    data.update(event_id=[f"d{day}-{i}" for i in range(n)],
                time=[datetime(2025, 1, day, 9, i, tzinfo=UTC) for i in range(n)],
                source=["test"] * n, activity=["logon"] * n, user=["u1"] * n)
    data["class"] = ["authentication"] * n
    return pa.Table.from_pydict(data, schema=schema)


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    lake = Lake(tmp_path / "lake", threads=1)
    with lake.transaction("test") as txn:
        for day in range(1, 8):
            txn.stage("authentication", logons(day), 0)
        txn.commit({})
    return lake


def test_reads_only_the_days_asked(lake: Lake) -> None:
    table = lake.table_days("authentication", date(2025, 1, 3), date(2025, 1, 4))
    assert sorted(table.event_id.to_pyarrow().to_pylist()) == ["d3-0", "d3-1", "d4-0", "d4-1"]
    # the view is built over those days' files only: even an unfiltered count sees 4 rows
    assert table.count().execute() == 4
    assert lake.table("authentication").count().execute() == 14  # the full view is intact


def test_days_without_files_and_inverted_spans_are_empty(lake: Lake) -> None:
    assert lake.table_days("authentication", date(2025, 2, 1), date(2025, 2, 3)) \
        .count().execute() == 0
    assert lake.table_days("authentication", date(2025, 1, 5), date(2025, 1, 4)) \
        .count().execute() == 0
    assert "recipients" in lake.table_days("email", date(2025, 1, 1), date(2025, 1, 1)).columns


def test_refuses_tables_not_split_by_day(lake: Lake) -> None:
    with pytest.raises(KeyError, match="not partitioned by day"):
        lake.table_days("people", date(2025, 1, 1), date(2025, 1, 2))
