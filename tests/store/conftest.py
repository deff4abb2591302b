"""The same storage tests on both stores: SQLite in a temporary folder, and PostgreSQL
on 127.0.0.1:5432 (database ``test``) in a schema of its own per test, so parallel runs
never meet. PostgreSQL tests skip with the reason when the server is unreachable, and
fail under CI=true (`helpers.runtime.require`)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from helpers.runtime import require
from watchkeeper.store import StateStore, StoreLocation, check_url, upgrade

PG_SERVER = os.environ.get("WATCHKEEPER_TEST_POSTGRES",
                           "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def postgres_reachable() -> bool:
    try:
        engine = create_engine(PG_SERVER, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:
        return False


_REACHABLE: list[bool] = []


def require_postgres() -> None:
    if not _REACHABLE:
        _REACHABLE.append(postgres_reachable())
    require(_REACHABLE[0], f"PostgreSQL is not reachable at {PG_SERVER}")


@pytest.fixture
def pg_schemas() -> Iterator[Callable[[], str]]:
    """Makes PostgreSQL URLs whose search_path is a fresh schema; drops them afterwards."""
    require_postgres()
    admin = create_engine(PG_SERVER)
    made: list[str] = []

    def make() -> str:
        schema = f"wk_test_{uuid.uuid4().hex[:12]}"
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        made.append(schema)
        return check_url(f"{PG_SERVER}?options=-csearch_path%3D{schema}")

    yield make
    with admin.begin() as conn:
        for schema in made:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def make_location(request: pytest.FixtureRequest, kind: str, path: Path) -> StoreLocation:
    if kind == "sqlite":
        return StoreLocation(check_url(f"sqlite:///{path}"), "test")
    return StoreLocation(request.getfixturevalue("pg_schemas")(), "test")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> StoreLocation:
    """An empty store of each kind."""
    return make_location(request, request.param, tmp_path / "state.db")


@pytest.fixture
def other_location(request: pytest.FixtureRequest, tmp_path: Path,
                   location: StoreLocation) -> StoreLocation:
    """A second empty store of the same kind as `location`."""
    kind = "sqlite" if location.dialect == "sqlite" else "postgres"
    return make_location(request, kind, tmp_path / "other.db")


@pytest.fixture
def store(location: StoreLocation) -> Iterator[StateStore]:
    """An open, migrated store of each kind."""
    if location.dialect == "postgresql":
        upgrade(location)
    opened = StateStore.open(location)
    yield opened
    opened.close()
