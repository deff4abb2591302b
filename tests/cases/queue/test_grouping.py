"""Grouping rules: key fields and a window, applied at intake; durations parsed strictly."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from helpers.alerts_in import T0, make
from watchkeeper.cases.alerts import store_alerts
from watchkeeper.cases.grouping import (
    MAX_WINDOW,
    add_rule,
    format_window,
    list_rules,
    parse_window,
    remove_rule,
)
from watchkeeper.errors import ConfigError, NotFoundError
from watchkeeper.store import StateStore
from watchkeeper.store.models import Alert, AlertGroup, Case

RECEIVED = T0 + timedelta(days=30)


def at(minutes: float) -> dict[str, object]:
    return {"event_time": T0 + timedelta(minutes=minutes)}


def groups(store: StateStore) -> dict[str, int | None]:
    with store.session() as s:
        return {a.source_ref: a.group_id for a in s.scalars(select(Alert))}


@given(st.integers(1, MAX_WINDOW))
def test_a_window_reads_back_as_written(seconds: int) -> None:
    assert parse_window(format_window(seconds)) == seconds


@given(st.text(max_size=12))
def test_any_text_is_a_window_or_one_line_error(text: str) -> None:
    try:
        seconds = parse_window(text)
    except ConfigError as exc:
        assert "\n" not in str(exc) and str(exc).startswith("--window ")
    else:
        assert 1 <= seconds <= MAX_WINDOW


@pytest.mark.parametrize(("text", "seconds"), [("90s", 90), ("30m", 1800), ("24h", 86400),
                                               ("7d", 604800), ("1d12h", 129600),
                                               (" 2W ", 1209600)])
def test_windows(text: str, seconds: int) -> None:
    assert parse_window(text) == seconds


@pytest.mark.parametrize("text", ["", "24", "h", "1x", "1h 30m", "-1h", "0s", "400d"])
def test_bad_windows(text: str) -> None:
    with pytest.raises(ConfigError, match=r"^--window"):
        parse_window(text)


def test_alerts_within_the_window_share_a_group(store: StateStore) -> None:
    with store.session() as s:
        add_rule(s, "per-person", ["rule", "subject"], 3600)
    first = store_alerts(store, [make(1, **at(0)), make(2, **at(50))], RECEIVED)
    assert (first.new, first.grouped) == (2, 1)
    # 105 min is within an hour of the group's last alert (50), so it widens the group;
    # 300 min is not: a new group; another person at 20 min: a group of their own
    later = store_alerts(store, [make(3, **at(105)), make(4, **at(300)),
                                 make(5, subjects=("KMS9822",), **at(20))], RECEIVED)
    assert later.grouped == 1
    got = groups(store)
    assert got["a-1"] == got["a-2"] == got["a-3"]
    assert len({got["a-1"], got["a-4"], got["a-5"]}) == 3
    with store.session() as s:
        group = s.get(AlertGroup, got["a-1"])
        assert group is not None
        assert (group.first_at, group.last_at, group.alert_count) == (
            T0, T0 + timedelta(minutes=105), 3)
        assert group.key == "rule=usb_copy|subject=ACM2278"
        (info,) = list_rules(s)
        assert (info.groups, info.alerts, info.window) == (3, 5, "1h")


def test_a_late_alert_joins_and_widens_its_group_backwards(store: StateStore) -> None:
    with store.session() as s:
        add_rule(s, "by-rule", ["rule"], 3600)
    store_alerts(store, [make(1, **at(120))], RECEIVED)
    store_alerts(store, [make(2, **at(90))], RECEIVED)
    got = groups(store)
    assert got["a-1"] == got["a-2"]
    with store.session() as s:
        group = s.get(AlertGroup, got["a-1"])
        assert group is not None and group.first_at == T0 + timedelta(minutes=90)


def test_an_alert_without_the_key_fields_is_not_grouped(store: StateStore) -> None:
    with store.session() as s:
        add_rule(s, "per-host", ["host"], 3600)
        add_rule(s, "per-region", ["region"], 3600)
    store_alerts(store, [make(1, hosts=()), make(2, hosts=(), region="EU")], RECEIVED)
    got = groups(store)
    assert got["a-1"] is None and got["a-2"] is not None


def test_the_first_rule_that_applies_places_the_alert(store: StateStore) -> None:
    with store.session() as s:
        add_rule(s, "per-region", ["region"], 3600)
        add_rule(s, "per-rule", ["rule"], 3600)
    store_alerts(store, [make(1), make(2, region="EU"), make(3)], RECEIVED)
    with store.session() as s:
        keys = {a.source_ref: s.get(AlertGroup, a.group_id).key  # type: ignore[union-attr]
                for a in s.scalars(select(Alert))}
    assert keys == {"a-1": "rule=usb_copy", "a-2": "region=EU", "a-3": "rule=usb_copy"}


def test_a_joining_alert_takes_the_groups_open_case(store: StateStore) -> None:
    with store.session() as s:
        add_rule(s, "per-person", ["subject"], 86400)
    first = store_alerts(store, [make(1)], RECEIVED)
    with store.session() as s:
        case = Case(title="USB", status="in_progress", severity=4)
        s.add(case)
        s.flush()
        alert = s.get(Alert, first.alert_ids[0])
        assert alert is not None
        alert.case_id = case.id
        case_id = case.id
    second = store_alerts(store, [make(2)], RECEIVED)
    with store.session() as s:
        joined = s.get(Alert, second.alert_ids[0])
        assert joined is not None and joined.case_id == case_id
        closed = s.get(Case, case_id)
        assert closed is not None
        closed.status = "closed"
    third = store_alerts(store, [make(3)], RECEIVED)
    with store.session() as s:
        alone = s.get(Alert, third.alert_ids[0])
        assert alone is not None and alone.case_id is None
        assert alone.group_id == joined.group_id


def test_resent_alerts_are_not_grouped_twice(store: StateStore) -> None:
    with store.session() as s:
        add_rule(s, "per-rule", ["rule"], 3600)
    store_alerts(store, [make(1), make(2)], RECEIVED)
    store_alerts(store, [make(1), make(2, title="changed")], RECEIVED)
    with store.session() as s:
        (group,) = s.scalars(select(AlertGroup))
        assert group.alert_count == 2


def test_rule_management(store: StateStore) -> None:
    with store.session() as s:
        info = add_rule(s, "per-person", ["subject", "subject", "rule"], 86400)
        assert info.keys == ("subject", "rule") and info.window == "1d"
    with store.session() as s, pytest.raises(ConfigError, match=r"exists already"):
        add_rule(s, "per-person", ["rule"], 60)
    with store.session() as s, pytest.raises(ConfigError, match=r"^--key colour: expected"):
        add_rule(s, "x", ["colour"], 60)
    with store.session() as s, pytest.raises(ConfigError, match=r"^--key \(none\)"):
        add_rule(s, "x", [], 60)
    store_alerts(store, [make(1)], RECEIVED)
    with store.session() as s:
        assert remove_rule(s, "per-person").groups == 1
        assert list_rules(s) == ()
    with store.session() as s, pytest.raises(NotFoundError, match="'per-person': no such"):
        remove_rule(s, "per-person")
    assert next(iter(groups(store).values())) is not None   # the group stays
