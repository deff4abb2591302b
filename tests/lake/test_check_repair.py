"""A lost manifest never costs data; `check` finds what is wrong; `repair` fixes it once.

Real DuckDB and Parquet files; damage is done the way disks and people do it (a file
truncated, deleted, swapped; the manifest removed).
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from watchkeeper.errors import LakeError
from watchkeeper.lake import Lake, records
from watchkeeper.lake.check import check
from watchkeeper.lake.manifest import Manifest
from watchkeeper.lake.records import CommitRecord
from watchkeeper.lake.repair import repair
from watchkeeper.schema import DEVICES, PEOPLE, class_spec


def logons(ids: list[str], day: int = 1) -> pa.Table:
    n = len(ids)
    data: dict[str, list[object]] = {c: [None] * n
                                     for c in class_spec("authentication").schema.names}
    data.update(event_id=list(ids), source=["test"] * n, activity=["logon"] * n,
                user=["u1"] * n,
                time=[datetime(2025, 1, day, 9, i, tzinfo=UTC) for i in range(n)])
    data["class"] = ["authentication"] * n
    return pa.Table.from_pydict(data, schema=class_spec("authentication").schema)


def people(users: list[str]) -> pa.Table:
    rows = [{n: None for n in PEOPLE.schema.names} | {"user": u, "valid_from": date(2025, 1, 1)}
            for u in users]
    return pa.Table.from_pylist(rows, schema=PEOPLE.schema)


def filled(tmp_path: Path) -> Lake:
    """Three commits: events on two days, devices, and people replaced whole twice."""
    lake = Lake(tmp_path / "lake")
    with lake.transaction("test") as txn:
        txn.stage("authentication", logons(["a", "b"]), 0)
        txn.stage("authentication", logons(["c"], day=2), 0)
        txn.replace("people", people(["u1"]))
        txn.commit({"n": 1})
    with lake.transaction("test") as txn:
        txn.stage("devices", pa.Table.from_pylist(
            [{"host": "PC-1", "owner": "u1", "shared": False, "region": "EU",
              "office": "Berlin"}], schema=DEVICES.schema), 0)
        txn.replace("people", people(["u1", "u2"]))
        txn.commit({"n": 2})
    with lake.transaction("test") as txn:
        txn.stage("authentication", logons(["d"], day=3), 0)
        txn.commit({"n": 3})
    return lake


def files_on_disk(lake: Lake) -> set[str]:
    return {str(p.relative_to(lake.root)) for p in lake.root.rglob("*.parquet")
            if "damaged" not in p.parts}


def counts(lake: Lake) -> tuple[int, int, int]:
    return (lake.table("authentication").count().execute(),
            lake.table("people").count().execute(), lake.table("devices").count().execute())


def kinds(lake: Lake) -> dict[str, str]:
    return {i.path or "": i.kind for i in check(lake).issues}


def test_a_sound_lake_passes_check(tmp_path: Path) -> None:
    lake = filled(tmp_path)
    report = check(lake)
    assert report.ok and report.issues == ()
    assert (report.seq, report.files, report.rows) == (3, 5, 7)


def test_missing_manifest_stops_writers_and_readers_and_loses_nothing(tmp_path: Path) -> None:
    lake = filled(tmp_path)
    before = files_on_disk(lake)
    lake.manifest_path.unlink()
    with pytest.raises(LakeError, match=r"manifest\.json is missing.*`watchkeeper lake repair`"), \
            Lake(lake.root).transaction("test"):
        pass
    with pytest.raises(LakeError, match="watchkeeper lake repair"):
        Lake(lake.root).rows("authentication")
    assert files_on_disk(lake) == before
    assert not lake.manifest_path.exists()


def test_repair_rebuilds_the_lost_manifest_from_the_records(tmp_path: Path) -> None:
    lake = filled(tmp_path)
    original = json.loads(lake.manifest_path.read_text())
    expected = counts(lake)
    lake.close()
    lake.manifest_path.unlink()
    assert kinds(Lake(lake.root)) == {"manifest.json": "manifest"}
    report = repair(Lake(lake.root))
    assert report.rebuilt and report.moved == () and report.seq == 3
    assert json.loads(lake.manifest_path.read_text()) == original
    assert counts(Lake(lake.root)) == expected == (4, 2, 1)
    again = repair(Lake(lake.root))
    assert not again.changed
    assert check(Lake(lake.root)).ok


def test_a_lake_written_before_records_gets_them_from_its_next_writer(tmp_path: Path) -> None:
    lake = filled(tmp_path)
    expected = counts(lake)
    shutil.rmtree(lake.root / "commits")
    with Lake(lake.root).transaction("test"):  # backfills one record per manifest commit
        pass
    assert sorted(records.listing(lake.root)) == [1, 2, 3]
    lake.manifest_path.unlink()
    repair(Lake(lake.root))
    assert counts(Lake(lake.root)) == expected


def test_truncated_file_is_named_by_readers_and_check_and_moved_by_repair(
        tmp_path: Path) -> None:
    lake = filled(tmp_path)
    victim = lake.manifest().files("events/authentication")[0]
    with open(lake.root / victim.path, "r+b") as fh:
        fh.truncate(100)
    reader = Lake(lake.root)
    assert reader.table("authentication").count().execute() == 4 - victim.rows
    assert [n for n in reader.notices() if victim.path in n and "lake repair" in n]
    report = check(Lake(lake.root))
    assert not report.ok and kinds(Lake(lake.root)) == {victim.path: "damaged"}
    fixed = repair(Lake(lake.root))
    assert [(m.path, m.to) for m in fixed.moved] == [(victim.path, f"damaged/{victim.path}")]
    assert (lake.root / "damaged" / victim.path).exists()
    assert list((lake.root / "damaged").glob("repair-*.json"))
    assert check(Lake(lake.root)).ok and not repair(Lake(lake.root)).changed
    assert Lake(lake.root).table("authentication").count().execute() == 4 - victim.rows
    # the repair is a commit: its record takes the file out of a later rebuild too
    lake.manifest_path.unlink()
    repair(Lake(lake.root))
    assert check(Lake(lake.root)).ok


def test_check_finds_missing_file_wrong_rows_wrong_schema_and_lost_file(
        tmp_path: Path) -> None:
    lake = filled(tmp_path)
    auth = lake.manifest().files("events/authentication")
    (lake.root / auth[0].path).unlink()                           # missing
    device = lake.manifest().files("entities/devices")[0]
    pq.write_table(pa.table({"host": ["x"]}), lake.root / device.path)  # wrong schema
    manifest = lake.manifest()
    people_file = manifest.tables["entities/people"][0]
    manifest.tables["entities/people"][0] = type(people_file)(
        people_file.path, 99, people_file.commit)                   # wrong row count
    lost = manifest.tables["events/authentication"].pop()           # lost from the manifest
    manifest.save(lake.manifest_path)
    assert kinds(Lake(lake.root)) == {auth[0].path: "missing", device.path: "schema",
                                      people_file.path: "rows", lost.path: "lost"}
    with pytest.raises(LakeError, match=r"not listed by manifest\.json"), \
            Lake(lake.root).transaction("test"):
        pass
    assert (lake.root / lost.path).exists()
    report = repair(Lake(lake.root))
    assert report.relisted == (lost.path,)
    assert {m.path for m in report.moved} == {auth[0].path, device.path, people_file.path}
    assert check(Lake(lake.root)).ok and not repair(Lake(lake.root)).changed


def test_leftovers_of_a_crashed_writer_are_notes_and_are_cleaned(tmp_path: Path) -> None:
    lake = filled(tmp_path)
    stray = lake.root / "events/authentication/day=2025-01-01/20990101T000000-deadbeef-0.parquet"
    pq.write_table(logons(["zz"]), stray)
    record = CommitRecord(4, "20990101T000000-cafecafe", "now", "test", {},
                          added={"events/authentication": [
                              ("events/authentication/day=2025-01-01/"
                               "20990101T000000-cafecafe-0.parquet", 1)]})
    crashed = records.write(lake.root, record)  # a commit that died before its manifest
    pq.write_table(logons(["yy"]), lake.root / record.added["events/authentication"][0][0])
    report = check(Lake(lake.root))
    assert report.ok
    assert sorted(i.kind for i in report.issues) == ["crashed", "leftover", "leftover"]
    with Lake(lake.root).transaction("test"):
        pass
    assert not stray.exists() and not crashed.exists()
    assert Lake(lake.root).table("authentication").count().execute() == 4


def test_after_a_lost_manifest_unrecorded_files_go_to_damaged_not_away(
        tmp_path: Path) -> None:
    lake = filled(tmp_path)
    stray = "events/authentication/day=2025-01-01/20990101T000000-deadbeef-0.parquet"
    pq.write_table(logons(["zz"]), lake.root / stray)
    lake.manifest_path.unlink()
    report = repair(Lake(lake.root))
    assert [m.to for m in report.moved] == [f"damaged/{stray}"]
    assert (lake.root / "damaged" / stray).exists() and check(Lake(lake.root)).ok


def test_damaged_manifest_is_moved_aside_and_rebuilt(tmp_path: Path) -> None:
    lake = filled(tmp_path)
    expected = counts(lake)
    lake.manifest_path.write_text("{not json")
    assert kinds(Lake(lake.root))["manifest.json"] == "manifest"
    assert repair(Lake(lake.root)).rebuilt
    assert (lake.root / "damaged" / "manifest.json").exists()
    assert counts(Lake(lake.root)) == expected


def test_a_fresh_lake_starts_with_an_empty_manifest(tmp_path: Path) -> None:
    lake = Lake(tmp_path / "lake")
    assert lake.rows("authentication") == 0  # nothing stored: a missing manifest is fine
    assert check(lake).ok and not repair(lake).changed
    with lake.transaction("test"):
        pass
    assert Manifest.load(lake.manifest_path).seq == 0


COMMITS = st.lists(st.tuples(st.sampled_from(["events/email", "entities/people", "quarantine"]),
                             st.integers(0, 3), st.booleans()), max_size=12)


@settings(max_examples=60, deadline=None)
@given(commits=COMMITS)
def test_folding_the_records_gives_the_manifest_back(commits: list[tuple[str, int, bool]],
                                                     ) -> None:
    manifest, stored = Manifest(), []
    for seq, (table, n, replace) in enumerate(commits, start=1):
        added = {table: [(f"{table}/t{seq}-{i}.parquet", seq * 10 + i) for i in range(n)]}
        gone = {table: [f.path for f in manifest.files(table)]} if replace else {}
        record = CommitRecord(seq, f"t{seq}", "at", "k", {"i": seq},
                              {t: fs for t, fs in added.items() if fs},
                              {t: ps for t, ps in gone.items() if ps})
        records.apply(manifest, record)
        stored.append(CommitRecord.load_json(record.to_json()))
    folded = records.fold(stored)
    assert folded.gaps == [] and folded.manifest == manifest


def test_a_table_whose_every_file_is_damaged_reads_as_empty_in_sql_too(
        tmp_path: Path) -> None:
    import ibis

    lake = filled(tmp_path)
    for f in lake.manifest().files("events/authentication"):
        (lake.root / f.path).write_bytes(b"not parquet")
    reader = Lake(lake.root)
    table = reader.table("authentication")
    assert reader.rows("authentication") == 0 and len(reader.notices()) == 3
    # detection runs compiled SQL on the backend's own connection: the table must be there
    sql = str(ibis.to_sql(table.filter(table.user == "u1").count(), dialect="duckdb"))
    assert reader.ibis().raw_sql(sql).fetchall() == [(0,)]  # type: ignore[attr-defined]
