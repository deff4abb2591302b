"""The models on both stores: constraints, cascades, UTC times, JSON, SQLite settings."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError, StatementError

from helpers.state import T0, alert
from watchkeeper.store import StateStore, StoreLocation
from watchkeeper.store.models import (
    Alert,
    AlertSubject,
    Case,
    CaseAccess,
    CaseLink,
    GroupingRule,
)


def test_alert_with_children_round_trips(store: StateStore) -> None:
    with store.session() as s:
        s.add(alert(1, first_seen=T0.astimezone(timezone(timedelta(hours=-5)))))
    with store.session() as s:
        row = s.scalars(select(Alert)).one()
        assert row.event_time == T0 + timedelta(hours=1)
        assert row.event_time.tzinfo is not None and row.event_time.utcoffset() == timedelta(0)
        assert row.first_seen == T0
        assert row.extra == {"n": 1, "tags": ["a", "b"]}
        assert [x.subject for x in row.subjects] == ["USR1"]
        assert [(o.type, o.value) for o in row.observables] == [("ip", "10.0.0.1")]
        assert row.title == "Alert 1 [after hours]"


def test_source_and_ref_are_unique_together(store: StateStore) -> None:
    with store.session() as s:
        s.add_all([alert(1), alert(2, source="splunk", source_ref="ref-1")])
    with pytest.raises(IntegrityError), store.session() as s:
        s.add(alert(3, source_ref="ref-1"))
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(Alert)) == 2


def test_naive_times_are_refused(store: StateStore) -> None:
    with pytest.raises(StatementError, match="naive datetime"), store.session() as s:
        s.add(alert(1, event_time=datetime(2024, 1, 1)))


def test_foreign_keys_are_enforced_and_cascade(store: StateStore) -> None:
    with pytest.raises(IntegrityError), store.session() as s:
        s.add(CaseAccess(case_id=999, account_id=999))
    with store.session() as s:
        case = Case(title="t", status="open", severity=3)
        s.add(case)
        s.flush()
        s.add(alert(1, case_id=case.id))
        s.add(CaseLink(case_id=case.id, kind="person", value="USR1"))
    with store.session() as s:
        s.delete(s.scalars(select(Case)).one())
    with store.session() as s:
        assert s.scalars(select(Alert)).one().case_id is None   # SET NULL
        assert s.scalar(select(func.count()).select_from(CaseLink)) == 0
        s.delete(s.scalars(select(Alert)).one())
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(AlertSubject)) == 0


def test_case_link_kind_is_checked(store: StateStore) -> None:
    with store.session() as s:
        case = Case(title="t", status="open", severity=3)
        s.add(case)
    with pytest.raises(IntegrityError), store.session() as s:
        s.add(CaseLink(case_id=case.id, kind="planet", value="Mars"))


def test_alerts_filter_by_subject_through_the_child_table(store: StateStore) -> None:
    with store.session() as s:
        s.add_all(alert(i) for i in range(9))
    with store.session() as s:
        refs = s.scalars(select(Alert.source_ref).join(AlertSubject)
                         .where(AlertSubject.subject == "USR2").order_by(Alert.id)).all()
    assert refs == ["ref-2", "ref-5", "ref-8"]


def test_json_lists_round_trip(store: StateStore) -> None:
    with store.session() as s:
        s.add(GroupingRule(name="by person", key_fields=["subject", "rule"],
                           window_seconds=3600))
    with store.session() as s:
        assert s.scalars(select(GroupingRule)).one().key_fields == ["subject", "rule"]


@pytest.fixture
def loose_umask() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_sqlite_runs_in_wal_with_foreign_keys_and_private_files(
        tmp_path: Path, loose_umask: None) -> None:
    store = StateStore.open(StoreLocation(f"sqlite:///{tmp_path / 'state.db'}", "test"))
    try:
        with store.session() as s:
            s.add(alert(1))
            pragmas = {p: s.execute(text(f"PRAGMA {p}")).scalar()
                       for p in ("journal_mode", "foreign_keys", "busy_timeout")}
        assert pragmas == {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 10000}
        for name in ("state.db", "state.db-wal"):
            assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600, name
    finally:
        store.close()


def test_missing_sqlite_folder_is_one_line(tmp_path: Path) -> None:
    from watchkeeper.errors import StoreError
    with pytest.raises(StoreError, match="does not exist"):
        StateStore.open(StoreLocation(f"sqlite:///{tmp_path / 'no' / 'state.db'}", "test"))
