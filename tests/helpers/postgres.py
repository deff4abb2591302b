"""PostgreSQL for tests: the server on 127.0.0.1:5432 (database ``test``; another by
``WATCHKEEPER_TEST_POSTGRES``), one fresh schema per store so parallel runs never meet.

Tests that use it are marked ``postgres``; they skip with the reason when the server is
unreachable and fail under CI=true (`helpers.runtime.require`).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text

from helpers.runtime import require
from watchkeeper.store import check_url

PG_SERVER = os.environ.get("WATCHKEEPER_TEST_POSTGRES",
                           "postgresql+psycopg://postgres@127.0.0.1:5432/test")
_REACHABLE: list[bool] = []


def postgres_reachable() -> bool:
    engine = create_engine(PG_SERVER, connect_args={"connect_timeout": 3})
    try:
        with engine.connect():
            return True
    except Exception:
        return False
    finally:
        engine.dispose()


def require_postgres() -> None:
    if not _REACHABLE:
        _REACHABLE.append(postgres_reachable())
    require(_REACHABLE[0], f"PostgreSQL is not reachable at {PG_SERVER}")


@contextmanager
def fresh_schemas() -> Iterator[Callable[[], str]]:
    """Makes PostgreSQL URLs whose search_path is a fresh schema; drops them on leaving
    (for fixtures of any scope)."""
    require_postgres()
    admin = create_engine(PG_SERVER)
    made: list[str] = []

    def make() -> str:
        schema = f"wk_test_{uuid.uuid4().hex[:12]}"
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        made.append(schema)
        return check_url(f"{PG_SERVER}?options=-csearch_path%3D{schema}")

    try:
        yield make
    finally:
        with admin.begin() as conn:
            for schema in made:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def pg_schemas() -> Iterator[Callable[[], str]]:
    """Makes PostgreSQL URLs whose search_path is a fresh schema; drops them afterwards."""
    with fresh_schemas() as make:
        yield make
