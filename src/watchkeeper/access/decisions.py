"""The decision log: every answer of `authorize`, written in one bulk insert per batch
(so the log keeps up with the decisions), read back by principal, resource and time.
`DecisionWriter` writes behind the answers, for callers that must not wait for the
store (the service's single decisions).

`decision_rows` is the plain reading of the log other jobs build on (violation
detection compares data-access events with what was allowed).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import cast

from sqlalchemy import Select, Table, bindparam, insert, select
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from watchkeeper.access.decide import Decision
from watchkeeper.store.models import AccessDecision

log = logging.getLogger("watchkeeper.access")


@dataclass(frozen=True)
class DecisionRow:
    """One stored decision."""

    id: int
    at: datetime
    principal: str
    action: str
    resource: str
    purpose: str | None
    ticket: str | None
    decision: str
    policies: tuple[str, ...]
    reasons: tuple[str, ...]
    grant_id: int | None
    risk: str
    caller: str


COLUMNS = ("at", "principal", "action", "resource", "purpose", "ticket", "decision",
           "policies", "reason", "grant_id", "risk", "caller")
_SQL: dict[str, tuple[str, tuple[str, ...] | None]] = {}


def _statement(dialect: Dialect) -> tuple[str, tuple[str, ...] | None]:
    """The INSERT in the driver's own parameter style, compiled once per dialect, and
    the order of its positional parameters (None: named)."""
    found = _SQL.get(dialect.name)
    if found is None:
        table = cast(Table, AccessDecision.__table__)
        compiled = insert(table).values({c: bindparam(c) for c in COLUMNS}).compile(
            dialect=dialect)
        order = tuple(compiled.positiontup) if compiled.positiontup else None
        found = _SQL[dialect.name] = (str(compiled), order)
    return found


def record(session: Session, decisions: Sequence[Decision], caller: str) -> None:
    """Append `decisions` to the log in one executemany (the caller commits). The rows
    go to the driver as they are: every value is text or a number but the time, which
    is converted once per batch the way the column's type converts it."""
    if not decisions:
        return
    connection = session.connection()
    dialect = connection.dialect
    sql, order = _statement(dialect)
    convert = cast(Table, AccessDecision.__table__).c.at.type.bind_processor(
        dialect)
    times: dict[datetime, object] = {}
    joined: dict[tuple[str, ...], str] = {}
    said: dict[tuple[str, ...], str] = {}
    rows = []
    for d in decisions:     # a hot loop: tens of thousands of rows a second
        at = times.get(d.at)
        if at is None:
            at = times[d.at] = convert(d.at) if convert is not None else d.at
        policies = joined.get(d.policies)
        if policies is None:
            policies = joined[d.policies] = " ".join(d.policies)
        reason = said.get(d.reasons)
        if reason is None:
            reason = said[d.reasons] = "\n".join(d.reasons)
        rows.append({"at": at, "principal": d.principal, "action": d.action,
                     "resource": d.resource, "purpose": d.purpose or None,
                     "ticket": d.ticket or None, "decision": d.decision,
                     "policies": policies, "reason": reason,
                     "grant_id": d.grant_id, "risk": d.risk, "caller": caller})
    if order is not None:
        get = itemgetter(*order)
        connection.exec_driver_sql(sql, [get(r) for r in rows])
    else:
        connection.exec_driver_sql(sql, rows)


class DecisionWriter:
    """Decisions written behind the answers: `submit` queues them and returns; a thread
    of its own writes what is queued every `interval` seconds, all of it in one
    transaction (`write`). The service's single decisions use it, so an answer waits
    for no commit of the store (SQLite's WAL checkpoints, PostgreSQL's round trips).

    What is queued is written before `flush` or `close` return (reads of the log flush
    first, and the workspace closes the writer with its store). A failed write keeps
    the decisions queued and is tried again at the next tick; once `max_pending` are
    waiting, `submit` writes them itself, so a store that is down fails the request
    instead of losing its decision. A process killed outright loses at most the last
    `interval` of decisions."""

    def __init__(self, write: Callable[[Sequence[tuple[Decision, str]]], None], *,
                 interval: float = 0.05, max_pending: int = 20_000) -> None:
        self._write = write
        self.interval = interval
        self.max_pending = max_pending
        self._pending: list[tuple[Decision, str]] = []
        self._lock = threading.Lock()          # guards _pending
        self._writing = threading.Lock()       # one write at a time, in order
        self._wake = threading.Event()
        self._stop = False
        self._thread: threading.Thread | None = None
        self.failures = 0

    def submit(self, decisions: Sequence[Decision], caller: str) -> None:
        with self._lock:
            self._pending.extend((d, caller) for d in decisions)
            full = len(self._pending) >= self.max_pending
            if self._thread is None and not self._stop:
                self._thread = threading.Thread(target=self._run, daemon=True,
                                                name="watchkeeper-decision-log")
                self._thread.start()
        if full:
            self.flush()

    def flush(self) -> None:
        """Write everything queued now, in this thread; raises what the store raised
        (the decisions stay queued)."""
        with self._writing:
            with self._lock:
                batch, self._pending = self._pending, []
            if not batch:
                return
            try:
                self._write(batch)
            except BaseException:
                with self._lock:
                    self._pending[:0] = batch
                raise

    def close(self) -> None:
        """Stop the thread and write what is queued."""
        with self._lock:
            self._stop = True
            thread, self._thread = self._thread, None
        self._wake.set()
        if thread is not None:
            thread.join()
        self.flush()

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    def _run(self) -> None:
        while True:
            self._wake.wait(self.interval)
            if self._stop:
                return
            try:
                self.flush()
            except Exception:   # kept queued; told in the log, tried again next tick
                self.failures += 1
                log.exception("writing the decision log failed; %d decision(s) kept "
                              "queued", self.pending)


def record_many(session: Session, queued: Sequence[tuple[Decision, str]]) -> None:
    """`record` for decisions of several callers (one executemany per caller)."""
    by_caller: dict[str, list[Decision]] = {}
    for decision, caller in queued:
        by_caller.setdefault(caller, []).append(decision)
    for caller, decisions in by_caller.items():
        record(session, decisions, caller)


def list_decisions(session: Session, *, principal: str | None = None,
                   resource: str | None = None, since: datetime | None = None,
                   until: datetime | None = None, limit: int = 100
                   ) -> tuple[DecisionRow, ...]:
    """Stored decisions, newest first (`limit` 0: all)."""
    query = _filtered(principal, resource, since, until).order_by(
        AccessDecision.at.desc(), AccessDecision.id.desc())
    if limit:
        query = query.limit(limit)
    return tuple(_row(r) for r in session.scalars(query))


def decision_rows(session: Session, since: datetime | None = None,
                  until: datetime | None = None) -> Iterator[DecisionRow]:
    """Every stored decision made at `since` or later and before `until` (None: open),
    oldest first, read in chunks."""
    query = _filtered(None, None, since, until).order_by(AccessDecision.at,
                                                         AccessDecision.id)
    for row in session.scalars(query.execution_options(yield_per=5000)):
        yield _row(row)


def _filtered(principal: str | None, resource: str | None, since: datetime | None,
              until: datetime | None) -> Select[AccessDecision]:
    query = select(AccessDecision)
    if principal is not None:
        query = query.where(AccessDecision.principal == principal)
    if resource is not None:
        query = query.where(AccessDecision.resource == resource)
    if since is not None:
        query = query.where(AccessDecision.at >= since)
    if until is not None:
        query = query.where(AccessDecision.at < until)
    return query


def _row(r: AccessDecision) -> DecisionRow:
    return DecisionRow(r.id, r.at, r.principal, r.action, r.resource, r.purpose, r.ticket,
                       r.decision, tuple(r.policies.split()),
                       tuple(r.reason.split("\n")) if r.reason else (), r.grant_id,
                       r.risk, r.caller)
