"""A seeded audit chain and the ways to tamper with it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from watchkeeper.security import AuditEntry, AuditLog, MemoryAuditStore, entry_hash

KEY = b"a" * 32
T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


class Clock:
    """One second per reading, from T0."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def seeded(n: int = 6, *, checkpoint: bool = True) -> tuple[AuditLog, MemoryAuditStore]:
    store = MemoryAuditStore()
    log = AuditLog(store, KEY, clock=Clock())
    for i in range(n):
        log.append(f"analyst{i % 2}", "case.read", "case", f"C-{i}", {"field": "timeline"})
    if checkpoint:
        log.checkpoint()
    return log, store


def rehash(entries: list[AuditEntry], key: bytes, start: int = 0) -> list[AuditEntry]:
    """The chain from `start` on re-hashed with `key` (what a forger without ours does)."""
    out = entries[:start]
    for entry in entries[start:]:
        prev = out[-1].hash if out else entry.prev_hash
        draft = replace(entry, prev_hash=prev, hash="")
        out.append(replace(draft, hash=entry_hash(key, draft)))
    return out
