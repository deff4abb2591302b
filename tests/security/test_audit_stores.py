"""The JSON-lines audit store and the head file, tampered with as files."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import pytest

from security.audit_helpers import KEY, Clock
from watchkeeper.errors import WorkspaceError
from watchkeeper.security import AuditLog, BreakReason, HeadFile, JsonlAuditStore


def written(tmp_path: Path, n: int = 5) -> tuple[AuditLog, Path]:
    log = AuditLog(JsonlAuditStore(tmp_path / "audit"), KEY,
                   head=HeadFile.of_workspace(tmp_path), clock=Clock())
    for i in range(n):
        log.append("analyst", "case.read", "case", f"C-{i}", {"n": i, "ok": True})
    log.checkpoint()
    return log, tmp_path / "audit" / "audit.jsonl"


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines(keepends=True)


def test_entries_round_trip_and_files_are_private(tmp_path: Path) -> None:
    log, path = written(tmp_path)
    store = log.store
    assert isinstance(store, JsonlAuditStore)
    entries = list(store.entries())
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5] and store.last() == entries[-1]
    assert dict(entries[4].detail) == {"n": 4, "ok": True}
    assert json.loads(lines(path)[0])["at"] == "2025-03-01T09:00:01.000000Z"
    assert [c.seq for c in store.checkpoints()] == [5]
    assert log.verify().ok
    for name in ("audit.jsonl", "audit-checkpoints.jsonl"):
        assert (tmp_path / "audit" / name).stat().st_mode & 0o777 == 0o600


def test_an_edited_line_is_named(tmp_path: Path) -> None:
    log, path = written(tmp_path)
    text = lines(path)
    text[1] = text[1].replace('"analyst"', '"intruder"')
    path.write_text("".join(text))
    report = log.verify()
    assert (report.broken_seq, report.reason) == (2, BreakReason.EDITED)


def test_deleted_swapped_and_cut_lines_are_named(tmp_path: Path) -> None:
    log, path = written(tmp_path)
    text = lines(path)
    path.write_text("".join(text[:2] + text[3:]))
    assert (log.verify().broken_seq, log.verify().reason) == (3, BreakReason.DELETED)
    path.write_text("".join([text[0], text[2], text[1], *text[3:]]))
    assert (log.verify().broken_seq, log.verify().reason) == (2, BreakReason.REORDERED)
    path.write_text("".join(text[:3]))
    assert (log.verify().broken_seq, log.verify().reason) == (4, BreakReason.TRUNCATED)
    (tmp_path / "audit" / "audit-checkpoints.jsonl").unlink()  # the head file remembers
    assert (log.verify().broken_seq, log.verify().reason) == (4, BreakReason.TRUNCATED)


def test_a_torn_last_line_is_cut_by_the_next_append(tmp_path: Path) -> None:
    log, path = written(tmp_path, 3)
    with open(path, "a") as handle:
        handle.write('{"seq":4,"act')  # a write that crashed half way
    assert [e.seq for e in log.store.entries()] == [1, 2, 3]
    assert log.store.last() is not None and log.store.last().seq == 3
    assert log.append("analyst", "case.read", "case", "C-9").seq == 4
    assert log.verify().ok and len(lines(path)) == 4


def test_a_line_that_is_no_entry_is_named_in_one_line(tmp_path: Path) -> None:
    log, path = written(tmp_path, 2)
    path.write_text(lines(path)[0] + '{"seq": "two", "detail": {}}\n')
    with pytest.raises(WorkspaceError, match=r"audit\.jsonl:2: not an audit entry: "
                                              r"field 'seq': not an integer$"):
        log.verify()


def test_a_damaged_head_file_is_named(tmp_path: Path) -> None:
    log, _ = written(tmp_path, 2)
    (tmp_path / "keys" / "audit.head").write_text("{oops")
    with pytest.raises(WorkspaceError, match=r"audit\.head \(last line\): not a checkpoint"):
        log.verify()


def _append_many(directory: str, who: str) -> None:
    log = AuditLog(JsonlAuditStore(directory), KEY)
    for i in range(25):
        log.append(who, "case.read", "case", f"C-{i}")


def test_processes_appending_at_once_keep_one_chain(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_append_many, args=(str(tmp_path), f"a{n}"))
               for n in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert all(worker.exitcode == 0 for worker in workers)
    log = AuditLog(JsonlAuditStore(tmp_path), KEY)
    assert [e.seq for e in log.store.entries()] == list(range(1, 76))
    assert log.verify().ok
