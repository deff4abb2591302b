"""Verification of an audit chain: the first broken entry, and why.

One streaming pass checks, entry by entry: the seq is the next one, ``prev_hash`` is the
previous entry's hash, and ``hash`` is the keyed HMAC of the entry's content. The first
failure is classified, with a second pass over the store only when the answer depends on
entries further on:

- **deleted**: a seq is missing (and appears nowhere), or an entry links to a hash no
  entry has while it verifies under a higher seq (entries deleted and the rest renumbered);
- **reordered**: a seq stands where an earlier one should and the earlier one is
  elsewhere, or an entry links to an entry other than the one before it;
- **rehashed**: an entry's hash does not match its content, the next entry links to that
  hash yet does not verify either (hashes recomputed with another key; also what a
  changed ``keys/audit.key`` looks like);
- **edited**: any other mismatch: a field changed under an intact link;
- **truncated**: the chain is intact but a checkpoint (state store or head file) names a
  seq beyond its last entry.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from enum import Enum
from typing import Literal

from watchkeeper.security.audit_entry import (
    GENESIS,
    AuditCheckpoint,
    AuditEntry,
    entry_hash,
    format_at,
)

Source = Literal["state store", "head file"]
MAX_RENUMBER = 64


class BreakReason(Enum):
    EDITED = "edited"
    DELETED = "deleted"
    REORDERED = "reordered"
    REHASHED = "rehashed"
    TRUNCATED = "truncated"


@dataclass(frozen=True)
class VerifyReport:
    """The outcome of `AuditLog.verify`; `message` is the one line to show."""

    ok: bool
    checked: int
    last_seq: int
    checkpoint_seq: int | None
    broken_seq: int | None = None
    reason: BreakReason | None = None
    why: str = ""

    @property
    def message(self) -> str:
        if self.ok:
            point = (f", checkpoint at seq {self.checkpoint_seq}"
                     if self.checkpoint_seq is not None else ", no checkpoint yet")
            return f"audit log intact: {self.checked} entries{point}"
        reason = self.reason.value if self.reason is not None else "broken"
        return f"audit entry {self.broken_seq}: {reason}: {self.why}"


@dataclass(frozen=True)
class _Break:
    seq: int
    reason: BreakReason
    why: str


Entries = Callable[[], Iterable[AuditEntry]]


def verify_chain(entries: Entries, key: bytes,
                 checkpoints: Sequence[tuple[AuditCheckpoint, Source]]) -> VerifyReport:
    """Verify the chain `entries()` yields (called again only to classify a break)."""
    checked, last = 0, None
    prev_hash, expected = GENESIS, 1
    stream = iter(entries())
    current = next(stream, None)
    while current is not None:
        following = next(stream, None)
        broken = _check(current, following, expected, prev_hash, key, entries)
        if broken is not None:
            return _failed(checked, last, checkpoints, broken)
        checked, last = checked + 1, current
        prev_hash, expected = current.hash, current.seq + 1
        current = following
    broken = _check_points(last, entries, checkpoints)
    if broken is not None:
        return _failed(checked, last, checkpoints, broken)
    return VerifyReport(True, checked, last.seq if last else 0, _top(checkpoints))


def _check(entry: AuditEntry, following: AuditEntry | None, expected: int,
           prev_hash: str, key: bytes, entries: Entries) -> _Break | None:
    linked = hmac.compare_digest(entry.prev_hash, prev_hash)
    if entry.seq != expected:
        return _misplaced(entry, expected, linked, entries)
    if not linked:
        return _unlinked(entry, key, entries)
    if _valid(key, entry):
        return None
    if (following is not None and hmac.compare_digest(following.prev_hash, entry.hash)
            and not _valid(key, following)):
        return _Break(entry.seq, BreakReason.REHASHED,
                      "hashes from here on were recomputed without the workspace's audit "
                      "key (or keys/audit.key was replaced)")
    return _Break(entry.seq, BreakReason.EDITED, "its content does not match its hash")


def _misplaced(entry: AuditEntry, expected: int, linked: bool,
               entries: Entries) -> _Break:
    if linked:
        return _Break(expected, BreakReason.EDITED,
                      f"its seq reads {entry.seq} but it follows entry {expected - 1}")
    if entry.seq < expected or any(e.seq == expected for e in entries()):
        return _Break(expected, BreakReason.REORDERED,
                      f"entry {entry.seq} stands where entry {expected} should")
    missing = (f"entry {expected} is" if entry.seq == expected + 1
               else f"entries {expected} to {entry.seq - 1} are")
    return _Break(expected, BreakReason.DELETED, f"{missing} missing")


def _unlinked(entry: AuditEntry, key: bytes, entries: Entries) -> _Break:
    target = next((e for e in entries() if e.hash == entry.prev_hash), None)
    if target is not None:
        return _Break(entry.seq, BreakReason.REORDERED,
                      f"it links to entry {target.seq}, not to entry {entry.seq - 1}")
    for shift in range(1, MAX_RENUMBER + 1):
        if _valid(key, replace(entry, seq=entry.seq + shift)):
            return _Break(entry.seq, BreakReason.DELETED,
                          f"{shift} entr{'y' if shift == 1 else 'ies'} before it deleted "
                          f"and the rest renumbered (it was entry {entry.seq + shift})")
    return _Break(entry.seq, BreakReason.EDITED,
                  f"its prev_hash is not the hash of entry {entry.seq - 1}")


def _check_points(last: AuditEntry | None, entries: Entries,
                  checkpoints: Sequence[tuple[AuditCheckpoint, Source]]) -> _Break | None:
    last_seq = last.seq if last is not None else 0
    inside = sorted(((p, s) for p, s in checkpoints if 0 < p.seq <= last_seq),
                    key=lambda ps: ps[0].seq)
    if inside:
        wanted = {p.seq for p, _ in inside}
        hashes = {e.seq: e.hash for e in entries() if e.seq in wanted}
        for point, source in inside:
            if not hmac.compare_digest(hashes.get(point.seq, ""), point.hash):
                return _Break(point.seq, BreakReason.EDITED,
                              f"its hash differs from the {source} checkpoint of "
                              f"{format_at(point.at)}")
    beyond = [(p, s) for p, s in checkpoints if p.seq > last_seq]
    if not beyond:
        return None
    point, source = max(beyond, key=lambda ps: ps[0].seq)
    return _Break(last_seq + 1, BreakReason.TRUNCATED,
                  f"the log ends at seq {last_seq} but the {source} checkpoint of "
                  f"{format_at(point.at)} saw seq {point.seq}")


def _valid(key: bytes, entry: AuditEntry) -> bool:
    return hmac.compare_digest(entry_hash(key, entry), entry.hash)


def _top(checkpoints: Sequence[tuple[AuditCheckpoint, Source]]) -> int | None:
    return max((p.seq for p, _ in checkpoints), default=None)


def _failed(checked: int, last: AuditEntry | None,
            checkpoints: Sequence[tuple[AuditCheckpoint, Source]],
            broken: _Break) -> VerifyReport:
    return VerifyReport(False, checked, last.seq if last else 0, _top(checkpoints),
                        broken.seq, broken.reason, broken.why)
