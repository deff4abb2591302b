"""SQLite planner statistics: taken when a store with enough alerts opens without them or
with stale ones; with them, a rare rule among common statuses is counted through the
rule's index (at a million alerts without statistics SQLite walked the status index)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select, text

from helpers.state import T0
from watchkeeper.cases.queue import TOTAL_CAP, AlertQuery, _filters, _rule
from watchkeeper.security.roles import Scope
from watchkeeper.store import StateStore, StoreLocation, planner
from watchkeeper.store.models import Alert


def add_alerts(store: StateStore, first: int, count: int) -> None:
    """`count` alerts: three statuses, 300 rules, one time order."""
    rows = [{"id": i, "source": "splunk", "source_ref": f"r-{i}", "fingerprint": "0" * 64,
             "class_uid": 2004, "title": "t", "severity": 1 + i % 5,
             "status": ("new", "resolved", "archived")[i % 3], "rule": f"rule-{i % 300}",
             "rule_id": f"id-{i % 300}", "event_time": T0 + timedelta(minutes=i), "raw": "{}",
             "region": ("EU", "US", "APAC")[i % 3 - 1], "extra": {}, "received_at": T0,
             "updated_at": T0, "duplicates": 0}
            for i in range(first, first + count)]
    with store.engine.begin() as conn:
        conn.execute(insert(Alert), rows)


def stat(store: StateStore) -> str | None:
    with store.engine.connect() as conn:
        return conn.scalar(text(planner.STAT_OF))


@pytest.fixture
def location(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> StoreLocation:
    monkeypatch.setattr(planner, "MIN_ALERTS", 100)
    return StoreLocation(f"sqlite:///{tmp_path / 'state.db'}", "test")


def test_statistics_are_taken_when_missing_or_stale(location: StoreLocation) -> None:
    store = StateStore.open(location)
    add_alerts(store, 1, 99)
    assert planner.refresh(store.engine) is False   # too few alerts to matter
    add_alerts(store, 100, 100)
    store.close()
    store = StateStore.open(location)               # opening takes them
    assert str(stat(store)).split()[0] == "199"
    assert planner.refresh(store.engine) is False   # fresh
    add_alerts(store, 200, 250)
    assert planner.refresh(store.engine) is True    # more than doubled
    assert str(stat(store)).split()[0] == "449"
    store.close()


def test_a_rare_rule_among_common_statuses_is_listed_through_its_index(
        location: StoreLocation) -> None:
    store = StateStore.open(location)
    add_alerts(store, 1, 3000)
    analyst = Scope(True, False, frozenset({"eu", "us"}), True)
    query = AlertQuery(status=("new",), rule="rule-7", scope=analyst)

    def plan() -> str:
        """The plan of the page's total (what the queue counts, up to its cap)."""
        with store.session() as s:
            where = [*_filters(query), _rule(s, "rule-7")]
            sql = select(func.count()).select_from(
                select(Alert.id).where(*where).limit(TOTAL_CAP + 1).subquery())
            compiled = sql.compile(store.engine, compile_kwargs={"literal_binds": True})
            rows = s.execute(text(f"EXPLAIN QUERY PLAN {compiled}")).all()
        return " ".join(str(r[-1]) for r in rows)

    planner.refresh(store.engine)
    assert "ix_alerts_rule_event_time" in plan()
    store.close()
