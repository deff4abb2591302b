"""Schema migrations (Alembic), shipped inside the package and run without alembic.ini.

`upgrade` applies what is pending, `current_revision` and `pending` say where a store
stands. A store at a revision this version does not know was migrated by a newer
Watchkeeper: every function refuses it rather than guess.

On SQLite a migration that changes a column copies the table (Alembic's batch mode) and
drops the old one. With foreign keys enforced, dropping a table deletes its rows first
and cascades to their children (an alert's people, hosts, observables, findings and
changes), so migrations run with foreign keys off, as SQLite's own procedure for
altering a table asks, and `PRAGMA foreign_key_check` must find nothing dangling before
the transaction commits.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

from watchkeeper.errors import StoreError
from watchkeeper.store.engine import make_engine, one_line_errors
from watchkeeper.store.url import StoreLocation

MIGRATIONS = Path(__file__).parent / "migrations"
UPGRADE_COMMAND = "watchkeeper db upgrade"


@dataclass(frozen=True)
class UpgradeReport:
    """What `upgrade` did: the revisions before and after, and those applied in order."""

    database: str
    before: str | None
    after: str
    applied: tuple[str, ...]


def config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(config())


def head() -> str:
    revision = scripts().get_current_head()
    if revision is None:  # pragma: no cover - the package ships its migrations
        raise StoreError(f"{MIGRATIONS}: no migrations found")
    return revision


def known(revision: str) -> bool:
    return any(s.revision == revision for s in scripts().walk_revisions())


def current_revision(engine: Engine, location: StoreLocation) -> str | None:
    """The store's revision (None: never migrated)."""
    with one_line_errors(location, "cannot read its schema revision"), \
            engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def pending(engine: Engine, location: StoreLocation) -> tuple[str, ...]:
    """The revisions `upgrade` would apply, oldest first."""
    return pending_from(current_revision(engine, location), location)


def pending_from(current: str | None, location: StoreLocation) -> tuple[str, ...]:
    return _between(current, location)


def upgrade(location: StoreLocation, engine: Engine | None = None,
            revision: str = "head") -> UpgradeReport:
    """Apply every pending migration (up to `revision`), in one transaction on PostgreSQL."""
    own = engine is None
    engine = engine or make_engine(location)
    try:
        before = current_revision(engine, location)
        target = head() if revision == "head" else revision
        todo = _between(before, location, target)
        if todo:
            with one_line_errors(location, "migration failed"), \
                    migrating(engine, location) as conn:
                command.upgrade(config(conn), target)
        return UpgradeReport(location.display, before, target if todo else before or target,
                             todo)
    finally:
        if own:
            engine.dispose()


def downgrade(location: StoreLocation, engine: Engine, revision: str) -> None:
    """Undo migrations down to `revision` (``base``: every one), in one transaction."""
    with one_line_errors(location, "downgrade failed"), migrating(engine, location) as conn:
        command.downgrade(config(conn), revision)


@contextmanager
def migrating(engine: Engine, location: StoreLocation) -> Iterator[Connection]:
    """A connection in a transaction for migrations; on SQLite with foreign keys off
    until it ends, and checked before it commits (see the module docstring)."""
    with engine.connect() as conn:
        if conn.dialect.name != "sqlite":
            with conn.begin():
                yield conn
            return
        # the pragma is a no-op inside a transaction: set it on the driver's connection
        # before SQLAlchemy begins one, and set it back whatever happens
        raw = conn.connection.dbapi_connection
        if raw is None:  # pragma: no cover - a connection just checked out has one
            raise StoreError("the SQLite connection is closed")
        raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                yield conn
                dangling = conn.exec_driver_sql("PRAGMA foreign_key_check").first()
                if dangling is not None:
                    raise StoreError(f"{location.display}: migration left a row of "
                                     f"{dangling[0]} pointing at a missing row of "
                                     f"{dangling[2]}; nothing was changed")
        finally:
            raw.execute("PRAGMA foreign_keys=ON")


def _between(current: str | None, location: StoreLocation,
             target: str | None = None) -> tuple[str, ...]:
    if current is not None and not known(current):
        raise StoreError(f"{location.display}: schema revision {current} is unknown to this "
                         "Watchkeeper (a newer version migrated it); upgrade Watchkeeper")
    steps = scripts().iterate_revisions(target or head(), current)
    return tuple(reversed([s.revision for s in steps]))
