"""The audit chain in the state store: `SqlAuditStore` on ``audit_entries`` and
``audit_checkpoints``, and `workspace_audit_log` (the store, the workspace's audit key and
its ``keys/audit.head``).

Appends are serialized by the database, so processes sharing a store (the CLI, several
service workers) keep one chain: SQLite starts the append's transaction with ``BEGIN
IMMEDIATE`` (the write lock is taken before the last entry is read; other writers wait on
the busy timeout), PostgreSQL locks ``audit_entries`` in SHARE ROW EXCLUSIVE mode (appends
queue, plain reads do not wait). ``seq`` is the primary key besides, so an insert that
raced anyway fails instead of forking the chain.

`append_in(session, build)` appends inside a caller's transaction instead, so an entry and
the change it records (a reveal, an account change) commit together or not at all; it
takes the same lock in that transaction (`hold_append_lock`).

Reads stream in batches by seq, each batch its own short transaction, so verifying a long
log holds no lock. A row that is no entry (a NULL or a wrong type written by hand) is an
`AuditError` naming its seq.

Imported from this module (not from `watchkeeper.security`), so using pseudonyms does not
load SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import cast

from sqlalchemy import Select, false, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from watchkeeper.errors import AuditError
from watchkeeper.security.audit import AuditLog
from watchkeeper.security.audit_entry import AuditCheckpoint, AuditEntry
from watchkeeper.security.audit_stores import HeadFile
from watchkeeper.security.keys import Keys
from watchkeeper.store.engine import SQLITE_BEGIN, one_line_errors
from watchkeeper.store.models.security import AuditCheckpoint as CheckpointRow
from watchkeeper.store.models.security import AuditEntry as EntryRow
from watchkeeper.store.paging import Order, Page, page
from watchkeeper.store.state import StateStore

BATCH = 1000
#: Column widths of ``audit_entries`` (PostgreSQL enforces them; SQLite would not).
WIDTHS = {"actor": 200, "action": 64, "object_type": 64, "object_id": 200}


@dataclass(frozen=True)
class AuditFilter:
    """Which entries to list: exact ``actor``; ``action`` itself or below it
    (``case`` matches ``case.read``); entries at or after ``since`` (aware); one object."""

    actor: str | None = None
    action: str | None = None
    since: datetime | None = None
    object_type: str | None = None
    object_id: str | None = None


@dataclass(frozen=True)
class AuditPageRequest:
    """One page of a listing, newest entry first: at most ``limit`` entries, after
    ``cursor`` (the ``next_cursor`` of the page before)."""

    limit: int = 50
    cursor: str | None = None


class SqlAuditStore:
    """An `AuditStore` on the state store's audit tables."""

    def __init__(self, state: StateStore) -> None:
        self.state = state

    def __repr__(self) -> str:
        return f"SqlAuditStore({self.state.location.display!r})"

    def append(self, build: Callable[[AuditEntry | None], AuditEntry]) -> AuditEntry:
        with one_line_errors(self.state.location, "cannot append to the audit log"), \
                self._serialized() as session:
            return _append(session, build, self.state.location.display)

    def entries(self) -> Iterator[AuditEntry]:
        after: int | None = None
        while True:
            query = select(EntryRow).order_by(EntryRow.seq).limit(BATCH)
            if after is not None:
                query = query.where(EntryRow.seq > after)
            where = f"after seq {after}" if after is not None else "from the start"
            with self._reading(f"cannot read the audit log {where}") as session:
                rows = list(session.scalars(query).all())
            for row in rows:
                yield self._entry(row)
            if len(rows) < BATCH:
                return
            after = rows[-1].seq

    def last(self) -> AuditEntry | None:
        with self._reading("cannot read the last audit entry") as session:
            row = session.scalars(select(EntryRow).order_by(EntryRow.seq.desc())
                                  .limit(1)).first()
        return self._entry(row) if row is not None else None

    def save_checkpoint(self, checkpoint: AuditCheckpoint) -> None:
        """Record `checkpoint`; one already recorded for its seq is kept as it is (the
        first record of a seq is the evidence)."""
        with one_line_errors(self.state.location, "cannot save an audit checkpoint"):
            try:
                with self._serialized() as session:
                    if session.get(CheckpointRow, checkpoint.seq) is None:
                        session.add(CheckpointRow(seq=checkpoint.seq, hash=checkpoint.hash,
                                                  at=checkpoint.at))
            except IntegrityError:
                return  # another process checkpointed the same seq at the same moment

    def checkpoints(self) -> Sequence[AuditCheckpoint]:
        with self._reading("cannot read the audit checkpoints") as session:
            rows = session.scalars(select(CheckpointRow).order_by(CheckpointRow.seq)).all()
            return tuple(AuditCheckpoint(r.seq, r.hash, r.at) for r in rows)

    def list(self, filters: AuditFilter, request: AuditPageRequest) -> Page[AuditEntry]:
        """Entries matching `filters`, newest first, one page at a time."""
        query = _filtered(select(EntryRow), filters)
        with self._reading("cannot list the audit log") as session:
            found = page(session, query, limit=request.limit, cursor=request.cursor,
                         order=(Order(EntryRow.seq, descending=True),))
            # page() is typed by the select's row tuple; its items are the entities
            items = tuple(self._entry(cast(EntryRow, row)) for row in found.items)
        return Page(items, found.next_cursor, found.offset)

    @contextmanager
    def _serialized(self) -> Iterator[Session]:
        """A unit of work that holds the append lock from its first statement (also for
        checkpoints: a SQLite transaction that reads, then writes, fails at once with
        "database is locked" when another writer committed in between)."""
        dialect = self.state.location.dialect
        with self.state.engine.connect() as conn:
            if dialect == "sqlite":
                conn.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})
            with Session(bind=conn, expire_on_commit=False) as session, session.begin():
                if dialect == "postgresql":
                    table = conn.dialect.identifier_preparer.format_table(
                        EntryRow.__table__)
                    session.execute(text(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE"))
                yield session

    def _entry(self, row: EntryRow) -> AuditEntry:
        return _entry_of(row, self.state.location.display)

    @contextmanager
    def _reading(self, doing: str) -> Iterator[Session]:
        """A session for reads; a value the columns cannot hold (a time written by hand
        as text SQLite cannot parse) is one line too."""
        try:
            with one_line_errors(self.state.location, doing), \
                    self.state.session() as session:
                yield session
        except ValueError as exc:
            raise AuditError(f"{self.state.location.display}: {doing}: {exc}") from exc


COLUMNS = ("seq", "at", "actor", "action", "object_type", "object_id", "detail",
           "prev_hash", "hash")


def hold_append_lock(session: Session) -> None:
    """Take the audit chain's append lock in `session`'s transaction, held until it
    ends. PostgreSQL: lock ``audit_entries`` as `SqlAuditStore.append` does. SQLite:
    take the database's write lock now, with a write that changes nothing; called
    first in a transaction, the transaction then waits its turn (the busy timeout)
    instead of failing when another writer commits between its reads and its writes."""
    if session.get_bind().dialect.name == "postgresql":
        table = session.get_bind().dialect.identifier_preparer.format_table(
            EntryRow.__table__)
        session.execute(text(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE"))
    else:
        session.execute(update(EntryRow).where(false()).values(seq=EntryRow.seq),
                        execution_options={"synchronize_session": False})


def append_in(session: Session, build: Callable[[AuditEntry | None], AuditEntry]
              ) -> AuditEntry:
    """Append the entry `build` makes inside the caller's transaction: it commits with
    what the caller changed, or neither does. Checkpoint only after that commit."""
    hold_append_lock(session)
    return _append(session, build, "state store")


def _append(session: Session, build: Callable[[AuditEntry | None], AuditEntry],
            where: str) -> AuditEntry:
    """Read the last entry, build the next, store it (the caller holds the lock)."""
    row = session.scalars(select(EntryRow).order_by(EntryRow.seq.desc()).limit(1)).first()
    entry = build(_entry_of(row, where) if row is not None else None)
    _check_widths(entry)
    session.add(EntryRow(**entry.to_row()))
    session.flush()
    return entry


def _entry_of(row: EntryRow, where: str) -> AuditEntry:
    try:
        return AuditEntry.from_row({c: getattr(row, c) for c in COLUMNS})
    except ValueError as exc:
        raise AuditError(f"{where}: audit entry {row.seq}: not an audit entry: {exc}"
                         ) from None


def workspace_audit_log(root: Path | str, state: StateStore) -> AuditLog:
    """The workspace's audit log: entries in `state`, keyed with ``keys/audit.key``,
    the head copied to ``keys/audit.head``."""
    return AuditLog(SqlAuditStore(state), Keys(root).get("audit"),
                    head=HeadFile.of_workspace(root))


def _filtered(query: Select[tuple[EntryRow]],
              filters: AuditFilter) -> Select[tuple[EntryRow]]:
    if filters.actor is not None:
        query = query.where(EntryRow.actor == filters.actor)
    if filters.action is not None:
        query = query.where((EntryRow.action == filters.action)
                            | EntryRow.action.startswith(f"{filters.action}.",
                                                         autoescape=True))
    if filters.since is not None:
        query = query.where(EntryRow.at >= filters.since)
    if filters.object_type is not None:
        query = query.where(EntryRow.object_type == filters.object_type)
    if filters.object_id is not None:
        query = query.where(EntryRow.object_id == filters.object_id)
    return query


def _check_widths(entry: AuditEntry) -> None:
    for name, width in WIDTHS.items():
        if len(getattr(entry, name)) > width:
            raise ValueError(f"audit {name}: at most {width} characters in the state store")
