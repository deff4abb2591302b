"""The audit chain in the state store, on SQLite and PostgreSQL: round trips, tampering
done with SQL, concurrent appends from threads and processes, listing."""

from __future__ import annotations

import multiprocessing
import threading
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import delete, select, update

from security.audit_helpers import KEY, T0, Clock
from watchkeeper.errors import AuditError
from watchkeeper.security import AuditLog, BreakReason, entry_hash
from watchkeeper.security.audit_sql import AuditFilter, AuditPageRequest, SqlAuditStore
from watchkeeper.store import StateStore, StoreLocation
from watchkeeper.store.models.security import AuditCheckpoint as CheckpointRow
from watchkeeper.store.models.security import AuditEntry as EntryRow


def seeded(store: StateStore, n: int = 6, *, checkpoint: bool = True) -> AuditLog:
    log = AuditLog(SqlAuditStore(store), KEY, clock=Clock())
    for i in range(n):
        log.append(f"analyst{i % 2}", "case.read" if i % 3 else "risk.explain", "case",
                   f"C-{i}", {"n": i, "ok": i % 2 == 0, "why": None, "day": "2025-03-01"})
    if checkpoint:
        log.checkpoint()
    return log


def broken(log: AuditLog) -> tuple[int | None, BreakReason | None]:
    report = log.verify()
    return report.broken_seq, report.reason


def test_entries_round_trip_with_their_types(store: StateStore) -> None:
    log = seeded(store)
    entries = list(log.store.entries())
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5, 6]
    assert dict(entries[3].detail) == {"n": 3, "ok": False, "why": None, "day": "2025-03-01"}
    assert entries[0].at == T0 + timedelta(seconds=1) and entries[0].at.tzinfo is not None
    assert log.store.last() == entries[-1]
    assert [c.seq for c in log.store.checkpoints()] == [6]
    report = log.verify()
    assert report.ok and report.checked == 6 and report.checkpoint_seq == 6


def test_a_checkpoint_of_a_recorded_seq_keeps_the_first(store: StateStore) -> None:
    log = seeded(store, 2)
    first = log.store.checkpoints()[0]
    log.checkpoint()
    again = log.store.checkpoints()
    assert again == (first,) and again[0].at == first.at


def test_an_edited_row_is_named(store: StateStore) -> None:
    log = seeded(store)
    with store.session() as s:
        s.execute(update(EntryRow).where(EntryRow.seq == 3).values(actor="intruder"))
    assert broken(log) == (3, BreakReason.EDITED)


def test_a_deleted_row_is_named(store: StateStore) -> None:
    log = seeded(store)
    with store.session() as s:
        s.execute(delete(EntryRow).where(EntryRow.seq == 2))
    assert broken(log) == (2, BreakReason.DELETED)


def test_swapped_rows_are_named(store: StateStore) -> None:
    log = seeded(store)
    with store.session() as s:   # seq is the key: move one row aside to swap the two
        s.execute(update(EntryRow).where(EntryRow.seq == 3).values(seq=-1))
        s.execute(update(EntryRow).where(EntryRow.seq == 4).values(seq=3))
        s.execute(update(EntryRow).where(EntryRow.seq == -1).values(seq=4))
    assert broken(log) == (3, BreakReason.REORDERED)


def test_a_rehashed_tail_is_named(store: StateStore) -> None:
    log = seeded(store)
    other = b"b" * 32
    entries = list(log.store.entries())
    prev = entries[2].hash
    with store.session() as s:
        for entry in entries[3:]:
            draft = replace(entry, actor="intruder" if entry.seq == 4 else entry.actor,
                            prev_hash=prev, hash="")
            prev = entry_hash(other, draft)
            s.execute(update(EntryRow).where(EntryRow.seq == entry.seq).values(
                actor=draft.actor, prev_hash=draft.prev_hash, hash=prev))
    assert broken(log) == (4, BreakReason.REHASHED)


def test_a_cut_tail_is_named_by_the_store_checkpoint(store: StateStore) -> None:
    log = seeded(store)
    with store.session() as s:
        s.execute(delete(EntryRow).where(EntryRow.seq > 4))
    assert broken(log) == (5, BreakReason.TRUNCATED)


def test_a_row_that_is_no_entry_is_one_line_naming_it(store: StateStore) -> None:
    log = seeded(store, 3)
    with store.session() as s:
        s.execute(update(EntryRow).where(EntryRow.seq == 2).values(object_id=None))
    with pytest.raises(AuditError, match=r"audit entry 2: not an audit entry: "
                                         r"field 'object_id': not text$"):
        log.verify()


def test_a_value_too_wide_for_its_column_is_refused_on_both(store: StateStore) -> None:
    log = seeded(store, 1)
    with pytest.raises(ValueError, match="audit actor: at most 200 characters"):
        log.append("a" * 201, "case.read", "case", "C-1")
    assert [e.seq for e in log.store.entries()] == [1]


def _threads_append(store: StateStore, threads: int, each: int) -> None:
    errors: list[BaseException] = []

    def work(who: str) -> None:
        log = AuditLog(SqlAuditStore(store), KEY)
        try:
            for i in range(each):
                log.append(who, "case.read", "case", f"C-{i}")
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(f"t{n}",)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []


def test_threads_appending_at_once_keep_one_chain(store: StateStore) -> None:
    _threads_append(store, 4, 15)
    log = AuditLog(SqlAuditStore(store), KEY)
    assert [e.seq for e in log.store.entries()] == list(range(1, 61))
    assert log.verify().ok


def _process_appends(location: StoreLocation, who: str) -> None:
    store = StateStore.open(location)
    try:
        log = AuditLog(SqlAuditStore(store), KEY)
        for i in range(15):
            log.append(who, "case.read", "case", f"C-{i}")
            if i % 5 == 4:
                log.checkpoint()
    finally:
        store.close()


def test_processes_appending_at_once_keep_one_chain(store: StateStore) -> None:
    store.engine.dispose()   # no pooled connection is shared with the children
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_process_appends, args=(store.location, f"p{n}"))
               for n in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert [worker.exitcode for worker in workers] == [0, 0, 0]
    log = AuditLog(SqlAuditStore(store), KEY)
    entries = list(log.store.entries())
    assert [e.seq for e in entries] == list(range(1, 46))
    assert {e.actor for e in entries} == {"p0", "p1", "p2"}
    report = log.verify()
    assert report.ok and report.checkpoint_seq is not None


def test_listing_filters_and_pages_newest_first(store: StateStore) -> None:
    seeded(store, 6)
    audit = SqlAuditStore(store)
    everything = audit.list(AuditFilter(), AuditPageRequest(limit=4))
    assert [e.seq for e in everything.items] == [6, 5, 4, 3]
    rest = audit.list(AuditFilter(), AuditPageRequest(limit=4,
                                                      cursor=everything.next_cursor))
    assert [e.seq for e in rest.items] == [2, 1] and rest.next_cursor is None
    mine = audit.list(AuditFilter(actor="analyst1"), AuditPageRequest())
    assert [e.seq for e in mine.items] == [6, 4, 2]
    assert [e.seq for e in audit.list(AuditFilter(action="case"), AuditPageRequest()).items
            ] == [6, 5, 3, 2]
    assert audit.list(AuditFilter(action="cas"), AuditPageRequest()).items == ()
    assert audit.list(AuditFilter(action="case_"), AuditPageRequest()).items == ()
    late = audit.list(AuditFilter(since=T0 + timedelta(seconds=5)), AuditPageRequest())
    assert [e.seq for e in late.items] == [6, 5]
    one = audit.list(AuditFilter(object_type="case", object_id="C-2"), AuditPageRequest())
    assert [e.seq for e in one.items] == [3]


def test_checkpoints_hold_in_their_table(store: StateStore) -> None:
    seeded(store, 3)
    with store.session() as s:
        assert s.scalars(select(CheckpointRow.seq)).all() == [3]
