"""A token's last use is written at most once a minute, in a transaction of its own
after the read, so authenticating never fails because another writer committed between
the read and the write (SQLite refuses such a write at once); on both stores."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import event, text, update

from helpers.accounts import store_audit
from watchkeeper.security import Accounts
from watchkeeper.security.tokens import TOUCH_EVERY
from watchkeeper.store import StateStore
from watchkeeper.store.models import ApiToken


@pytest.fixture
def accounts(state_store: StateStore) -> Accounts:
    made = Accounts.over(state_store.session, store_audit(state_store),
                         writer=state_store.writing)
    made.users.add("splunk", "service")
    return made


def last_used(accounts: Accounts) -> datetime | None:
    return accounts.tokens.get(1).last_used


def set_last_used(store: StateStore, when: datetime) -> None:
    with store.session() as s:
        s.execute(update(ApiToken).values(last_used=when))


def test_last_use_is_written_once_a_minute(state_store: StateStore,
                                           accounts: Accounts) -> None:
    token = accounts.tokens.create("splunk").token
    assert last_used(accounts) is None
    assert accounts.tokens.authenticate(token) is not None
    first = last_used(accounts)
    assert first is not None
    assert accounts.tokens.authenticate(token) is not None
    assert last_used(accounts) == first                  # within the minute: no write
    older = first - TOUCH_EVERY - timedelta(seconds=1)
    set_last_used(state_store, older)
    assert accounts.tokens.authenticate(token) is not None
    later = last_used(accounts)
    assert later is not None and later > older + TOUCH_EVERY   # a minute on: written


def test_a_write_committed_between_the_read_and_the_touch(state_store: StateStore,
                                                          accounts: Accounts) -> None:
    """Another writer commits right after the token was read: the touch still lands."""
    token = accounts.tokens.create("splunk").token
    done: list[bool] = []

    def other_writer(conn: object, cursor: object, statement: str, *args: object) -> None:
        if "FROM api_tokens" in statement and not done:
            done.append(True)
            with state_store.engine.connect() as other, other.begin():
                other.execute(text("UPDATE accounts SET name = name || '-'"))

    event.listen(state_store.engine, "after_cursor_execute", other_writer)
    try:
        assert accounts.tokens.authenticate(token) is not None
    finally:
        event.remove(state_store.engine, "after_cursor_execute", other_writer)
    assert done and last_used(accounts) is not None
    assert [a.name for a in accounts.users.list()] == ["splunk-"]


def test_requests_arriving_together_all_pass(accounts: Accounts) -> None:
    token = accounts.tokens.create("splunk").token
    results: list[object] = []
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def call() -> None:
        start.wait()
        try:
            results.append(accounts.tokens.authenticate(token))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(results) == 8 and None not in results
    assert last_used(accounts) is not None
