"""DaySplitWriter: every row lands once, in its day's folder, in bounded open files."""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from watchkeeper.lake.daysplit import DaySplitWriter, day_folder, write_by_day

START = date(2025, 1, 1)


def batch(days: list[int | None], first: int) -> pa.RecordBatch:
    return pa.RecordBatch.from_pydict({
        "n": pa.array(range(first, first + len(days)), pa.int64()),
        "day": pa.array([None if d is None else START + timedelta(days=d) for d in days],
                        pa.date32()),
    })


def read_back(files: list[Path]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for f in files:
        assert "day" not in pq.read_schema(f).names  # the folder holds the day
        out.setdefault(f.parent.name, []).extend(pq.read_table(f)["n"].to_pylist())
    return out


def expected(days: list[int | None]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for n, d in enumerate(days):
        key = "day=NULL" if d is None else f"day={(START + timedelta(days=d)).isoformat()}"
        out.setdefault(key, []).append(n)
    return out


def write_all(tmp: Path, days: list[int | None], size: int, **kw: int) -> list[Path]:
    writer = DaySplitWriter(tmp, "t", "snappy", **kw)
    for i in range(0, len(days), size):
        writer.write(batch(days[i:i + size], i))
    return writer.close()


def test_time_ordered_rows_make_one_file_per_day(tmp_path: Path) -> None:
    days = [d for d in range(40) for _ in range(25)]
    files = write_all(tmp_path, days, 64)
    assert len(files) == 40
    assert read_back(files) == expected(days)  # each day's rows in their order


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_shuffled_rows_all_land_in_their_day(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    days: list[int | None] = [rng.randrange(100) for _ in range(5000)] + [None] * 7
    rng.shuffle(days)
    files = write_all(tmp_path, days, 300, max_open=4, max_buffered=500, row_group=50)
    got = read_back(files)
    assert {k: sorted(v) for k, v in got.items()} == expected(days)


def test_nulls_go_to_the_null_folder() -> None:
    assert day_folder(-2**31) == "day=NULL"
    assert day_folder(0) == "day=1970-01-01"


@pytest.mark.parametrize("seed", range(5))
def test_write_by_day_lands_every_row_once_without_empty_columns(tmp_path: Path,
                                                                 seed: int) -> None:
    rng = random.Random(seed)
    days = [rng.choice([None, 0, 1, 2, 30]) for _ in range(rng.randint(1, 60))]
    rows = batch(days, 0)
    sparse = [f"x{n}" if d == 1 and n % 2 else None for n, d in enumerate(days)]
    table = pa.Table.from_batches([rows]).append_column("sparse", pa.array(sparse, pa.string()))
    table = table.append_column("core", pa.nulls(len(days), pa.string()))
    files = write_by_day(table, tmp_path, "p", "zstd", required={"n", "core"})
    assert read_back(files) == expected(days)  # each day's rows once, in their order
    filled = {f"day={START + timedelta(days=d)}" for d, v in zip(days, sparse, strict=True)
              if v is not None}
    for f in files:
        names = pq.read_schema(f).names
        assert "core" in names  # required, though empty
        assert ("sparse" in names) == (f.parent.name in filled)
