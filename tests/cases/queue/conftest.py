"""The alert queue on both stores: SQLite in a temporary folder, PostgreSQL on
127.0.0.1:5432 in a schema of its own (skipped with the reason when unreachable, failed
under CI=true)."""

from __future__ import annotations

import pytest

from watchkeeper.store import StateStore


@pytest.fixture
def store(state_store: StateStore) -> StateStore:
    """An open, migrated, empty store of each kind (tests/conftest.py)."""
    return state_store
