"""A small simulated enterprise, ingested, detected and analysed once per test session;
a tiny HR lake and empty state stores (SQLite and PostgreSQL) for the case repository."""

from __future__ import annotations

import pytest

from cases.casework import build_lake
from cases.simlake import SimCase, build
from watchkeeper.lake import Lake
from watchkeeper.store import StateStore


@pytest.fixture(scope="session")
def sim_case(tmp_path_factory: pytest.TempPathFactory) -> SimCase:
    return build(tmp_path_factory.mktemp("cases"))


@pytest.fixture(scope="session")
def hr_lake(tmp_path_factory: pytest.TempPathFactory) -> Lake:
    """The tiny lake of `cases.casework`: a management chain and a few logons."""
    return build_lake(tmp_path_factory.mktemp("hrlake"))


@pytest.fixture
def state(state_store: StateStore) -> StateStore:
    """An open, migrated, empty state store of each kind (tests/conftest.py)."""
    return state_store
