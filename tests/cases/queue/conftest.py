"""The alert queue on both stores: SQLite in a temporary folder, PostgreSQL on
127.0.0.1:5432 in a schema of its own (skipped with the reason when unreachable, failed
under CI=true)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers.postgres import pg_schemas
from watchkeeper.store import StateStore, StoreLocation, check_url, upgrade

__all__ = ["pg_schemas"]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StateStore]:
    """An open, migrated, empty store of each kind."""
    if request.param == "sqlite":
        location = StoreLocation(check_url(f"sqlite:///{tmp_path / 'state.db'}"), "test")
    else:
        location = StoreLocation(request.getfixturevalue("pg_schemas")(), "test")
        upgrade(location)
    opened = StateStore.open(location)
    yield opened
    opened.close()
