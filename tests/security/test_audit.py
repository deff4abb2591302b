"""The keyed audit chain: appends, checkpoints, and each way of tampering named."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import timedelta

import pytest

from security.audit_helpers import KEY, T0, Clock, rehash, seeded
from watchkeeper.security import (
    AuditEntry,
    AuditLog,
    BreakReason,
    HeadFile,
    MemoryAuditStore,
    entry_hash,
)
from watchkeeper.security.audit_entry import GENESIS


def test_appended_chain_verifies() -> None:
    log, store = seeded(5)
    first, second = store.rows[:2]
    assert (first.seq, first.prev_hash, second.prev_hash) == (1, GENESIS, first.hash)
    assert first.at == T0 + timedelta(seconds=1)
    assert dict(first.detail) == {"field": "timeline"}
    report = log.verify()
    assert (report.ok, report.checked, report.last_seq, report.checkpoint_seq) == (
        True, 5, 5, 5)
    assert report.message == "audit log intact: 5 entries, checkpoint at seq 5"


def test_empty_log_verifies_and_has_no_checkpoint() -> None:
    log = AuditLog(MemoryAuditStore(), KEY)
    assert log.checkpoint() is None
    assert log.verify().message == "audit log intact: 0 entries, no checkpoint yet"


def broken(store: MemoryAuditStore, rows: list, *, key: bytes = KEY) -> tuple:
    store.rows = rows
    report = AuditLog(store, key).verify()
    assert not report.ok and "\n" not in report.message
    return report.broken_seq, report.reason


@pytest.mark.parametrize("change", [
    {"actor": "someone-else"}, {"action": "case.update"}, {"object_type": "person"},
    {"object_id": "C-9"}, {"detail": {"field": "notes"}}, {"detail": {}},
    {"at": T0}, {"hash": "f" * 64},
])
def test_an_edited_field_is_named(change: dict) -> None:
    _, store = seeded()
    rows = list(store.rows)
    rows[2] = replace(rows[2], **change)
    assert broken(store, rows) == (3, BreakReason.EDITED)


def test_an_edited_seq_and_prev_hash_are_edits() -> None:
    _, store = seeded()
    rows = list(store.rows)
    assert broken(store, [*rows[:5], replace(rows[5], seq=9)]) == (6, BreakReason.EDITED)
    rows[3] = replace(rows[3], prev_hash="0" * 64)
    assert broken(store, rows) == (4, BreakReason.EDITED)


@pytest.mark.parametrize("index", [0, 2, 4])
def test_a_deleted_entry_is_named(index: int) -> None:
    _, store = seeded()
    rows = list(store.rows)
    del rows[index]
    assert broken(store, rows) == (index + 1, BreakReason.DELETED)


def test_a_deletion_hidden_by_renumbering_is_still_a_deletion() -> None:
    _, store = seeded()
    rows = list(store.rows)
    renumbered = rows[:2] + [replace(r, seq=r.seq - 1) for r in rows[3:]]
    seq, reason = broken(store, renumbered)
    assert (seq, reason) == (3, BreakReason.DELETED)
    assert "it was entry 4" in AuditLog(store, KEY).verify().why


def test_swapped_entries_are_reordered_as_lines_or_as_row_contents() -> None:
    _, store = seeded()
    rows = list(store.rows)
    lines = [*rows[:2], rows[3], rows[2], *rows[4:]]  # a file's lines swapped
    assert broken(store, lines) == (3, BreakReason.REORDERED)
    contents = [*rows[:2], replace(rows[3], seq=3), replace(rows[2], seq=4), *rows[4:]]
    assert broken(store, contents) == (3, BreakReason.REORDERED)  # SQL rows, seq kept


def test_a_chain_rehashed_without_the_key_is_named() -> None:
    _, store = seeded()
    rows = list(store.rows)
    forged = rehash([replace(rows[0], actor="nobody"), *rows[1:]], b"w" * 32)
    assert broken(store, forged) == (1, BreakReason.REHASHED)
    tail = rehash([*rows[:3], replace(rows[3], object_id="C-0"), *rows[4:]], b"w" * 32, 3)
    assert broken(store, tail) == (4, BreakReason.REHASHED)


def test_a_replaced_key_reads_as_a_rehash() -> None:
    _, store = seeded()
    assert broken(store, list(store.rows), key=b"n" * 32) == (1, BreakReason.REHASHED)


def test_a_truncated_tail_is_caught_by_the_checkpoint() -> None:
    _, store = seeded(6)
    report_of = broken(store, list(store.rows)[:4])
    assert report_of == (5, BreakReason.TRUNCATED)
    report = AuditLog(store, KEY).verify()
    assert "ends at seq 4 but the state store checkpoint" in report.why
    assert "saw seq 6" in report.why


def test_truncation_is_caught_by_the_head_file_when_the_database_is_rewritten(
        tmp_path) -> None:
    store = MemoryAuditStore()
    head = HeadFile.of_workspace(tmp_path)
    log = AuditLog(store, KEY, head=head, clock=Clock())
    for i in range(5):
        log.append("analyst", "person.read", "person", f"P-{i}")
    log.checkpoint()
    assert head.read() is not None and head.read().seq == 5
    assert (tmp_path / "keys" / "audit.head").stat().st_mode & 0o777 == 0o600
    store.rows, store.points = store.rows[:3], []  # entries and their checkpoints gone
    report = log.verify()
    assert (report.ok, report.broken_seq, report.reason) == (
        False, 4, BreakReason.TRUNCATED)
    assert "head file checkpoint" in report.message


def test_a_checkpoint_that_disagrees_with_its_entry_is_an_edit() -> None:
    log, store = seeded(4)
    store.points = [replace(store.points[0], hash="e" * 64)]
    report = log.verify()
    assert (report.broken_seq, report.reason) == (4, BreakReason.EDITED)


def test_entries_after_the_last_checkpoint_may_be_appended() -> None:
    log, _ = seeded(3)
    log.append("analyst", "case.update", "case", "C-1", {"status": "closed"})
    assert log.verify().ok


def test_concurrent_appends_keep_one_chain() -> None:
    store = MemoryAuditStore()
    log = AuditLog(store, KEY)
    barrier = threading.Barrier(4)

    def work(n: int) -> None:
        barrier.wait()
        for i in range(50):
            log.append(f"analyst{n}", "case.read", "case", f"C-{i}")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [e.seq for e in store.rows] == list(range(1, 201))
    assert log.verify().ok


@pytest.mark.parametrize(("args", "message"), [
    (("", "case.read", "case", "C-1"), "audit actor"),
    (("a", "Case Read", "case", "C-1"), "audit action"),
    (("a", "case.read", "", "C-1"), "audit object_type"),
    (("a", "case.read", "case", "x" * 300), "audit object_id"),
    (("a", "case.read", "case", "C-1", {"k": "x" * 300}), "audit detail 'k'"),
    (("a", "case.read", "case", "C-1", {f"k{i}": i for i in range(17)}), "at most 16"),
    (("a", "case.read", "case", "C-1", {"bad key": 1}), "audit detail key"),
    (("a", "case.read", "case", "C-1", {"k": [1, 2]}), "audit detail 'k'"),
])
def test_malformed_entries_are_refused(args: tuple, message: str) -> None:
    store = MemoryAuditStore()
    with pytest.raises(ValueError, match=message):
        AuditLog(store, KEY).append(*args)
    assert store.rows == []


def test_rows_round_trip_through_naive_sql_datetimes() -> None:
    """SQLite hands back naive UTC datetimes and JSON detail; the hash still holds."""
    _, store = seeded(2)
    entry = store.rows[1]
    row = entry.to_row()
    assert set(row) == {"seq", "at", "actor", "action", "object_type", "object_id",
                        "detail", "prev_hash", "hash"}
    back = AuditEntry.from_row(row | {"at": row["at"].replace(tzinfo=None)})
    assert back == entry and entry_hash(KEY, back) == entry.hash
    checkpoint = store.points[0]
    assert (checkpoint.seq, checkpoint.hash) == (2, entry.hash)
