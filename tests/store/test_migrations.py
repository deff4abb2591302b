"""Migrations: what `upgrade` applies, a SQLite store that upgrades itself, a PostgreSQL
store that refuses to open while migrations are pending, and models that match them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from helpers.state import revisions
from watchkeeper.errors import StoreError
from watchkeeper.store import StateStore, StoreLocation, head, pending, upgrade
from watchkeeper.store.engine import make_engine
from watchkeeper.store.models import Base
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
    upgrade(location)
    engine = make_engine(location)
    try:
        indexed = {tuple(ix["column_names"]) for ix in inspect(engine).get_indexes("alerts")}
        subjects = {tuple(ix["column_names"])
                    for ix in inspect(engine).get_indexes("alert_subjects")}
    finally:
        engine.dispose()
    for column in ("status", "severity", "event_time", "source", "rule"):
        assert (column,) in indexed
    assert ("subject",) in subjects


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
