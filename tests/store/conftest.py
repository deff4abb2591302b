"""The same storage tests on both stores: SQLite in a temporary folder, and PostgreSQL
on 127.0.0.1:5432 (database ``test``) in a schema of its own per test, so parallel runs
never meet. PostgreSQL tests skip with the reason when the server is unreachable, and
fail under CI=true (`helpers.runtime.require`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from watchkeeper.store import StateStore, StoreLocation, check_url, upgrade


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
