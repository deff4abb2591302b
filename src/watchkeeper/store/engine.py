"""Engines for the state store, set up the same way every time they are made.

SQLite: write-ahead log (readers never wait for the writer), foreign keys enforced,
a busy timeout instead of an immediate "database is locked", and a file created 0600
before SQLite opens it (its -wal and -shm files take the database file's mode).
PostgreSQL: connections checked before use, since a server restarts under a long-lived
service. Errors from either driver reach callers as one-line `StoreError`s.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.pool import ConnectionPoolEntry

from watchkeeper.errors import StoreError
from watchkeeper.private import FILE_MODE
from watchkeeper.store.url import StoreLocation

BUSY_TIMEOUT_MS = 10_000
#: SQLite's page cache per connection, KiB. Its default, 2 MiB, is outgrown by the
#: indexes of an append-heavy table (the decision log, alerts) within ~100,000 rows, and
#: every insert then reads its index pages back from the OS (bench_authorize at 200,000
#: decisions: 16,000-17,700/s with 2 MiB, 18,800/s with 32 MiB, same code).
CACHE_KIB = 32_768
#: Connection execution option: ``conn.execution_options(sqlite_begin="IMMEDIATE")`` makes
#: a SQLite transaction take the write lock at BEGIN (writers then queue on the busy
#: timeout instead of failing when a read-then-write races another writer).
SQLITE_BEGIN = "sqlite_begin"


def make_engine(location: StoreLocation) -> Engine:
    """An engine for `location`; a SQLite file (and its folder) is created if missing."""
    path = location.sqlite_path
    if path is None:
        return create_engine(location.url, pool_pre_ping=True)
    if not path.parent.is_dir():
        raise StoreError(f"{location.display}: folder {path.parent} does not exist")
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE))
    engine = create_engine(location.url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_connect(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    # Let SQLAlchemy, not the sqlite3 module, decide where transactions start (the
    # module's own implicit BEGIN breaks savepoints and DDL in transactions).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")  # durable at each checkpoint under WAL
    cursor.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    immediate = connection.get_execution_options().get(SQLITE_BEGIN) == "IMMEDIATE"
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@contextmanager
def one_line_errors(location: StoreLocation, doing: str) -> Iterator[None]:
    """Turn a driver's (often multi-line) error into a `StoreError` naming the store."""
    try:
        yield
    except (SQLAlchemyError, sqlite3.Error) as exc:
        raise StoreError(f"{location.display}: {doing}: {first_line(exc)}") from exc


def first_line(exc: BaseException) -> str:
    """The driver's message without SQLAlchemy's SQL echo and background link."""
    source = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    text = " ".join(str(source).strip().splitlines()[:1]).strip()
    return text or type(source).__name__
