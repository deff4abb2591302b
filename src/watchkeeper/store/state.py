"""`StateStore`: an engine and a session factory for one store, checked at open.

The embedded SQLite store migrates itself when opened, and refreshes its planner
statistics when they are missing or stale (`planner`). A PostgreSQL store is shared by
several processes and upgraded by its operator: with migrations pending it refuses to
open and names the command to run.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine, func, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from watchkeeper.errors import StoreError
from watchkeeper.private import FILE_MODE
from watchkeeper.store import migrate, planner
from watchkeeper.store.engine import SQLITE_BEGIN, make_engine, one_line_errors
from watchkeeper.store.models import Base
from watchkeeper.store.url import StoreLocation

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: this process's threads take turns
    fcntl = None  # type: ignore[assignment]

WRITING = "watchkeeper.writing"   # Session.info key: the session holds the write lock
TURNS = "-writer"   # beside a SQLite database: the file writers take turns on (flock)


@dataclass(frozen=True)
class DbStatus:
    """Where the store is, which schema revision it has, and what `upgrade` would apply."""

    database: str
    origin: str
    dialect: str
    revision: str | None
    head: str
    pending: tuple[str, ...]
    rows: int


class StateStore:
    """One open state store. `session()` is a unit of work: committed when the block
    ends, rolled back when it raises."""

    def __init__(self, location: StoreLocation, engine: Engine) -> None:
        self.location = location
        self.engine = engine
        self.sessions = sessionmaker(engine, expire_on_commit=False)
        self._writer = threading.Lock()
        self._turns: int | None = None   # the SQLite write-turn file, opened on first use

    @classmethod
    def open(cls, location: StoreLocation) -> StateStore:
        engine = make_engine(location)
        try:
            if location.dialect == "sqlite":
                migrate.upgrade(location, engine)
                planner.refresh(engine)
            else:
                refuse_pending(engine, location)
        except BaseException:
            engine.dispose()
            raise
        return cls(location, engine)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self.sessions.begin() as session:
            yield session

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """A unit of work that writes. On SQLite it holds the database's write lock from
        its first statement (``BEGIN IMMEDIATE``), and writers take turns for it first:
        this process's threads on a lock of their own, processes (the service's workers,
        the CLI) on an ``flock`` of ``<database>-writer``. SQLite has one writer at a time
        anyway; a writer queued here starts the moment the one before commits, where
        SQLite's busy handler would poll with sleeps of up to 100 ms (a writer can starve
        behind back-to-back transactions until its busy timeout). A transaction that
        starts with the write lock also never fails when it reads first and writes later
        (a deferred one fails at once with "database is locked" if another writer
        committed in between). PostgreSQL: a plain `session` (row locks order writers)."""
        if self.location.dialect != "sqlite":
            with self.session() as session:
                yield session
            return
        with self._turn(), self.engine.connect() as conn:
            conn.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})
            with self.sessions(bind=conn) as session, session.begin():
                session.info[WRITING] = True
                yield session

    @contextmanager
    def _turn(self) -> Iterator[None]:
        with self._writer:
            if self._turns is None:
                path = self.location.sqlite_path
                if path is None or fcntl is None:
                    yield
                    return
                self._turns = os.open(f"{path}{TURNS}", os.O_RDWR | os.O_CREAT, FILE_MODE)
            fcntl.flock(self._turns, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self._turns, fcntl.LOCK_UN)

    def revision(self) -> str | None:
        return migrate.current_revision(self.engine, self.location)

    def counts(self) -> dict[str, int]:
        """Rows per table (tables not created yet are left out)."""
        return table_counts(self.engine, self.location)

    def close(self) -> None:
        self.engine.dispose()
        with self._writer:
            if self._turns is not None:
                os.close(self._turns)
                self._turns = None


def refuse_pending(engine: Engine, location: StoreLocation) -> None:
    todo = migrate.pending(engine, location)
    if todo:
        raise StoreError(f"{location.display}: {len(todo)} schema migration(s) pending "
                         f"({', '.join(todo)}); run `{migrate.UPGRADE_COMMAND}` first")


def table_counts(engine: Engine, location: StoreLocation) -> dict[str, int]:
    with one_line_errors(location, "cannot count rows"), engine.connect() as conn:
        present = set(inspect(conn).get_table_names())
        return {t.name: int(conn.execute(select(func.count()).select_from(t)).scalar_one())
                for t in Base.metadata.sorted_tables if t.name in present}


def status(location: StoreLocation) -> DbStatus:
    """The store's revision and pending migrations; a SQLite file that does not exist yet
    is reported as never migrated, and not created."""
    path = location.sqlite_path
    if path is not None and not path.exists():
        return DbStatus(location.display, location.origin, location.dialect, None,
                        migrate.head(), migrate.pending_from(None, location), 0)
    engine = make_engine(location)
    try:
        return DbStatus(location.display, location.origin, location.dialect,
                        migrate.current_revision(engine, location), migrate.head(),
                        migrate.pending(engine, location),
                        sum(table_counts(engine, location).values()))
    finally:
        engine.dispose()
