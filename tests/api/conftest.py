"""Every API test runs on both state stores: SQLite in the workspace, and PostgreSQL on
127.0.0.1:5432 in a fresh schema named in the workspace's ``watchkeeper.toml`` (so the
CLI and `serve` processes a test starts use it too). PostgreSQL runs are marked
``postgres``: skipped with the reason when the server is unreachable, failed under
CI=true."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from helpers.accounts import Seeded, seed
from helpers.postgres import fresh_schemas

STORES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def store_url(kind: str, stack: ExitStack) -> str | None:
    """None for SQLite (the workspace's own state.db); a fresh PostgreSQL schema's URL,
    dropped when `stack` closes."""
    if kind == "sqlite":
        return None
    return stack.enter_context(fresh_schemas())()


@pytest.fixture(params=STORES)
def database_url(request: pytest.FixtureRequest,
                 monkeypatch: pytest.MonkeyPatch) -> Iterator[str | None]:
    """The store of the test's workspace (None: SQLite); the environment names none."""
    monkeypatch.delenv("WATCHKEEPER_DATABASE_URL", raising=False)
    with ExitStack() as stack:
        yield store_url(request.param, stack)


@pytest.fixture(scope="module", params=STORES)
def module_database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """`database_url` for a module's shared workspace."""
    with pytest.MonkeyPatch.context() as mp, ExitStack() as stack:
        mp.delenv("WATCHKEEPER_DATABASE_URL", raising=False)
        yield store_url(request.param, stack)


@pytest.fixture
def seeded(tmp_path: Path, database_url: str | None) -> Iterator[Seeded]:
    """A workspace with an admin, an analyst, an auditor and a service account."""
    done = seed(tmp_path / "ws", database_url)
    yield done
    done.workspace.close_state()   # before its PostgreSQL schema is dropped
