"""Migrations: what `upgrade` applies, a SQLite store that upgrades itself, a PostgreSQL
store that refuses to open while migrations are pending, and models that match them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlalchemy.orm import Session

from helpers.state import T0, alert, revisions
from watchkeeper.errors import StoreError
from watchkeeper.store import StateStore, StoreLocation, current_revision, head, pending, upgrade
from watchkeeper.store.engine import make_engine
from watchkeeper.store.migrate import downgrade
from watchkeeper.store.models import (
    AlertChange,
    AlertFinding,
    AlertGroup,
    Base,
    Case,
    Suppression,
)
from watchkeeper.store.state import status


def test_upgrade_creates_every_table_then_does_nothing(location: StoreLocation) -> None:
    first = upgrade(location)
    assert (first.before, first.after, first.applied) == (None, head(), revisions())
    again = upgrade(location)
    assert (again.before, again.after, again.applied) == (head(), head(), ())
    engine = make_engine(location)
    try:
        assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
        assert pending(engine, location) == ()
    finally:
        engine.dispose()


def test_models_match_the_migrations(location: StoreLocation) -> None:
    """A model change without a migration (or the reverse) fails here, on both stores."""
    upgrade(location)
    engine = make_engine(location)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_indexes_serve_the_list_filters(location: StoreLocation) -> None:
    """Each filter column leads an index that goes on in time order (the queue's sort)."""
    upgrade(location)
    engine = make_engine(location)
    try:
        indexed = {tuple(ix["column_names"]) for ix in inspect(engine).get_indexes("alerts")}
        subjects = {tuple(ix["column_names"])
                    for ix in inspect(engine).get_indexes("alert_subjects")}
    finally:
        engine.dispose()
    for column in ("severity", "source", "rule", "rule_id"):
        assert (column, "event_time") in indexed
    assert ("status", "suppressed_by", "event_time", "severity", "region", "source") in indexed
    assert ("event_time",) in indexed and ("subject",) in subjects


def test_sqlite_store_upgrades_itself_on_open(tmp_path: Path) -> None:
    location = StoreLocation(f"sqlite:///{tmp_path / 'state.db'}", "test")
    store = StateStore.open(location)
    try:
        assert store.revision() == head()
    finally:
        store.close()


@pytest.mark.postgres
def test_postgres_with_pending_migrations_refuses_and_names_the_command(
        pg_schemas: Callable[[], str]) -> None:
    location = StoreLocation(pg_schemas(), "test")
    with pytest.raises(StoreError, match=rf"{len(revisions())} schema migration\(s\) pending .*run "
                                         r"`watchkeeper db upgrade` first"):
        StateStore.open(location)
    assert status(location).revision is None   # refusing changed nothing
    upgrade(location)
    store = StateStore.open(location)
    store.close()


def test_a_revision_from_a_newer_version_is_refused(location: StoreLocation) -> None:
    upgrade(location)
    engine = make_engine(location)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'ffff'"))
    engine.dispose()
    with pytest.raises(StoreError, match="revision ffff is unknown"):
        upgrade(location)
    with pytest.raises(StoreError, match="revision ffff is unknown"):
        StateStore.open(location)


def test_status_of_a_missing_sqlite_file_creates_nothing(tmp_path: Path) -> None:
    location = StoreLocation(f"sqlite:///{tmp_path / 'state.db'}", "default")
    st = status(location)
    assert (st.revision, st.pending, st.rows) == (None, revisions(), 0)
    assert not (tmp_path / "state.db").exists()


def test_downgrade_to_base_leaves_no_table(location: StoreLocation) -> None:
    from alembic import command

    from watchkeeper.store.migrate import config
    upgrade(location)
    engine = make_engine(location)
    try:
        with engine.begin() as conn:
            command.downgrade(config(conn), "base")
        names = set(inspect(engine).get_table_names()) - {"alembic_version"}
        assert names == set()  # every table the upgrade made, in an order the keys allow
    finally:
        engine.dispose()


CHILDREN = ("alert_subjects", "alert_hosts", "alert_observables", "alert_findings",
            "alert_changes")


def contents(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    """Every row of the alert tables (and those alerts point at), in key order."""
    names = ("alerts", *CHILDREN, "alert_groups", "suppressions", "cases")
    with engine.connect() as conn:
        return {n: [tuple(r) for r in conn.execute(text(f"SELECT * FROM {n} ORDER BY 1, 2"))]
                for n in names}


def fill_at_0002(engine: Engine) -> None:
    """Alerts with every kind of child, in a group, a case and a suppression."""
    with Session(engine) as s, s.begin():
        group = AlertGroup(key="k", first_at=T0, last_at=T0, alert_count=2)
        hush = Suppression(match={"rule": "r"}, reason="noisy", owner="lead")
        case = Case(title="c", status="new", severity=3, priority="p3")
        s.add_all([group, hush, case])
        s.flush()
        rows = [alert(i, rule_id=f"rule-{i}", group_id=group.id, case_id=case.id,
                      suppressed_by=hush.id if i == 1 else None) for i in range(3)]
        for row in rows:
            row.findings = [AlertFinding(finding_id=f"wk:{row.source_ref}")]
        s.add_all(rows)
        s.flush()
        s.add(AlertChange(alert_id=rows[0].id, before_fingerprint="a" * 64,
                          after_fingerprint="b" * 64, fields={"status": {"before": "new"}}))


def test_0003_keeps_every_alert_and_child_row_and_downgrades(location: StoreLocation) -> None:
    """0003 copies `alerts` on SQLite: dropping the old table with foreign keys on would
    delete every child row by cascade."""
    upgrade(location, revision="0002_casesrepo")
    engine = make_engine(location)
    try:
        fill_at_0002(engine)
        before = contents(engine)
        assert all(before[n] for n in ("alerts", *CHILDREN))
        assert upgrade(location, engine, revision="0003_queue").applied == ("0003_queue",)
        assert contents(engine) == before
        long_id = "/subscriptions/" + "x" * 300 + "/alertRules/fab3d2d4"
        with engine.begin() as conn:
            conn.execute(text("UPDATE alerts SET rule_id = :r WHERE source_ref = 'ref-2'"),
                         {"r": long_id})
        downgrade(location, engine, "0002_casesrepo")
        assert current_revision(engine, location) == "0002_casesrepo"
        after = contents(engine)
        assert {n: v for n, v in after.items() if n != "alerts"} == \
            {n: v for n, v in before.items() if n != "alerts"}
        with engine.connect() as conn:
            shortened = conn.execute(text("SELECT rule_id FROM alerts "
                                          "WHERE source_ref = 'ref-2'")).scalar_one()
        assert len(shortened) == 200 and shortened.endswith("/alertRules/fab3d2d4")
        assert upgrade(location, engine, revision="0003_queue").applied == ("0003_queue",)
        assert contents(engine)["alert_subjects"] == before["alert_subjects"]
    finally:
        engine.dispose()


def test_a_sqlite_store_upgrading_itself_keeps_its_alerts(tmp_path: Path) -> None:
    location = StoreLocation(f"sqlite:///{tmp_path / 'state.db'}", "test")
    upgrade(location, revision="0002_casesrepo")
    engine = make_engine(location)
    fill_at_0002(engine)
    before = contents(engine)
    engine.dispose()
    store = StateStore.open(location)
    try:
        assert store.revision() == head()
        assert contents(store.engine) == before
        with store.engine.connect() as conn:   # foreign keys are on again
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        store.close()


def test_0012_fills_the_rollups_from_the_alerts_stored(location: StoreLocation) -> None:
    from watchkeeper.cases.rollups import counts
    upgrade(location, revision="0011_metrics_speed")
    engine = make_engine(location)
    try:
        fill_at_0002(engine)
        assert upgrade(location, engine, revision="0012_rollups").applied == (
            "0012_rollups",)
        with Session(engine) as s:
            kept = counts(s)
        day = T0.date()
        assert kept == {(day, 1, "watchkeeper.detect", ""): (1, 1, 0),
                        (day, 2, "watchkeeper.detect", ""): (1, 0, 1),   # suppressed
                        (day, 3, "watchkeeper.detect", ""): (1, 1, 0)}
    finally:
        engine.dispose()


def test_0016_fills_the_metrics_rollups_from_the_alerts_stored(
        location: StoreLocation) -> None:
    from watchkeeper.store.models import DetectRollup, MetricsRollup
    upgrade(location, revision="0015_alerts_in_case")
    engine = make_engine(location)
    try:
        fill_at_0002(engine)   # three alerts in a case, one suppressed, received now
        assert upgrade(location, engine, revision="0016_metrics_rollups").applied == (
            "0016_metrics_rollups",)
        with Session(engine) as s:
            rows = {(r.facet, r.key, r.region): (r.alerts, r.suppressed, r.in_cases, r.timed)
                    for r in s.query(MetricsRollup)}
            detected = sum(r.alerts for r in s.query(DetectRollup))
            index = {i["name"] for i in inspect(engine).get_indexes("alerts")}
        assert rows == {("source", "watchkeeper.detect", ""): (3, 1, 3, 3),
                        ("rule", "rule-0", ""): (1, 0, 1, 1),
                        ("rule", "rule-1", ""): (1, 1, 1, 1),
                        ("rule", "rule-2", ""): (1, 0, 1, 1),
                        ("severity", "1", ""): (1, 0, 1, 1),
                        ("severity", "2", ""): (1, 1, 1, 1),
                        ("severity", "3", ""): (1, 0, 1, 1)}
        assert detected == 3 and "ix_alerts_backlog" in index
        downgrade(location, engine, "0015_alerts_in_case")
        assert "metrics_rollups" not in inspect(engine).get_table_names()
    finally:
        engine.dispose()
