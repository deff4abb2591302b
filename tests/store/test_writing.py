"""`StateStore.writing`: a unit of work that writes. On SQLite the process's threads
take turns for the write lock and each holds it from BEGIN, so a transaction that reads
and then writes never fails because another committed in between (with a plain
`session` SQLite refuses that write at once: "database is locked")."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from helpers.state import alert
from watchkeeper.store import StateStore
from watchkeeper.store.models import Alert
from watchkeeper.store.state import TURNS, WRITING

Unit = Callable[[], AbstractContextManager[Session]]


def increments(unit: Unit, threads: int = 6, each: int = 15) -> list[BaseException]:
    """Threads that read the counter (`Alert.duplicates`) and write it plus one."""
    errors: list[BaseException] = []
    start = threading.Barrier(threads)

    def work() -> None:
        start.wait()
        for _ in range(each):
            try:
                with unit() as s:
                    seen = s.scalar(select(Alert.duplicates))
                    s.execute(update(Alert).values(duplicates=(seen or 0) + 1))
            except BaseException as exc:  # reported by the caller
                errors.append(exc)

    running = [threading.Thread(target=work) for _ in range(threads)]
    for t in running:
        t.start()
    for t in running:
        t.join()
    return errors


def counter(store: StateStore) -> int:
    with store.session() as s:
        return int(s.scalar(select(Alert.duplicates)) or 0)


@pytest.fixture
def sqlite(store: StateStore) -> StateStore:
    if store.location.dialect != "sqlite":
        pytest.skip("the write lock is SQLite's; PostgreSQL orders writers by row locks")
    with store.session() as s:
        s.add(alert(1))
    return store


def test_read_then_write_transactions_take_turns(sqlite: StateStore) -> None:
    assert increments(sqlite.writing) == []
    assert counter(sqlite) == 6 * 15           # no increment lost, none refused


def test_the_write_lock_is_held_from_the_first_read(sqlite: StateStore) -> None:
    path = sqlite.location.sqlite_path
    assert path is not None
    with sqlite.writing() as s:
        s.scalar(select(Alert.id))             # a read: BEGIN IMMEDIATE came before it
        other = sqlite3.connect(path, timeout=0.05, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.close()


def test_a_writing_session_is_marked_and_commits(store: StateStore) -> None:
    with store.writing() as s:
        s.add(alert(2))
        assert s.info.get(WRITING) is (True if store.location.dialect == "sqlite" else None)
    with pytest.raises(RuntimeError), store.writing() as s:
        s.add(alert(3))
        raise RuntimeError("rolled back")
    with store.session() as s:
        assert list(s.scalars(select(Alert.source_ref))) == [alert(2).source_ref]


def test_processes_take_turns_on_the_writer_file(sqlite: StateStore) -> None:
    """Another process (a service worker, the CLI) cannot take the turn while this one
    writes; the file is private and the turn is given back."""
    path = sqlite.location.sqlite_path
    assert path is not None
    probe = ("import fcntl, os, sys\n"
             "fd = os.open(sys.argv[1], os.O_RDWR)\n"
             "try:\n"
             "    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)\n"
             "except BlockingIOError:\n"
             "    sys.exit(3)\n")
    turns = f"{path}{TURNS}"

    def other_process() -> int:
        return subprocess.run([sys.executable, "-c", probe, turns], check=False).returncode

    with sqlite.writing() as s:
        s.scalar(select(Alert.id))
        assert other_process() == 3                  # held: the other would wait
    assert other_process() == 0                      # given back
    assert stat.S_IMODE(os.stat(turns).st_mode) == 0o600
