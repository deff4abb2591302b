"""The scheduler's jobs in the state store, and the lease that makes one run at a time.

Each change is one statement in a transaction of its own. Taking a job (`claim`) is one
conditional ``UPDATE … WHERE lease is free or expired … RETURNING``: on PostgreSQL a
second scheduler's UPDATE waits for the first one's row lock and then finds the lease
taken; on SQLite writers take turns on the database lock. Either way exactly one of
them gets the row back, so two schedulers on one store never run a job twice. Every
later change names the holder (``WHERE lease_holder = :me``): a scheduler whose lease
ran out and was taken over changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from watchkeeper.store import StateStore
from watchkeeper.store.engine import SQLITE_BEGIN, one_line_errors
from watchkeeper.store.models import SchedulerJob

OK, WARNING, FAILED = "ok", "warning", "failed"


@dataclass(frozen=True)
class JobState:
    """A job's row as stored."""

    name: str
    next_run: datetime
    last_start: datetime | None = None
    last_end: datetime | None = None
    outcome: str | None = None
    summary: str | None = None
    error: str | None = None
    attempts: int = 0
    runs: int = 0
    failures: int = 0
    lease_holder: str | None = None
    lease_expires: datetime | None = None
    cursor: Mapping[str, Any] = field(default_factory=dict)

    def leased(self, now: datetime) -> bool:
        """Whether a scheduler holds the job at `now` (its lease has not run out)."""
        return self.lease_holder is not None and self.lease_expires is not None \
            and self.lease_expires > now


@dataclass(frozen=True)
class Finish:
    """How a run ended, as `JobStore.finish` records it."""

    outcome: str
    ended: datetime
    next_run: datetime
    summary: str | None = None
    error: str | None = None
    cursor: Mapping[str, Any] | None = None   # None: keep the stored one


def _state(row: SchedulerJob) -> JobState:
    return JobState(row.name, row.next_run, row.last_start, row.last_end, row.outcome,
                    row.summary, row.error, row.attempts, row.runs, row.failures,
                    row.lease_holder, row.lease_expires, dict(row.cursor or {}))


class JobStore:
    """The `scheduler_jobs` table of one state store."""

    def __init__(self, state: StateStore) -> None:
        self.state = state

    def ensure(self, names: Iterable[str], now: datetime) -> None:
        """Add a row for each job not stored yet, due at `now` (a row another scheduler
        adds meanwhile is kept as it is)."""
        rows = [{"name": n, "next_run": now, "attempts": 0, "runs": 0, "failures": 0,
                 "cursor": {}} for n in names]
        if not rows:
            return
        dialect = postgresql if self.state.location.dialect == "postgresql" else sqlite
        statement = dialect.insert(SchedulerJob).values(rows).on_conflict_do_nothing(
            index_elements=["name"])
        self._write("cannot add the scheduler's jobs", statement)

    def states(self) -> dict[str, JobState]:
        with one_line_errors(self.state.location, "cannot read the scheduler's jobs"), \
                self.state.session() as session:
            return {r.name: _state(r) for r in session.scalars(select(SchedulerJob))}

    def claim(self, name: str, holder: str, now: datetime, until: datetime, *,
              force: bool = False) -> JobState | None:
        """Take the job's lease until `until` and mark its start, if its lease is free
        (or ran out) and it is due (or `force`); the row as taken, or None."""
        free = or_(SchedulerJob.lease_holder.is_(None), SchedulerJob.lease_expires <= now)
        where: ColumnElement[bool] = and_(SchedulerJob.name == name, free)
        if not force:
            where = and_(where, SchedulerJob.next_run <= now)
        statement = (update(SchedulerJob).where(where)
                     .values(lease_holder=holder, lease_expires=until, last_start=now)
                     .returning(SchedulerJob))
        with one_line_errors(self.state.location, f"cannot take job {name}"), \
                self._session() as session:
            row = session.scalars(statement, execution_options={
                "synchronize_session": False}).one_or_none()
            return _state(row) if row is not None else None

    def renew(self, name: str, holder: str, until: datetime) -> bool:
        """Extend the lease the holder has; False when it has it no more."""
        return self._held(name, holder, f"cannot renew the lease of job {name}",
                          lease_expires=until)

    def finish(self, name: str, holder: str, end: Finish, *, failed: bool,
               keep_lease: bool = False) -> bool:
        """Record a run's end (and release the lease, unless `keep_lease`: the run's
        thread is still alive after its timeout). False when the holder lost the lease."""
        values: dict[str, Any] = {
            "outcome": end.outcome, "summary": end.summary, "error": end.error,
            "last_end": end.ended, "next_run": end.next_run, "runs": SchedulerJob.runs + 1,
            "attempts": SchedulerJob.attempts + 1 if failed else 0,
            "failures": SchedulerJob.failures + int(failed)}
        if end.cursor is not None:
            values["cursor"] = dict(end.cursor)
        if not keep_lease:
            values.update(lease_holder=None, lease_expires=None)
        return self._held(name, holder, f"cannot record the end of job {name}", **values)

    def release(self, name: str, holder: str) -> bool:
        return self._held(name, holder, f"cannot release job {name}",
                          lease_holder=None, lease_expires=None)

    def wake(self, names: Iterable[str], now: datetime) -> int:
        """Make jobs due now (those not in a back-off after failing); how many were."""
        wanted = list(names)
        if not wanted:
            return 0
        statement = (update(SchedulerJob)
                     .where(SchedulerJob.name.in_(wanted), SchedulerJob.next_run > now,
                            SchedulerJob.attempts == 0)
                     .values(next_run=now))
        return self._write("cannot wake the jobs that follow", statement)

    def _held(self, name: str, holder: str, doing: str, **values: Any) -> bool:
        statement = (update(SchedulerJob)
                     .where(SchedulerJob.name == name, SchedulerJob.lease_holder == holder)
                     .values(**values))
        return self._write(doing, statement) == 1

    def _write(self, doing: str, statement: Any) -> int:
        with one_line_errors(self.state.location, doing), self._session() as session:
            done = session.execute(statement,
                                   execution_options={"synchronize_session": False})
            return int(getattr(done, "rowcount", 0) or 0)

    @contextmanager
    def _session(self) -> Iterator[Session]:
        """A unit of work; on SQLite it takes the write lock at BEGIN (writers queue on
        the busy timeout instead of failing)."""
        with self.state.engine.connect() as conn:
            if self.state.location.dialect == "sqlite":
                conn.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})
            with Session(bind=conn, expire_on_commit=False) as session, session.begin():
                yield session
