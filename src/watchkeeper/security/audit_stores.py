"""Audit stores without a database: in memory (tests) and JSON lines (a workspace file),
and the head file that keeps the latest checkpoint beside the audit key.

`JsonlAuditStore` keeps ``audit.jsonl`` (one entry per line, in seq order) and
``audit-checkpoints.jsonl`` in one directory, both 0600. Appends hold an exclusive
``flock`` on ``audit.jsonl`` from reading the last entry to the fsync of the new line, so
processes sharing the file append one at a time. A line without its newline is a write
that crashed before it returned; the next append cuts it off (it was never an entry).
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO

from watchkeeper.errors import WorkspaceError
from watchkeeper.security.audit_entry import AuditCheckpoint, AuditEntry, format_at, parse_at
from watchkeeper.security.keys import Keys

ENTRIES_FILE = "audit.jsonl"
CHECKPOINTS_FILE = "audit-checkpoints.jsonl"
HEAD_FILE = "audit.head"


class MemoryAuditStore:
    """Entries and checkpoints in lists; appends serialized by a lock."""

    def __init__(self, entries: Iterable[AuditEntry] = (),
                 checkpoints: Iterable[AuditCheckpoint] = ()) -> None:
        self.rows: list[AuditEntry] = list(entries)
        self.points: list[AuditCheckpoint] = list(checkpoints)
        self._lock = threading.Lock()

    def append(self, build: Callable[[AuditEntry | None], AuditEntry]) -> AuditEntry:
        with self._lock:
            entry = build(self.rows[-1] if self.rows else None)
            self.rows.append(entry)
            return entry

    def entries(self) -> Iterator[AuditEntry]:
        return iter(list(self.rows))

    def last(self) -> AuditEntry | None:
        return self.rows[-1] if self.rows else None

    def save_checkpoint(self, checkpoint: AuditCheckpoint) -> None:
        self.points.append(checkpoint)

    def checkpoints(self) -> Sequence[AuditCheckpoint]:
        return tuple(self.points)


class JsonlAuditStore:
    """Entries and checkpoints as JSON lines in `directory`."""

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)
        self.path = self.directory / ENTRIES_FILE
        self.checkpoints_path = self.directory / CHECKPOINTS_FILE

    def __repr__(self) -> str:
        return f"JsonlAuditStore({str(self.directory)!r})"

    def append(self, build: Callable[[AuditEntry | None], AuditEntry]) -> AuditEntry:
        with _open_append(self.path) as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes
            _cut_torn_line(handle)
            last = _last_line(handle)
            entry = build(_entry(self.path, last, None) if last else None)
            _write_line(handle, entry_line(entry))
            return entry

    def entries(self) -> Iterator[AuditEntry]:
        for number, line in _lines(self.path):
            yield _entry(self.path, line, number)

    def last(self) -> AuditEntry | None:
        if not self.path.exists():
            return None
        with open(self.path, "rb") as handle:
            line = _last_line(handle)
        return _entry(self.path, line, None) if line else None

    def save_checkpoint(self, checkpoint: AuditCheckpoint) -> None:
        with _open_append(self.checkpoints_path) as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            _cut_torn_line(handle)
            _write_line(handle, checkpoint_line(checkpoint))

    def checkpoints(self) -> Sequence[AuditCheckpoint]:
        return tuple(_checkpoint(self.checkpoints_path, line, number)
                     for number, line in _lines(self.checkpoints_path))


class HeadFile:
    """The latest checkpoint as one JSON document, replaced whole (0600)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"HeadFile({str(self.path)!r})"

    @classmethod
    def of_workspace(cls, root: Path | str) -> HeadFile:
        """``<workspace>/keys/audit.head``, beside the audit key."""
        return cls(Keys(root).directory / HEAD_FILE)

    def read(self) -> AuditCheckpoint | None:
        try:
            text = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise WorkspaceError(f"{self.path}: cannot read: {exc.strerror}") from None
        return _checkpoint(self.path, text, None)

    def write(self, checkpoint: AuditCheckpoint) -> None:
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                os.fchmod(fd, 0o600)
                os.write(fd, checkpoint_line(checkpoint))
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, self.path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise WorkspaceError(f"{self.path}: cannot write: {exc.strerror}") from None


def entry_line(entry: AuditEntry) -> bytes:
    row = entry.to_row() | {"at": format_at(entry.at)}
    return _dumps(row)


def checkpoint_line(point: AuditCheckpoint) -> bytes:
    return _dumps({"seq": point.seq, "hash": point.hash, "at": format_at(point.at)})


def _dumps(doc: object) -> bytes:
    return json.dumps(doc, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8") + b"\n"


def _entry(path: Path, line: bytes, number: int | None) -> AuditEntry:
    try:
        return AuditEntry.from_row(json.loads(line))
    except (ValueError, TypeError, AttributeError) as exc:
        raise WorkspaceError(f"{_where(path, number)}: not an audit entry: {exc}") from None


def _checkpoint(path: Path, line: bytes, number: int | None) -> AuditCheckpoint:
    try:
        doc = json.loads(line)
        seq, digest = doc["seq"], doc["hash"]
        if not isinstance(seq, int) or not isinstance(digest, str):
            raise ValueError("seq or hash of the wrong type")
        return AuditCheckpoint(seq, digest, parse_at(doc["at"]))
    except (ValueError, TypeError, KeyError) as exc:
        raise WorkspaceError(f"{_where(path, number)}: not a checkpoint: {exc}") from None


def _where(path: Path, number: int | None) -> str:
    return f"{path}:{number}" if number is not None else f"{path} (last line)"


def _open_append(path: Path) -> IO[bytes]:
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise WorkspaceError(f"{path}: cannot open: {exc.strerror}") from None
    return os.fdopen(fd, "r+b")


def _lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """Complete lines (1-based numbers); a torn last line is not one."""
    if not path.exists():
        return
    with open(path, "rb") as handle:
        for number, line in enumerate(handle, 1):
            if line.endswith(b"\n"):
                yield number, line


def _cut_torn_line(handle: IO[bytes]) -> None:
    size = handle.seek(0, os.SEEK_END)
    if size == 0:
        return
    handle.seek(size - 1)
    if handle.read(1) == b"\n":
        return
    keep = _line_start(handle, size)
    handle.truncate(keep)
    handle.flush()
    os.fsync(handle.fileno())


def _last_line(handle: IO[bytes]) -> bytes | None:
    """The last complete line of the file."""
    size = handle.seek(0, os.SEEK_END)
    if size == 0:
        return None
    handle.seek(size - 1)
    end = size if handle.read(1) == b"\n" else _line_start(handle, size)
    if end == 0:
        return None
    start = _line_start(handle, end - 1)
    handle.seek(start)
    return handle.read(end - start)


def _line_start(handle: IO[bytes], end: int) -> int:
    """Offset just after the last newline before `end` (0 when there is none)."""
    position = end
    while position > 0:
        step = min(4096, position)
        handle.seek(position - step)
        found = handle.read(step).rfind(b"\n")
        if found >= 0:
            return position - step + found + 1
        position -= step
    return 0


def _write_line(handle: IO[bytes], line: bytes) -> None:
    handle.seek(0, os.SEEK_END)
    handle.write(line)
    handle.flush()
    os.fsync(handle.fileno())
