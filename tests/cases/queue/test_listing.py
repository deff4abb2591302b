"""`list_alerts` and `show_alert`: filters, sorts and cursor paging on both stores."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from helpers.alerts_in import T0, make
from watchkeeper.cases import queue
from watchkeeper.cases.alerts import store_alerts
from watchkeeper.cases.model import AlertIn, Severity
from watchkeeper.cases.queue import SORTS, AlertPage, AlertQuery, list_alerts, show_alert
from watchkeeper.errors import ConfigError, NotFoundError, PagingError
from watchkeeper.store import StateStore
from watchkeeper.store.models import Alert, AlertGroup, Suppression

NOW = T0 + timedelta(days=10)
ALERTS = [
    make(1, severity=Severity.LOW, source="splunk"),
    make(2, severity=Severity.CRITICAL, rule="exfil", rule_id="acme.exfil",
         subjects=("KMS9822",)),
    make(3, severity=Severity.HIGH, status="resolved", hosts=("PC-9",)),
    make(4, severity=Severity.HIGH, status="in_progress", subjects=("ACM2278", "KMS9822"),
         event_time=T0 + timedelta(days=2)),
    make(5, severity=Severity.MEDIUM, source="splunk", hosts=()),
]


def refs(store: StateStore, **query: object) -> list[str]:
    with store.session() as s:
        page = list_alerts(s, AlertQuery(**{"sort": "time", **query}))  # type: ignore[arg-type]
        return [a.source_ref for a in page.items]


def refs_page(store: StateStore, **query: object) -> AlertPage:
    with store.session() as s:
        return list_alerts(s, AlertQuery(**{"sort": "time", **query}))  # type: ignore[arg-type]


@pytest.fixture
def filled(store: StateStore) -> StateStore:
    store_alerts(store, ALERTS, NOW)
    return store


@pytest.mark.parametrize(("query", "expected"), [
    ({}, ["a-1", "a-2", "a-3", "a-5", "a-4"]),
    ({"status": ("new",)}, ["a-1", "a-2", "a-5"]),
    ({"status": ("resolved", "in_progress")}, ["a-3", "a-4"]),
    ({"severity": (4,)}, ["a-3", "a-4"]),
    ({"severity": (4, 5)}, ["a-2", "a-3", "a-4"]),
    ({"rule": "exfil"}, ["a-2"]),
    ({"rule": "acme.usb"}, ["a-1", "a-3", "a-5", "a-4"]),
    ({"source": "splunk"}, ["a-1", "a-5"]),
    ({"subjects": ("KMS9822",)}, ["a-2", "a-4"]),
    ({"subjects": ()}, []),
    ({"host": "pc-9"}, ["a-3"]),
    ({"since": T0 + timedelta(minutes=3)}, ["a-3", "a-5", "a-4"]),
    ({"until": T0 + timedelta(minutes=3)}, ["a-1", "a-2"]),
    ({"status": ("new",), "severity": (2, 3), "source": "splunk"}, ["a-1", "a-5"]),
    ({"sort": "-time"}, ["a-4", "a-5", "a-3", "a-2", "a-1"]),
    ({"sort": "-severity"}, ["a-2", "a-4", "a-3", "a-5", "a-1"]),
    ({"sort": "severity"}, ["a-1", "a-5", "a-3", "a-4", "a-2"]),
])
def test_filters_and_sorts(filled: StateStore, query: dict[str, object],
                           expected: list[str]) -> None:
    assert refs(filled, **query) == expected


def test_the_total_counts_every_page(filled: StateStore) -> None:
    with filled.session() as s:
        page = list_alerts(s, AlertQuery(status=("new",), limit=2))
    assert (len(page.items), page.total) == (2, 3) and page.next_cursor is not None


def test_a_long_list_says_its_total_is_a_lower_bound(
        filled: StateStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(queue, "TOTAL_CAP", 3)
    with filled.session() as s:
        capped = list_alerts(s, AlertQuery(limit=2))
        exact = list_alerts(s, AlertQuery(status=("new",), limit=2))
    assert (capped.total, capped.total_exact) == (3, False)
    assert (exact.total, exact.total_exact) == (3, True)


def test_a_rule_value_finds_rule_names_and_rule_ids_alike(store: StateStore) -> None:
    """The rule filter picks the column(s) holding the value; the answer is the same as
    `rule = value OR rule_id = value` whichever it picks, on every page."""
    store_alerts(store, [make(1, rule="x", rule_id="x"),       # Splunk: the name in both
                         make(2, rule="other", rule_id="x"),   # x as another rule's id
                         make(3, rule="x", rule_id="id-3"),
                         make(4, rule=None, rule_id="x"),
                         make(5, rule="y", rule_id="y"),
                         make(6, rule="y", rule_id="y")], NOW)
    assert refs(store, rule="x") == ["a-1", "a-2", "a-3", "a-4"]
    assert refs(store, rule="y") == ["a-5", "a-6"]
    assert refs(store, rule="id-3") == ["a-3"]
    assert refs(store, rule="other") == ["a-2"]
    assert refs(store, rule="nothing") == []
    first = refs_page(store, rule="x", limit=3)
    assert refs_page(store, rule="x", limit=3, cursor=first.next_cursor).items[0] \
        .source_ref == "a-4"


@pytest.mark.parametrize(("query", "message"), [
    ({"status": ("open",)}, "^--status 'open': expected one of new, "),
    ({"sort": "colour"}, "^--sort 'colour': expected one of -time, "),
])
def test_bad_options_are_one_line(filled: StateStore, query: dict[str, object],
                                  message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        refs(filled, **query)


def test_a_cursor_from_elsewhere_is_refused(filled: StateStore) -> None:
    with pytest.raises(PagingError, match="not a cursor of this list"):
        refs(filled, cursor="bm9wZQ==")


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 6), st.sampled_from(
    ["new", "resolved"])), max_size=30), st.integers(1, 7), st.sampled_from(sorted(SORTS)),
    st.sampled_from([(), ("new",)]))
def test_paging_through_every_page_yields_every_alert_once(
        store: StateStore, shape: list[tuple[int, int, str]], limit: int, sort: str,
        status: tuple[str, ...]) -> None:
    with store.session() as s:
        s.execute(delete(Alert))
    # equal times and severities on purpose: ties must not repeat or skip rows
    batch = [make(i, event_time=T0 + timedelta(hours=hour), severity=Severity(sev),
                  status=st_) for i, (hour, sev, st_) in enumerate(shape)]
    ids = dict(zip((a.source_ref for a in batch), store_alerts(store, batch, NOW).alert_ids,
                   strict=True))
    wanted = [a for a in batch if not status or a.status in status]
    seen: list[str] = []
    cursor: str | None = None
    while True:
        with store.session() as s:
            page = list_alerts(s, AlertQuery(status=status, sort=sort, limit=limit,
                                             cursor=cursor))
        seen += [a.source_ref for a in page.items]
        assert page.total == len(wanted)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert sorted(seen) == sorted(a.source_ref for a in wanted)
    assert len(seen) == len(set(seen))
    assert seen == [a.source_ref for a in sorted(wanted, key=_sort_key(sort, ids))]


def _sort_key(sort: str, ids: dict[str, int]) -> Callable[[AlertIn], tuple[float, ...]]:
    """The order `sort` means: its columns, then the alert id, all one way."""
    sign = -1 if sort.startswith("-") else 1

    def key(a: AlertIn) -> tuple[float, ...]:
        when, ident = a.event_time.timestamp() * sign, ids[a.source_ref] * sign
        if sort.endswith("severity"):
            return (int(a.severity) * sign, when, ident)
        if sort.endswith("received"):
            return (ident,)   # one batch: received at one time
        return (when, ident)
    return key


def test_show_has_the_links_changes_group_and_suppression(store: StateStore) -> None:
    with store.session() as s:
        s.add(Suppression(match={"source": "acme"}, reason="pilot", owner="lead",
                          expires_at=NOW + timedelta(days=1)))
    first = make(1, finding_ids=("wk:f1", "wk:f2"),
                 extra=(("event_refs", "e1 e2"), ("vendor", "watchkeeper")))
    store_alerts(store, [first], NOW)
    (ident,) = store_alerts(store, [make(1, title="changed", finding_ids=("wk:f1", "wk:f2"),
                                         extra=(("event_refs", "e1 e2"),
                                                ("vendor", "watchkeeper")))], NOW).alert_ids
    with store.session() as s:
        group = AlertGroup(key="k", first_at=T0, last_at=T0, alert_count=1)
        s.add(group)
        s.flush()
        row = s.get(Alert, ident)
        assert row is not None
        row.group_id = group.id
    with store.session() as s:
        detail = show_alert(s, ident, NOW)
    assert detail.finding_ids == ("wk:f1", "wk:f2") and detail.event_refs == ("e1", "e2")
    assert detail.status == "suppressed" and detail.source_status == "new"
    assert detail.suppression is not None and detail.suppression.reason == "pilot"
    (change,) = detail.changes
    assert (change.fields["title"].before, change.fields["title"].after) == (
        "USB copy after hours", "changed")
    assert detail.group is not None and detail.group.alert_count == 1
    with store.session() as s, pytest.raises(NotFoundError, match=r"^alert 999: no such"):
        show_alert(s, 999, NOW)
