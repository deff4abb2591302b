"""The overview's rollup (`cases.rollups`) moves with the alerts in the transactions
that write them, on both stores: new alerts, re-sends (identical, changed, resolved by
their source), alerts suppressed on intake and marked suppressed later; and a rebuild
from the alerts gives the same counts as the incremental updates."""

from __future__ import annotations

from datetime import timedelta

from helpers.alerts_in import T0, make
from watchkeeper.cases.alerts import store_alerts, store_requests
from watchkeeper.cases.model import Severity
from watchkeeper.cases.overview import queue_overview
from watchkeeper.cases.rollups import counts, rebuild
from watchkeeper.cases.suppression import add_suppression, mark_alerts
from watchkeeper.security.roles import EVERYWHERE, Scope
from watchkeeper.store import StateStore

DAY = T0.date()
NEXT = DAY + timedelta(days=1)


def _same_after_rebuild(state: StateStore) -> dict[tuple[object, ...], tuple[int, int, int]]:
    with state.session() as s:
        kept = counts(s)
    with state.session() as s:
        rebuild(s)
    with state.session() as s:
        assert counts(s) == kept
    return kept


def test_intake_counts_new_alerts_by_day_severity_source_and_region(
        state_store: StateStore) -> None:
    store_requests(state_store, [
        ([make(1, region="eu"), make(2, region="eu", severity=Severity.LOW)], T0),
        ([make(3), make(24 * 60, source="other", region="us")], T0)])
    store_alerts(state_store, [make(1, region="eu")], T0)   # an identical re-send
    kept = _same_after_rebuild(state_store)
    assert kept == {
        (DAY, int(Severity.HIGH), "acme", "eu"): (1, 1, 0),
        (DAY, int(Severity.LOW), "acme", "eu"): (1, 1, 0),
        (DAY, int(Severity.HIGH), "acme", ""): (1, 1, 0),
        (NEXT, int(Severity.HIGH), "other", "us"): (1, 1, 0)}


def test_a_changed_resend_moves_the_alert_and_a_resolved_one_leaves_the_backlog(
        state_store: StateStore) -> None:
    store_alerts(state_store, [make(1), make(2)], T0)
    store_alerts(state_store, [make(1, severity=Severity.CRITICAL),
                               make(2, status="resolved")], T0 + timedelta(hours=1))
    kept = _same_after_rebuild(state_store)
    assert kept == {(DAY, int(Severity.CRITICAL), "acme", ""): (1, 1, 0),
                    (DAY, int(Severity.HIGH), "acme", ""): (1, 0, 0)}
    with state_store.session() as s:
        found = queue_overview(s, EVERYWHERE, DAY, NEXT)
    assert found.open_alerts == 1
    assert [(b.severity_name, b.alerts, b.oldest) for b in found.backlog] == [
        ("critical", 1, DAY)]
    assert [(a.source, a.age, a.alerts) for a in found.ages] == [("acme", "1-7 days", 1)]


def test_suppressed_on_intake_and_marked_later_count_as_suppressed_not_open(
        state_store: StateStore) -> None:
    with state_store.session() as s:
        rule = add_suppression(s, {"host": "PC-9"}, reason="lab", owner="lee",
                               expires_at=T0 + timedelta(days=30), now=T0).id
    first = store_alerts(state_store, [make(1, hosts=("PC-9",)), make(2), make(3)], T0)
    assert first.suppressed == 1
    with state_store.session() as s:
        later = add_suppression(s, {"rule": "usb_copy"}, reason="noisy", owner="lee",
                                expires_at=T0 + timedelta(days=30), now=T0).id
        # the alert suppressed already keeps its first suppression and its count
        assert mark_alerts(s, later, list(first.alert_ids[:2])) == 1
        assert rule != later
    kept = _same_after_rebuild(state_store)
    assert kept == {(DAY, int(Severity.HIGH), "acme", ""): (3, 1, 2)}


def test_the_overview_reads_per_source_counts_from_the_rollup(
        state_store: StateStore) -> None:
    store_alerts(state_store, [make(1, region="eu"), make(2, source="other", region="us"),
                               make(3, source="other", region="eu")], T0)
    eu = Scope(True, False, frozenset({"eu"}), False)
    with state_store.session() as s:
        found = queue_overview(s, eu, DAY, DAY)
    assert [(c.source, c.severity_name, c.alerts) for c in found.per_source] == [
        ("acme", "high", 1), ("other", "high", 1)]
    assert found.open_alerts == 2
