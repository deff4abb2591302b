"""The rules of a reveal: which roles may, what counts as a reason, regions and recusal;
and its record on SQLite and PostgreSQL: the ``reveals`` row and the ``person.reveal``
audit entry are committed together or not at all."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from helpers.accounts import AUDIT_KEY, store_audit
from watchkeeper.errors import AccessError, AuditError, PermissionDeniedError, RevealError
from watchkeeper.security import AuditLog
from watchkeeper.security.audit_sql import SqlAuditStore
from watchkeeper.security.recusal import OPERATOR, Viewer
from watchkeeper.security.reveals import check_reach, check_reason, may_reveal, record_reveal
from watchkeeper.security.roles import EVERYWHERE, Scope
from watchkeeper.store import StateStore
from watchkeeper.store.models import Reveal

EU = Scope(True, False, frozenset({"eu"}), True)
MANAGERS = {"ANA": "MGR", "MGR": "BOSS", "REP": "ANA", "OTHER": "BOSS"}


@pytest.mark.parametrize("role", ["lead", OPERATOR])
def test_leads_and_the_local_operator_may_reveal(role: str) -> None:
    may_reveal(Viewer("x", role))


@pytest.mark.parametrize("role", ["analyst", "admin", "auditor", "service", "boss"])
def test_other_roles_may_not(role: str) -> None:
    with pytest.raises(PermissionDeniedError,
                       match=f"^role {role} may not reveal pseudonyms$"):
        may_reveal(Viewer("x", role))


@pytest.mark.parametrize("text,kept", [
    ("case 12 HR call", "case 12 HR call"),
    ("  case 12:\n HR asked   for the name ", "case 12: HR asked for the name"),
    ("Legal hold for case 7, ticket LEG-91", "Legal hold for case 7, ticket LEG-91"),
    ("x" * 100 + " a b", "x" * 100 + " a b"),
])
def test_a_meaningful_reason_is_kept_with_its_spaces_made_one(text: str, kept: str) -> None:
    assert check_reason(text) == kept


@pytest.mark.parametrize("text,message", [
    (None, "reason: required"),
    ("   ", "reason: required"),
    ("because", "reason: too short: use at least 3 words and 15 characters"),
    ("case 12 HR", "reason: too short"),                  # 3 words, 10 characters
    ("investigation-of-case-12", "reason: too short"),     # 24 characters, 1 word
    ("case - - - - - - - 12", "reason: too short"),        # dashes are no words
    ("why " * 70, "reason: too long: use at most 256 characters"),
    ("case 12 HR call \x07 bell", "reason: use printable characters only"),
])
def test_no_meaningful_reason_is_refused(text: str | None, message: str) -> None:
    with pytest.raises(RevealError) as refused:
        check_reason(text)
    assert str(refused.value).startswith(message) and refused.value.field == "reason"


def test_a_person_outside_ones_regions_or_close_to_one_is_refused() -> None:
    lead = Viewer("lee", "lead", 1, "ANA", EU)
    check_reach(lead, "P-1", "OTHER", "EU", MANAGERS)
    check_reach(lead, "P-1", "OTHER", None, MANAGERS)             # unregioned
    with pytest.raises(PermissionDeniedError) as outside:
        check_reach(lead, "P-1", "OTHER", "us", MANAGERS)
    assert str(outside.value) == ("pseudonym P-1: this person is outside the regions "
                                  "lee's teams see")
    for user in ("ANA", "MGR", "BOSS", "REP"):
        with pytest.raises(AccessError) as refused:
            check_reach(lead, "P-1", user, "EU", MANAGERS)
        assert str(refused.value) == ("pseudonym P-1: lee is recused from this person "
                                      "(themselves, their management chain or a direct "
                                      "report)")
    check_reach(Viewer("cli:sam", OPERATOR, scope=EVERYWHERE), "P-1", "ANA", "us", MANAGERS)


def count(store: StateStore) -> int:
    with store.session() as s:
        return int(s.scalar(select(func.count()).select_from(Reveal)) or 0)


def test_the_row_and_the_entry_commit_together(state_store: StateStore) -> None:
    with state_store.session() as s:
        row, entry = record_reveal(s, store_audit(state_store, "lee"), "P-7KQ2-M9XD",
                                   "case 12 HR call")
    with state_store.session() as s:
        stored = s.get_one(Reveal, row.id)
        assert (stored.who, stored.whom, stored.reason) == ("lee", "P-7KQ2-M9XD",
                                                           "case 12 HR call")
    assert (entry.actor, entry.action, entry.object_type, entry.object_id) == (
        "lee", "person.reveal", "person", "P-7KQ2-M9XD")
    assert dict(entry.detail) == {"reason": "case 12 HR call", "reveal": row.id}
    report = AuditLog(SqlAuditStore(state_store), AUDIT_KEY).verify()
    assert report.ok and report.checkpoint_seq == 1
    with pytest.raises(AuditError), state_store.session() as s:
        record_reveal(s, store_audit(state_store, "lee\n"), "P-7KQ2-M9XD", "case 12 HR")
    with pytest.raises(RuntimeError), state_store.session() as s:
        record_reveal(s, store_audit(state_store, "lee"), "P-7KQ2-M9XD", "case 13 HR")
        raise RuntimeError("the answer could not be built")
    assert count(state_store) == 1
    assert AuditLog(SqlAuditStore(state_store), AUDIT_KEY).verify().last_seq == 1
