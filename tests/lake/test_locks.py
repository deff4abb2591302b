"""Writers wait for each other when asked to; readers never fail because a writer runs."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from watchkeeper.errors import WorkspaceError
from watchkeeper.lake import Lake, table_spec
from watchkeeper.lake.check import check

from .test_check_repair import filled, people


def hold_writer_lock(root: Path, seconds: float) -> tuple[threading.Thread, threading.Event]:
    """Another writer (its own lock descriptor) holding the lock for `seconds`."""
    held, release = threading.Event(), threading.Event()

    def run() -> None:
        with Lake(root).writer_lock():
            held.set()
            release.wait(seconds)

    thread = threading.Thread(target=run)
    thread.start()
    assert held.wait(10)
    return thread, release


def test_second_writer_waits_when_asked(tmp_path: Path) -> None:
    lake = filled(tmp_path)
    thread, _ = hold_writer_lock(lake.root, 1.0)
    try:
        with pytest.raises(WorkspaceError, match="another Watchkeeper process is writing"), \
                Lake(lake.root).transaction("test"):
            pass
        with Lake(lake.root).transaction("test", wait=10) as txn:  # lock freed after ~1 s
            txn.replace("people", people(["u9"]))
            assert txn.commit({}).seq == 4
    finally:
        thread.join()


def test_wait_that_runs_out_says_how_long(tmp_path: Path) -> None:
    lake = filled(tmp_path)
    thread, release = hold_writer_lock(lake.root, 30.0)
    try:
        with pytest.raises(WorkspaceError, match=r"waited 0\.2 s.*--wait SECONDS"), \
                Lake(lake.root).transaction("test", wait=0.2):
            pass
    finally:
        release.set()
        thread.join()


def test_reader_works_while_a_writer_holds_the_lock(tmp_path: Path) -> None:
    lake = filled(tmp_path)
    with Lake(lake.root).transaction("test") as txn:
        txn.replace("people", people(["u7"]))
        assert Lake(lake.root).table("people").count().execute() == 2
        txn.commit({})
        assert Lake(lake.root).table("people").count().execute() == 1


def test_superseded_files_outlive_the_readers_that_may_use_them(tmp_path: Path) -> None:
    lake = filled(tmp_path)
    reader = Lake(lake.root)
    before = reader.table("people")            # a view over the current people file
    old = reader.manifest().files("entities/people")[0].path
    with Lake(lake.root).transaction("test") as txn:
        txn.replace("people", people(["u1", "u2", "u3"]))
        txn.commit({})
    assert (lake.root / old).exists()          # the reader may still read it
    assert before.count().execute() == 2
    assert reader.table("people").count().execute() == 3  # a new read sees the commit
    report = check(Lake(lake.root))
    assert report.ok and [(i.kind, i.path) for i in report.issues] == [("superseded", old)]
    reader.close()
    with Lake(lake.root).transaction("test"):  # no reader left: the next writer deletes it
        pass
    assert not (lake.root / old).exists() and check(Lake(lake.root)).issues == ()


def test_a_read_follows_a_commit_that_landed_after_its_manifest(tmp_path: Path) -> None:
    lake = filled(tmp_path)
    reader = Lake(lake.root)
    stale = reader.manifest()
    reader.close()                             # as if the commit came between two steps
    with Lake(lake.root).transaction("test") as txn:
        txn.replace("people", people(["u5"]))
        txn.commit({})
    assert not (lake.root / stale.files("entities/people")[0].path).exists()
    table = reader._load(table_spec("people"), stale)
    assert table.count().execute() == 1 and reader.notices() == []
