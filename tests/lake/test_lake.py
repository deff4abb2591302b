"""The lake on real DuckDB and Parquet: atomic commits, dedupe modes, recovery, errors."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pytest

from watchkeeper.errors import LakeError, WorkspaceError
from watchkeeper.lake import Lake
from watchkeeper.schema import DEVICES, class_spec


def logons(ids: list[str], day: int = 1) -> pa.Table:
    n = len(ids)
    data = {c: [None] * n for c in class_spec("authentication").schema.names}
    data.update(event_id=ids, time=[datetime(2025, 1, day, 9, i, tzinfo=UTC) for i in range(n)],
                source=["test"] * n, activity=["logon"] * n, user=["u1"] * n)
    data["class"] = ["authentication"] * n
    return pa.Table.from_pydict(data, schema=class_spec("authentication").schema)


def devices(rows: list[tuple[str, str | None]]) -> pa.Table:
    return pa.Table.from_pylist(
        [{"host": h, "owner": o, "shared": o is None, "region": "EU", "office": "Berlin"}
         for h, o in rows], schema=DEVICES.schema)


def test_empty_lake_reads_as_empty_tables(tmp_path: Path) -> None:
    lake = Lake(tmp_path / "lake")
    t = lake.table("email")
    assert t.count().execute() == 0
    assert "recipients" in t.columns and "day" in t.columns


def test_commit_dedupes_within_and_across_runs(tmp_path: Path) -> None:
    lake = Lake(tmp_path / "lake")
    with lake.transaction("test") as txn:
        txn.stage("authentication", logons(["a", "b", "a"]), 0)
        txn.stage("authentication", logons(["b", "c"], day=2), 1)
        first = txn.commit({})
    assert first.accepted == {(0, "events/authentication"): 2, (1, "events/authentication"): 1}
    with lake.transaction("test") as txn:
        txn.stage("authentication", logons(["a", "d"]), 0)
        second = txn.commit({})
    assert second.accepted == {(0, "events/authentication"): 1}
    table = lake.table("authentication")
    assert sorted(table.event_id.execute()) == ["a", "b", "c", "d"]
    assert sorted(set(table.day.to_pyarrow().to_pylist())) == [date(2025, 1, 1), date(2025, 1, 2)]
    assert lake.rows("authentication") == 4


def test_nothing_is_visible_without_commit(tmp_path: Path) -> None:
    lake = Lake(tmp_path / "lake")
    with lake.transaction("test") as txn:
        txn.stage("authentication", logons(["a"]), 0)
    assert lake.table("authentication").count().execute() == 0
    assert not list((tmp_path / "lake").rglob("*.parquet"))


def test_an_error_inside_the_transaction_discards_everything(tmp_path: Path) -> None:
    lake = Lake(tmp_path / "lake")
    with pytest.raises(RuntimeError), lake.transaction("test") as txn:
        txn.stage("authentication", logons(["a"]), 0)
        raise RuntimeError("boom")
    assert lake.rows("authentication") == 0


def test_upsert_keeps_latest_row_per_key_and_drops_identical(tmp_path: Path) -> None:
    lake = Lake(tmp_path / "lake")
    with lake.transaction("test") as txn:
        txn.stage("devices", devices([("PC-1", "u1"), ("PC-2", None)]), 0)
        txn.commit({})
    with lake.transaction("test") as txn:
        txn.stage("devices", devices([("PC-1", "u9"), ("PC-2", None)]), 0)
        result = txn.commit({})
    assert result.rows["entities/devices"] == 1  # PC-2 unchanged: a duplicate
    current = {r["host"]: r["owner"] for r in lake.table("devices").to_pyarrow().to_pylist()}
    assert current == {"PC-1": "u9", "PC-2": None}


def test_recover_removes_unlisted_files(tmp_path: Path) -> None:
    lake = Lake(tmp_path / "lake")
    with lake.transaction("test"):  # the first writer gives the lake its (empty) manifest
        pass
    stray = tmp_path / "lake" / "events" / "authentication" / "day=2025-01-01" / "x.parquet"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"half a file")
    assert lake.recover() == [stray]
    assert lake.table("authentication").count().execute() == 0


def test_damaged_manifest_is_a_clear_error(tmp_path: Path) -> None:
    lake = Lake(tmp_path / "lake")
    lake.manifest_path.write_text("{not json")
    with pytest.raises(LakeError, match="damaged manifest"):
        lake.manifest()


def test_second_writer_is_refused(tmp_path: Path) -> None:
    lake = Lake(tmp_path / "lake")
    with lake.transaction("one"), pytest.raises(WorkspaceError, match="another"), \
            Lake(tmp_path / "lake").transaction("two"):
        pass


def test_dynamic_table_unions_field_columns(tmp_path: Path) -> None:
    from watchkeeper.schema.windows import CORE_SCHEMA

    def batch(ids: list[str], fields: dict[str, list[str]]) -> pa.Table:
        core = {n: [None] * len(ids) for n in CORE_SCHEMA.names}
        core.update(event_id=ids, source=["evtx"] * len(ids),
                    time=[datetime(2025, 1, 1, tzinfo=UTC)] * len(ids))
        table = pa.Table.from_pydict(core, schema=CORE_SCHEMA)
        for name, values in fields.items():
            table = table.append_column(name, pa.array(values, pa.string()))
        return table

    lake = Lake(tmp_path / "lake")
    with lake.transaction("test") as txn:
        txn.stage("windows", batch(["e1"], {"Image": ["a.exe"]}), 0)
        txn.stage("windows", batch(["e2", "e1"], {"TargetObject": ["HKLM\\x", "dup"]}), 0)
        assert txn.commit({}).rows == {"raw/windows": 2}
    rows = {r["event_id"]: r for r in lake.table("windows").to_pyarrow().to_pylist()}
    assert rows["e1"]["Image"] == "a.exe" and rows["e1"]["TargetObject"] is None
    assert rows["e2"]["TargetObject"] == "HKLM\\x"
    assert "_file" not in rows["e1"] and rows["e1"]["day"] == date(2025, 1, 1)


def test_a_small_runs_commit_in_memory_equals_duckdbs(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A run that staged few rows is deduplicated and laid out by day in Arrow; a large
    one in DuckDB: the same rows (first of each key by file, then record; none already
    stored) on the same days, with or without rows staged by DuckDB beside them."""
    from watchkeeper.lake import transaction

    def run(name: str) -> list[object]:
        lake = Lake(tmp_path / name)
        out: list[object] = []
        with lake.transaction("test") as txn:
            txn.stage("authentication", logons(["b", "c", "b"], day=2), 1)
            txn.stage("authentication", logons(["a", "b", "d"]), 0)
            txn.stage("authentication", logons(["d", "e"], day=3), 2)
            out.append(dict(txn.commit({}).accepted))
        with lake.transaction("test") as txn:  # stored keys, and rows staged by DuckDB
            txn.stage("authentication", logons(["e", "f", "a", "g"], day=4), 0)
            pa_rows = logons(["g", "h", "c"], day=5)  # noqa: F841 (read by DuckDB below)
            relation = txn.con.sql("SELECT *, 1::INTEGER AS _file, NULL::VARCHAR AS _problem, "
                                   "NULL::VARCHAR AS _key FROM pa_rows")
            txn.stage_relation("authentication", relation)
            out.append(dict(txn.commit({}).accepted))
        rows = lake.table("authentication").to_pyarrow().to_pylist()
        out.append(sorted((r["event_id"], r["day"]) for r in rows))
        return out

    in_memory = run("memory")
    monkeypatch.setattr(transaction, "IN_MEMORY_ROWS", 0)
    assert run("duckdb") == in_memory
    first, second, rows = in_memory
    assert first == {(0, "events/authentication"): 3, (1, "events/authentication"): 1,
                     (2, "events/authentication"): 1}
    assert second == {(0, "events/authentication"): 2, (1, "events/authentication"): 1}
    assert rows == [("a", date(2025, 1, 1)), ("b", date(2025, 1, 1)), ("c", date(2025, 1, 2)),
                    ("d", date(2025, 1, 1)), ("e", date(2025, 1, 3)), ("f", date(2025, 1, 4)),
                    ("g", date(2025, 1, 4)), ("h", date(2025, 1, 5))]
