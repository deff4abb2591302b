"""Every account change writes one audit entry in the change's own transaction, on
SQLite and PostgreSQL: who, the action, the object, before and after; never a password,
a token or a hash of either. A change that fails leaves no entry, an entry that cannot be
written leaves no change, and a call that changes nothing records nothing."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from helpers.accounts import AUDIT_KEY, store_audit
from watchkeeper.errors import AuditError, ConflictError, NotFoundError
from watchkeeper.security import Accounts, AuditLog
from watchkeeper.security.audit_sql import SqlAuditStore
from watchkeeper.security.principals import bound
from watchkeeper.store import StateStore
from watchkeeper.store.models import Account, ApiToken

PASSWORD = "a long enough password"
Entry = tuple[str, str, str, str, dict[str, object]]


def chain(store: StateStore) -> AuditLog:
    return AuditLog(SqlAuditStore(store), AUDIT_KEY)


def entries(store: StateStore) -> list[Entry]:
    return [(e.actor, e.action, e.object_type, e.object_id, dict(e.detail))
            for e in chain(store).store.entries()]


@pytest.fixture
def accounts(state_store: StateStore) -> Accounts:
    return Accounts.over(state_store.session, store_audit(state_store, "alice"))


def test_each_kind_of_change_is_one_entry(state_store: StateStore,
                                          accounts: Accounts) -> None:
    accounts.teams.add("soc-eu", ["EU", "eu-west"])
    accounts.users.add("bob", "analyst", ["soc-eu"], password=PASSWORD)
    accounts.users.add("splunk", "service")
    accounts.users.set_disabled("bob", True)
    accounts.users.set_disabled("bob", False)
    accounts.teams.add_member("soc-eu", "splunk")
    accounts.teams.remove_member("soc-eu", "splunk")
    issued = accounts.tokens.create("splunk", "webhook")
    accounts.tokens.revoke(issued.info.id)
    token = str(issued.info.id)
    assert entries(state_store) == [
        ("alice", "team.create", "team", "soc-eu", {"regions": "eu,eu-west"}),
        ("alice", "account.create", "account", "bob",
         {"role": "analyst", "teams": "soc-eu", "password": True}),
        ("alice", "account.create", "account", "splunk",
         {"role": "service", "teams": None, "password": False}),
        ("alice", "account.disable", "account", "bob",
         {"field": "disabled", "before": False, "after": True, "sessions_ended": 0}),
        ("alice", "account.enable", "account", "bob",
         {"field": "disabled", "before": True, "after": False, "sessions_ended": 0}),
        ("alice", "team.member_add", "team", "soc-eu", {"account": "splunk"}),
        ("alice", "team.member_remove", "team", "soc-eu", {"account": "splunk"}),
        ("alice", "token.create", "token", token, {"account": "splunk", "label": "webhook"}),
        ("alice", "token.revoke", "token", token, {"account": "splunk", "label": "webhook"}),
    ]
    report = chain(state_store).verify()
    assert report.ok and report.checkpoint_seq == report.last_seq == 9   # after each commit
    with state_store.session() as s:
        secrets = [issued.token, *s.scalars(select(ApiToken.hash)),
                   *(h for h in s.scalars(select(Account.password_hash)) if h)]
    text = json.dumps(entries(state_store))
    assert PASSWORD not in text and not any(secret in text for secret in secrets)


def test_disabling_counts_the_sessions_it_ends(state_store: StateStore,
                                               accounts: Accounts) -> None:
    accounts.users.add("carol", "lead", password=PASSWORD)
    accounts.sessions.sign_in("carol", PASSWORD)
    accounts.sessions.sign_in("carol", PASSWORD)
    accounts.users.set_disabled("carol")
    assert entries(state_store)[-1][4]["sessions_ended"] == 2


def test_a_call_that_changes_nothing_records_nothing(state_store: StateStore,
                                                     accounts: Accounts) -> None:
    accounts.teams.add("soc", ["*"])
    accounts.users.add("dan", "analyst", ["soc"])
    issued = accounts.tokens.create("dan")
    accounts.tokens.revoke(issued.info.id)
    before = len(entries(state_store))
    accounts.users.set_disabled("dan", False)          # enabled already
    accounts.teams.add_member("soc", "dan")            # a member already
    accounts.tokens.revoke(issued.info.id)             # revoked already
    with pytest.raises(NotFoundError):
        accounts.teams.remove_member("soc", "nobody")
    assert len(entries(state_store)) == before


def test_a_refused_change_leaves_no_entry(state_store: StateStore,
                                          accounts: Accounts) -> None:
    accounts.users.add("erin", "admin")
    with pytest.raises(ConflictError):
        accounts.users.add("ERIN", "analyst")
    with pytest.raises(RuntimeError), state_store.session() as s:
        Accounts.over(bound(s), store_audit(state_store)).users.add("fay", "analyst")
        raise RuntimeError("the request failed after the change")   # rolls back both
    assert [e[3] for e in entries(state_store)] == ["erin"]
    with state_store.session() as s:
        assert s.scalar(select(func.count()).select_from(Account)) == 1


def test_an_entry_that_cannot_be_written_leaves_no_change(state_store: StateStore) -> None:
    accounts = Accounts.over(state_store.session, store_audit(state_store, "x" * 201))
    with pytest.raises(AuditError, match=r"cannot record account\.create in the audit log"):
        accounts.users.add("gil", "analyst")
    with state_store.session() as s:
        assert s.scalar(select(func.count()).select_from(Account)) == 0
    assert entries(state_store) == []
