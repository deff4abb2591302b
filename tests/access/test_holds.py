"""Legal holds on SQLite and PostgreSQL: placed with a reason, listed, released (the row
stays); bad input names its field and stores nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from watchkeeper.access.holds import HoldNew, listing, place, release, standing
from watchkeeper.errors import ConflictError, NotFoundError, RetentionError
from watchkeeper.security.audit_sql import AuditFilter
from watchkeeper.store.state import StateStore
from watchkeeper.workspace import Workspace

NOW = datetime(2026, 12, 7, 10, tzinfo=UTC)


def test_place_list_release(state_store: StateStore) -> None:
    with state_store.writing() as s:
        a = place(s, HoldNew("alice", date(2025, 1, 1), "litigation 42", date(2025, 6, 30),
                             case_ref="case-7"), "legal", now=NOW)
        b = place(s, HoldNew("bob", date(2025, 2, 1), "  regulator\n request "), "legal",
                  now=NOW)
    assert (a.person, a.until, a.case_ref, a.active) == ("alice", date(2025, 6, 30),
                                                         "case-7", True)
    assert b.reason == "regulator request" and b.until is None
    assert a.covers("alice", date(2025, 6, 30)) and not a.covers("alice", date(2025, 7, 1))
    with state_store.writing() as s:
        gone = release(s, a.id, "legal", now=NOW)
    assert (gone.released_by, gone.active) == ("legal", False)
    with state_store.session() as s:
        assert [h.id for h in standing(s)] == [b.id]
        assert [h.id for h in listing(s, released=True)] == [a.id, b.id]
        assert [h.id for h in listing(s, person="alice", released=True)] == [a.id]
    with state_store.writing() as s, pytest.raises(ConflictError, match="released already"):
        release(s, a.id, "legal", now=NOW)
    with state_store.writing() as s, pytest.raises(NotFoundError, match="hold 999"):
        release(s, 999, "legal", now=NOW)


@pytest.mark.parametrize(("new", "field"), [
    (HoldNew("", date(2025, 1, 1), "x"), "person"),
    (HoldNew("a b", date(2025, 1, 1), "x"), "person"),
    (HoldNew("alice", date(2025, 1, 1), " "), "reason"),
    (HoldNew("alice", date(2025, 2, 1), "x", date(2025, 1, 1)), "until"),
])
def test_bad_holds_name_their_field(state_store: StateStore, new: HoldNew,
                                    field: str) -> None:
    with state_store.writing() as s, pytest.raises(RetentionError, match=f"^{field}:"):
        place(s, new, "legal", now=NOW)
    with state_store.session() as s:
        assert listing(s, released=True) == []


def test_workspace_audits_holds(tmp_path: Path) -> None:
    ws = Workspace.open(tmp_path / "ws")
    made = ws.hold_add("alice", date(2025, 1, 1), "case 12", actor="legal", now=NOW)
    ws.hold_release(made.id, actor="legal", now=NOW)
    entries = ws.audit_entries(AuditFilter(action="hold")).items
    assert sorted((e.action, e.actor) for e in entries) == [
        ("hold.place", "legal"), ("hold.release", "legal")]
    code = ws.pseudonymizer().pseudonym("alice")
    assert {e.detail["person"] for e in entries} == {code} != {"alice"}
    assert ws.holds() == () and [h.id for h in ws.holds(released=True)] == [made.id]
