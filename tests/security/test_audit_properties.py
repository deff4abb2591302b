"""Property: any single mutation of a checkpointed chain is caught, at the first entry it
touched, with the reason that names it."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from security.audit_helpers import KEY, rehash, seeded
from watchkeeper.security import AuditEntry, AuditLog, BreakReason

FIELDS = ["seq", "at", "actor", "action", "object_type", "object_id", "detail",
          "prev_hash", "hash"]


def edited(entry: AuditEntry, name: str, salt: int) -> AuditEntry:
    changes = {
        "seq": entry.seq + 1 + salt, "at": entry.at + timedelta(microseconds=1 + salt),
        "actor": entry.actor + "x", "action": entry.action + "x",
        "object_type": entry.object_type + "x", "object_id": entry.object_id + "x",
        "detail": {**entry.detail, "extra": salt}, "prev_hash": f"{0xABC0 + salt:064x}",
        "hash": f"{0xDEF0 + salt:064x}",
    }
    return replace(entry, **{name: changes[name]})


@st.composite
def mutation(draw: st.DrawFn) -> tuple[int, list[AuditEntry], int, BreakReason]:
    n = draw(st.integers(1, 15))
    _, store = seeded(n)
    rows = list(store.rows)
    kind = draw(st.sampled_from(["edit", "delete", "swap", "rehash", "truncate"]))
    if (kind == "swap" and n < 2) or (kind == "truncate" and n < 1):
        kind = "edit"
    i = draw(st.integers(0, n - 1))
    if kind == "edit":
        rows[i] = edited(rows[i], draw(st.sampled_from(FIELDS)), draw(st.integers(0, 9)))
        return n, rows, i + 1, BreakReason.EDITED
    if kind == "delete":
        del rows[i]
        return n, rows, i + 1, BreakReason.TRUNCATED if i == n - 1 else BreakReason.DELETED
    if kind == "swap":
        j = draw(st.integers(0, n - 1).filter(lambda j: j != i))
        a, b = sorted((i, j))
        rows[a], rows[b] = rows[b], rows[a]
        return n, rows, a + 1, BreakReason.REORDERED
    if kind == "rehash":
        forged = rehash(rows, draw(st.binary(min_size=32, max_size=32)
                                   .filter(lambda k: k != KEY)), i)
        return n, forged, i + 1, BreakReason.REHASHED if i < n - 1 else BreakReason.EDITED
    return n, rows[:i], i + 1, BreakReason.TRUNCATED


@settings(max_examples=400, deadline=None)
@given(mutation())
def test_any_single_mutation_is_caught_where_it_happened(
        case: tuple[int, list[AuditEntry], int, BreakReason]) -> None:
    n, rows, seq, reason = case
    _, store = seeded(n)
    store.rows = rows
    report = AuditLog(store, KEY).verify()
    assert not report.ok
    assert (report.broken_seq, report.reason) == (seq, reason), report.message


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 15))
def test_an_untouched_chain_verifies(n: int) -> None:
    log, _ = seeded(n)
    assert log.verify().ok
