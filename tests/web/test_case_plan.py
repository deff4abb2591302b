"""The case page reads a case's alerts by seeking them, on SQLite with planner statistics:
most alerts are in no case, so the statistics of the index on ``case_id`` (mostly NULL)
said a case holds half the table, and SQLite walked the event-time index over every
alert or scanned every alert subject instead (3.4 s a case page at 1,000,000 alerts).
``ix_alerts_in_case`` holds only alerts in a case."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, insert, text

from helpers.state import T0
from watchkeeper.cases.records import record
from watchkeeper.cases.repository import CaseRepository
from watchkeeper.security.recusal import StaticOrgChart, Viewer
from watchkeeper.security.roles import EVERYWHERE
from watchkeeper.store import StateStore, StoreLocation, planner
from watchkeeper.store.models import Alert, AlertSubject, Case


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[StateStore]:
    monkeypatch.setattr(planner, "MIN_ALERTS", 100)
    found = StateStore.open(StoreLocation(f"sqlite:///{tmp_path / 'state.db'}", "test"))
    yield found
    found.close()


def test_a_cases_alerts_are_sought_not_walked(store: StateStore) -> None:
    with store.session() as s:
        case = Case(title="c", status="new", severity=3)
        s.add(case)
        s.flush()
        ident = case.id
    rows = [{"id": i, "source": "splunk", "source_ref": f"r-{i}", "fingerprint": "0" * 64,
             "class_uid": 2004, "title": "t", "severity": 3, "status": "new",
             "rule": f"rule-{i % 30}", "event_time": T0 + timedelta(minutes=i), "raw": "{}",
             "region": "eu", "extra": {}, "received_at": T0, "updated_at": T0,
             "duplicates": 0, "case_id": ident if i % 1000 == 0 else None}
            for i in range(1, 4001)]
    with store.engine.begin() as conn:
        conn.execute(insert(Alert), rows)
        conn.execute(insert(AlertSubject), [{"alert_id": i, "subject": f"U{i % 50}"}
                                            for i in range(1, 4001)])
    planner.refresh(store.engine)
    seen: list[tuple[str, Any]] = []

    def keep(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if "FROM alerts" in statement and "case_id" in statement:
            seen.append((statement, params))

    event.listen(store.engine, "before_cursor_execute", keep)
    viewer = Viewer("lee", "lead", scope=EVERYWHERE)
    with store.session() as s:
        found = record(CaseRepository(s, viewer, StaticOrgChart({})), ident)
    event.remove(store.engine, "before_cursor_execute", keep)
    assert [a.id for a in found.alerts] == [1000, 2000, 3000, 4000]
    assert len(seen) >= 3          # the case's regions, people, first day and alerts
    with store.engine.connect() as conn:
        for statement, params in seen:
            plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql(
                f"EXPLAIN QUERY PLAN {statement}", params))
            assert "ix_alerts_in_case" in plan, (statement, plan)
            assert "SCAN" not in plan, (statement, plan)
    with store.engine.connect() as conn:       # the statistics are what misled SQLite
        stat = conn.scalar(text("SELECT stat FROM sqlite_stat1 "
                                "WHERE idx = 'ix_alerts_case_id'"))
    assert int(str(stat).split()[1]) > 100
