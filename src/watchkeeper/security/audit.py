"""The append-only, keyed, hash-chained audit log.

Every read of case details and person-level data, every reveal of a pseudonym and every
change is one `AuditEntry`: who (``actor``), when (``at``, UTC), what (``action``) and on
which object (``object_type``, ``object_id``), with a small ``detail`` mapping of scalars
(a field name, a count, a reason code) and never case content, so an auditor can read the
whole log without reading any case. Record a person under watch by pseudonym, not user id.

Each entry's ``hash`` is HMAC-SHA256, keyed with the workspace's audit key
(``keys/audit.key``, outside the database), over its canonical serialization including
``prev_hash``, the hash of the entry before it (64 zeros for the first). Editing, deleting
or reordering entries breaks the chain, and re-hashing it after a change needs the key:
whoever can rewrite the database but not the ``keys`` directory cannot make a forged chain
verify. A chain verifies up to its last entry, so removing the newest entries leaves a
valid shorter chain; checkpoints catch that. `AuditLog.checkpoint` records the head (seq
and hash of the last entry) in the store *and* in ``keys/audit.head`` beside the key: a
database rewritten without its newest entries and checkpoints still disagrees with the
head file. Call it only after the entries it covers are committed (a head ahead of the
store reads as truncation), e.g. after each request that wrote entries, or each minute.
The residual risk is whoever can write ``keys/``: they hold the key and can forge
anything; ship the head to another machine (syslog, a write-once bucket) to cover that.

Storage sits behind `AuditStore`. Appends must be serialized by the store: `append`
hands the builder the last entry and stores what it returns in one atomic step (SQLite:
``BEGIN IMMEDIATE``; PostgreSQL: lock the table or the last row ``FOR UPDATE``, with
``seq`` the primary key so a racing insert fails instead of forking the chain). The SQL
tables map one to one: ``audit_entries`` takes `AuditEntry.to_row`, ``audit_checkpoints``
takes `AuditCheckpoint` (seq, hash, at).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Protocol

from watchkeeper.security.audit_entry import (
    GENESIS,
    AuditCheckpoint,
    AuditEntry,
    DetailValue,
    entry_hash,
)
from watchkeeper.security.audit_verify import Source, VerifyReport, verify_chain

MAX_DETAIL_KEYS = 16
MAX_TEXT = 256
_WORD = re.compile(r"[a-z][a-z0-9_.-]{0,63}")
_DETAIL_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


class AuditStore(Protocol):
    """Where entries and checkpoints live (memory, JSON lines, the SQL state store)."""

    def append(self, build: Callable[[AuditEntry | None], AuditEntry]) -> AuditEntry:
        """Atomically and serialized with every other append: call `build` with the
        last entry (None when empty), store its result, return it."""
        ...

    def entries(self) -> Iterator[AuditEntry]:
        """Every entry in seq order (a file store: in the order written)."""
        ...

    def last(self) -> AuditEntry | None: ...

    def save_checkpoint(self, checkpoint: AuditCheckpoint) -> None: ...

    def checkpoints(self) -> Sequence[AuditCheckpoint]: ...


class HeadStore(Protocol):
    """The copy of the latest checkpoint kept outside the database."""

    def read(self) -> AuditCheckpoint | None: ...

    def write(self, checkpoint: AuditCheckpoint) -> None: ...


def utc_now() -> datetime:
    return datetime.now(UTC)


class AuditLog:
    """Append to, checkpoint and verify one audit chain."""

    def __init__(self, store: AuditStore, key: bytes, *, head: HeadStore | None = None,
                 clock: Callable[[], datetime] = utc_now) -> None:
        self.store = store
        self._key = key
        self.head = head
        self._clock = clock

    def __repr__(self) -> str:
        return f"AuditLog({self.store!r})"

    def append(self, actor: str, action: str, object_type: str, object_id: str,
               detail: Mapping[str, DetailValue] | None = None) -> AuditEntry:
        """Record one action. ValueError when a field is malformed or ``detail`` is not
        small (at most 16 scalar values, text at most 256 characters)."""
        return self.store.append(self.builder(actor, action, object_type, object_id,
                                              detail))

    def builder(self, actor: str, action: str, object_type: str, object_id: str,
                detail: Mapping[str, DetailValue] | None = None
                ) -> Callable[[AuditEntry | None], AuditEntry]:
        """The checked, keyed step of `append` that makes the entry following the last
        one: for a store's ``append``, or `audit_sql.append_in` (the caller's
        transaction). ValueError as for `append`."""
        detail = dict(detail or {})
        _check_fields(actor, action, object_type, object_id, detail)
        at = self._clock()
        if at.tzinfo is None:
            raise ValueError("the audit clock must return an aware datetime")

        def build(last: AuditEntry | None) -> AuditEntry:
            seq, prev = (last.seq + 1, last.hash) if last is not None else (1, GENESIS)
            draft = AuditEntry(seq, at, actor, action, object_type, object_id, detail,
                               prev, "")
            return AuditEntry(seq, at, actor, action, object_type, object_id, detail,
                              prev, entry_hash(self._key, draft))

        return build

    def checkpoint(self) -> AuditCheckpoint | None:
        """Record the current head in the store and the head file; None when empty."""
        last = self.store.last()
        if last is None:
            return None
        point = AuditCheckpoint(last.seq, last.hash, self._clock())
        self.store.save_checkpoint(point)
        if self.head is not None:
            self.head.write(point)
        return point

    def verify(self) -> VerifyReport:
        """Check every entry, its link and every checkpoint (see `verify_chain`)."""
        points: list[tuple[AuditCheckpoint, Source]] = [
            (p, "state store") for p in self.store.checkpoints()]
        head = self.head.read() if self.head is not None else None
        if head is not None:
            points.append((head, "head file"))
        return verify_chain(self.store.entries, self._key, points)


def _check_fields(actor: str, action: str, object_type: str, object_id: str,
                  detail: Mapping[str, DetailValue]) -> None:
    for name, value in (("actor", actor), ("object_id", object_id)):
        if not value or len(value) > MAX_TEXT or not value.isprintable():
            raise ValueError(f"audit {name} {value!r}: 1 to {MAX_TEXT} printable characters")
    for name, value in (("action", action), ("object_type", object_type)):
        if not _WORD.fullmatch(value):
            raise ValueError(f"audit {name} {value!r}: lowercase word like 'case.read'")
    if len(detail) > MAX_DETAIL_KEYS:
        raise ValueError(f"audit detail: at most {MAX_DETAIL_KEYS} keys, not case content")
    for name, item in detail.items():
        if not isinstance(name, str) or not _DETAIL_KEY.fullmatch(name):
            raise ValueError(f"audit detail key {name!r}: an identifier")
        if not isinstance(item, str | int | bool | None) or (
                isinstance(item, str) and len(item) > MAX_TEXT):
            raise ValueError(f"audit detail {name!r}: a scalar, text up to {MAX_TEXT} chars")
