"""Accounts, teams, tokens and browser sessions on a real store, SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import event, func, insert, select
from sqlalchemy.orm import Session

from helpers.accounts import store_audit
from watchkeeper.errors import (
    AccountError,
    AuthenticationError,
    ConflictError,
    NotFoundError,
)
from watchkeeper.security import Accounts, Role
from watchkeeper.security.passwords import verify_password
from watchkeeper.security.principals import bound
from watchkeeper.store import StateStore
from watchkeeper.store.models import Account, ApiToken, BrowserSession, TeamMember, utcnow

PASSWORD = "a long enough password"


@pytest.fixture
def store(state_store: StateStore) -> StateStore:
    """An open, migrated, empty store of each kind (tests/conftest.py)."""
    return state_store


@pytest.fixture
def accounts(store: StateStore) -> Accounts:
    return Accounts.over(store.session, store_audit(store))


def count(store: StateStore, model: type[object]) -> int:
    with store.session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_password_is_stored_as_a_salted_scrypt_hash(store: StateStore,
                                                    accounts: Accounts) -> None:
    accounts.users.add("alice", "admin", password=PASSWORD)
    accounts.users.add("carol", "lead", password=PASSWORD)
    with store.session() as s:
        hashes = dict(s.execute(select(Account.name, Account.password_hash)).all())
    assert all(h is not None and h.startswith("scrypt$") and PASSWORD not in h
               for h in hashes.values())
    assert hashes["alice"] != hashes["carol"]          # a salt per password
    assert verify_password(PASSWORD, hashes["alice"])
    assert not verify_password(PASSWORD + "x", hashes["alice"])


def test_a_clashing_or_invalid_account_writes_nothing(store: StateStore,
                                                      accounts: Accounts) -> None:
    accounts.users.add("alice", "admin")
    with pytest.raises(ConflictError, match="'Alice' already exists"):
        accounts.users.add("Alice", "analyst")
    with pytest.raises(NotFoundError, match="team 'nope'"):
        accounts.users.add("bob", "analyst", ["nope"])
    with pytest.raises(AccountError, match=r"^role: 'boss': expected one of"):
        accounts.users.add("bob", "boss")
    with pytest.raises(AccountError, match=r"^password: service accounts"):
        accounts.users.add("splunk", "service", password=PASSWORD)
    with pytest.raises(AccountError, match=r"^password: must not be the account's name"):
        accounts.users.add("averylongname", "analyst", password="AVeryLongName")
    assert [u.name for u in accounts.users.list()] == ["alice"]
    assert count(store, TeamMember) == 0


def test_token_is_shown_once_and_stored_as_its_sha256(store: StateStore,
                                                      accounts: Accounts) -> None:
    accounts.users.add("bob", "analyst")
    issued = accounts.tokens.create("bob", "laptop")
    assert issued.token.startswith("wk_") and len(issued.token) >= 46
    assert issued.token not in repr(issued)
    with store.session() as s:
        row = s.scalars(select(ApiToken)).one()
        stored = [str(v) for v in (row.hash, row.label, row.account_id)]
    assert row.hash == hashlib.sha256(issued.token.encode()).hexdigest()
    assert not any(issued.token in v for v in stored)
    listed = accounts.tokens.list("bob")
    assert [(t.id, t.user, t.label, t.revoked) for t in listed] == [
        (issued.info.id, "bob", "laptop", False)]


def test_authenticate_gives_the_principal_and_refuses_revoked_and_disabled(
        accounts: Accounts) -> None:
    accounts.teams.add("soc-eu", ["EU", "eu-west"])
    accounts.teams.add("soc-us", ["us"])
    accounts.users.add("bob", "analyst", ["soc-eu", "soc-us"])
    token = accounts.tokens.create("bob").token
    who = accounts.tokens.authenticate(token)
    assert who is not None
    assert (who.name, who.role, who.teams, who.regions) == (
        "bob", Role.ANALYST, ("soc-eu", "soc-us"), ("eu", "eu-west", "us"))
    assert accounts.tokens.get(1).last_used is not None
    assert accounts.tokens.authenticate(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert accounts.tokens.authenticate("not-a-token") is None
    accounts.users.set_disabled("bob", True)
    assert accounts.tokens.authenticate(token) is None
    accounts.users.set_disabled("bob", False)
    assert accounts.tokens.authenticate(token) is not None
    accounts.tokens.revoke(1)
    assert accounts.tokens.authenticate(token) is None
    with pytest.raises(NotFoundError, match="token 9: no such token"):
        accounts.tokens.revoke(9)


def test_teams_members_and_regions(accounts: Accounts) -> None:
    accounts.users.add("bob", "analyst")
    team = accounts.teams.add("soc-eu", ["eu", "EU", " eu-west "])
    assert team.regions == ("eu", "eu-west") and team.members == ()
    assert accounts.teams.add_member("soc-eu", "BOB").members == ("bob",)
    assert accounts.teams.add_member("soc-eu", "bob").members == ("bob",)   # no change
    assert accounts.users.get("bob").teams == ("soc-eu",)
    assert accounts.teams.remove_member("soc-eu", "bob").members == ()
    with pytest.raises(NotFoundError, match="'bob' is not in team 'soc-eu'"):
        accounts.teams.remove_member("soc-eu", "bob")
    with pytest.raises(ConflictError):
        accounts.teams.add("SOC-EU", ["us"])
    with pytest.raises(AccountError, match=r"^regions: give at least one"):
        accounts.teams.add("empty", [])
    with pytest.raises(AccountError, match=r"^regions: 'e u'"):
        accounts.teams.add("spaced", ["e u"])


def test_has_admin_counts_enabled_admins_only(accounts: Accounts) -> None:
    assert not accounts.users.has_admin()
    accounts.users.add("bob", "analyst")
    assert not accounts.users.has_admin()
    accounts.users.add("alice", "admin")
    assert accounts.users.has_admin()
    accounts.users.set_disabled("alice")
    assert not accounts.users.has_admin()


def test_browser_sessions(store: StateStore, accounts: Accounts) -> None:
    accounts.users.add("alice", "admin", password=PASSWORD)
    accounts.users.add("bob", "analyst")          # no password: no sign-in
    issued = accounts.sessions.sign_in("ALICE", PASSWORD)
    assert issued.secret.startswith("wks_") and issued.secret not in repr(issued)
    who = accounts.sessions.authenticate(issued.secret)
    assert who is not None and who.name == "alice"
    failures = []
    for name, password in (("alice", "wrong password!"), ("nobody", PASSWORD),
                           ("bob", PASSWORD)):
        with pytest.raises(AuthenticationError) as caught:
            accounts.sessions.sign_in(name, password)
        failures.append(str(caught.value))
    assert len(set(failures)) == 1              # the same answer for every kind of miss
    expired = accounts.sessions.sign_in("alice", PASSWORD, ttl=timedelta(seconds=-1))
    assert accounts.sessions.authenticate(expired.secret) is None
    assert accounts.sessions.purge_expired() == 1
    accounts.users.set_disabled("alice")          # ends every session
    assert accounts.sessions.authenticate(issued.secret) is None
    assert count(store, BrowserSession) == 0



def test_a_name_taken_between_check_and_insert_is_a_conflict(store: StateStore) -> None:
    """Another writer takes the name after our check and before our insert: the unique
    constraint catches it, and the caller gets one ConflictError line, nothing stored."""
    def racer(session: Session, context: object, instances: object) -> None:
        if any(isinstance(o, Account) for o in session.new):
            session.connection().execute(insert(Account).values(
                name="zed", role="admin", disabled=False, created_at=utcnow()))

    with (pytest.raises(ConflictError, match="account 'zed' already exists"),
          store.session() as s):
        event.listen(s, "before_flush", racer)
        Accounts.over(bound(s), store_audit(store)).users.add("zed", "analyst")
    assert count(store, Account) == 0
