"""Suppressions: matching alerts stored but marked, countable and findable; expiry."""

from __future__ import annotations

from datetime import timedelta

import pytest

from helpers.alerts_in import T0, make
from watchkeeper.cases.alerts import store_alerts
from watchkeeper.cases.queue import AlertQuery, list_alerts
from watchkeeper.cases.suppression import (
    add_suppression,
    lift_suppression,
    list_suppressions,
)
from watchkeeper.errors import ConfigError, NotFoundError
from watchkeeper.store import StateStore

NOW = T0 + timedelta(days=1)
WEEK = NOW + timedelta(days=7)


def suppress(store: StateStore, expires: object = WEEK, **match: str) -> int:
    with store.session() as s:
        return add_suppression(s, match, reason="USB pilot", owner="lead",
                               expires_at=expires, now=NOW).id  # type: ignore[arg-type]


def queue(store: StateStore, *status: str) -> list[str]:
    with store.session() as s:
        page = list_alerts(s, AlertQuery(status=status, sort="time", limit=100))
        return [a.source_ref for a in page.items]


def test_a_suppressed_alert_is_stored_countable_and_findable(store: StateStore) -> None:
    ident = suppress(store, rule="usb_copy", host="pc-1")
    result = store_alerts(store, [make(1), make(2, hosts=("PC-2",)),
                                  make(3, rule="other", rule_id="other")], NOW)
    assert (result.new, result.suppressed) == (3, 1)
    assert queue(store, "suppressed") == ["a-1"]
    assert queue(store, "new") == ["a-2", "a-3"]
    assert queue(store) == ["a-1", "a-2", "a-3"]
    with store.session() as s:
        page = list_alerts(s, AlertQuery(status=("suppressed",)))
        assert page.total == 1 and page.items[0].suppressed_by == ident
        assert page.items[0].status == "suppressed"
        (info,) = list_suppressions(s, NOW)
        assert (info.alerts, info.active, info.match) == (1, True, {"rule": "usb_copy",
                                                                    "host": "pc-1"})


def test_every_field_given_must_match(store: StateStore) -> None:
    suppress(store, rule="acme.usb", subject="KMS9822")
    store_alerts(store, [make(1), make(2, subjects=("KMS9822", "X"))], NOW)
    assert queue(store, "suppressed") == ["a-2"]


def test_a_suppression_applies_until_it_expires(store: StateStore) -> None:
    suppress(store, expires=NOW + timedelta(hours=1), rule="usb_copy")
    store_alerts(store, [make(1)], NOW + timedelta(minutes=59))
    store_alerts(store, [make(2)], NOW + timedelta(hours=1))
    assert queue(store, "suppressed") == ["a-1"]
    with store.session() as s:
        assert list_suppressions(s, NOW + timedelta(hours=1)) == ()
        (ended,) = list_suppressions(s, NOW + timedelta(hours=1), ended=True)
        assert not ended.active and ended.alerts == 1


def test_lifting_ends_it_and_keeps_what_it_marked(store: StateStore) -> None:
    ident = suppress(store, source="acme")
    store_alerts(store, [make(1)], NOW)
    with store.session() as s:
        lifted = lift_suppression(s, ident, NOW + timedelta(hours=1))
        assert not lifted.active and lifted.alerts == 1
    store_alerts(store, [make(2)], NOW + timedelta(hours=2))
    assert queue(store, "suppressed") == ["a-1"]
    with store.session() as s, pytest.raises(ConfigError, match=f"suppression {ident}: ended"):
        lift_suppression(s, ident, NOW + timedelta(hours=3))
    with store.session() as s, pytest.raises(NotFoundError, match="suppression 999"):
        lift_suppression(s, 999, NOW)


def test_a_resent_suppressed_alert_stays_suppressed_with_its_sources_status(
        store: StateStore) -> None:
    suppress(store, rule="usb_copy")
    store_alerts(store, [make(1)], NOW)
    store_alerts(store, [make(1, status="resolved")], NOW)
    assert queue(store, "suppressed") == ["a-1"] and queue(store, "resolved") == []


@pytest.mark.parametrize(("match", "fields", "message"), [
    ({}, {}, "^--rule: give what to suppress"),
    ({"rule": " "}, {}, "^--rule: give what to suppress"),
    ({"colour": "red"}, {}, "^suppression field 'colour'"),
    ({"rule": "r"}, {"reason": " "}, "^--reason: must not be empty"),
    ({"rule": "r"}, {"owner": ""}, "^--owner: must not be empty"),
    ({"rule": "r"}, {"expires_at": NOW}, "^--expires: it would end .* UTC, already past"),
])
def test_a_suppression_needs_a_match_reason_owner_and_future_expiry(
        store: StateStore, match: dict[str, str], fields: dict[str, object],
        message: str) -> None:
    values: dict[str, object] = {"reason": "why", "owner": "lead", "expires_at": WEEK,
                                 "now": NOW, **fields}
    with store.session() as s, pytest.raises(ConfigError, match=message):
        add_suppression(s, match, **values)  # type: ignore[arg-type]
    with store.session() as s:
        assert list_suppressions(s, NOW, ended=True) == ()
