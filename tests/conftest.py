"""Shared fixtures; machine requirements live in `helpers.runtime`."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers.postgres import pg_schemas
from watchkeeper.store import StateStore, StoreLocation, check_url, upgrade

__all__ = ["pg_schemas"]   # a fixture: a fresh PostgreSQL schema per call


@pytest.fixture(scope="session", autouse=True)
def rule_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The compiled-rule cache of the whole run (and of the CLI it starts) in a folder of
    its own: tests never read or fill the user's ~/.cache."""
    folder = tmp_path_factory.mktemp("rule-cache")
    before = os.environ.get("WATCHKEEPER_CACHE")
    os.environ["WATCHKEEPER_CACHE"] = str(folder)
    yield folder
    if before is None:
        os.environ.pop("WATCHKEEPER_CACHE", None)
    else:
        os.environ["WATCHKEEPER_CACHE"] = before


@pytest.fixture
def workspace_dir(tmp_path: Path) -> Path:
    return tmp_path / "ws"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def state_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StateStore]:
    """An open, migrated, empty state store of each kind: SQLite in a temporary folder,
    PostgreSQL on 127.0.0.1:5432 in a schema of its own (skipped with the reason when
    unreachable, failed under CI=true)."""
    if request.param == "sqlite":
        location = StoreLocation(check_url(f"sqlite:///{tmp_path / 'state.db'}"), "test")
    else:
        location = StoreLocation(request.getfixturevalue("pg_schemas")(), "test")
        upgrade(location)
    opened = StateStore.open(location)
    yield opened
    opened.close()
