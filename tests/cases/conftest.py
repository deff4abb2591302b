"""A small simulated enterprise, ingested, detected and analysed once per test session;
a tiny HR lake and empty state stores (SQLite and PostgreSQL) for the case repository."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cases.casework import build_lake
from cases.simlake import SimCase, build
from helpers.postgres import pg_schemas
from watchkeeper.lake import Lake
from watchkeeper.store import StateStore, StoreLocation, check_url, upgrade

__all__ = ["pg_schemas"]   # the fixture, for the PostgreSQL stores


@pytest.fixture(scope="session")
def sim_case(tmp_path_factory: pytest.TempPathFactory) -> SimCase:
    return build(tmp_path_factory.mktemp("cases"))


@pytest.fixture(scope="session")
def hr_lake(tmp_path_factory: pytest.TempPathFactory) -> Lake:
    """The tiny lake of `cases.casework`: a management chain and a few logons."""
    return build_lake(tmp_path_factory.mktemp("hrlake"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def state(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StateStore]:
    """An open, migrated, empty state store of each kind."""
    if request.param == "sqlite":
        location = StoreLocation(check_url(f"sqlite:///{tmp_path / 'state.db'}"), "test")
    else:
        location = StoreLocation(request.getfixturevalue("pg_schemas")(), "test")
        upgrade(location)
    store = StateStore.open(location)
    yield store
    store.close()
