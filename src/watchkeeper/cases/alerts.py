"""The alert queue's intake: normalized alerts (`AlertIn`) into the state store.

`ingest_alerts(session, alerts, received_at)` stores a batch in the caller's transaction,
so the batch is stored whole or not at all. Per ``(source, source_ref)``:

- not stored yet: a new alert, suppressed by the first active suppression it matches
  (`cases.suppression`) and put in a group by the first grouping rule whose key it has
  (`cases.grouping`);
- stored with the same fingerprint: nothing changes but the row's ``duplicates`` count;
- stored with another fingerprint (a Sentinel incident closed since): the row takes the
  new content and an `AlertChange` keeps each changed field's value before and after.

Two sessions posting the same alert at once never make two rows: the unique constraint
on ``(source, source_ref)`` refuses the second insert, which then finds the first one's
row and counts a duplicate. `store_alerts(state, alerts)` runs one transaction with
retries for what a concurrent writer can cause (SQLite busy, PostgreSQL deadlock).
An alert's rows are built and checked against the column limits by `cases.alert_rows`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from sqlalchemy import Table, bindparam, false, insert, select, update
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, selectinload

from watchkeeper.cases.alert_rows import children_of, columns, fill, snapshot
from watchkeeper.cases.grouping import Grouper
from watchkeeper.cases.model import AlertIn
from watchkeeper.cases.rollups import Deltas, apply
from watchkeeper.cases.suppression import InForce, active_suppressions, first_match
from watchkeeper.errors import IntakeError
from watchkeeper.store import StateStore
from watchkeeper.store.engine import one_line_errors
from watchkeeper.store.models import (
    Alert,
    AlertChange,
    AlertFinding,
    AlertHost,
    AlertObservable,
    AlertSubject,
)
from watchkeeper.store.state import WRITING

T = TypeVar("T")
RETRIES = 8
RERUN_ON_RACE = "watchkeeper.intake.rerun_on_race"   # session.info: `retrying` runs it
CHUNK = 500   # keys per IN list (SQLite allows 32,766 parameters; stay far below)
Key = tuple[str, str]
ALERTS = cast(Table, Alert.__table__)
INSERT_ALERTS = insert(ALERTS).returning(ALERTS.c.id, sort_by_parameter_order=True)
INSERT_ONE = insert(ALERTS).returning(ALERTS.c.id)
# each child table, its columns, and the `Children` field holding its rows
CHILD_TABLES = tuple((cast(Table, model.__table__), columns, name)
                     for model, columns, name in (
    (AlertSubject, ("alert_id", "subject"), "subjects"),
    (AlertHost, ("alert_id", "host"), "hosts"),
    (AlertFinding, ("alert_id", "finding_id"), "findings"),
    (AlertObservable, ("alert_id", "type", "value"), "observables")))
_CHILD_SQL: dict[str, tuple[tuple[str, tuple[str, ...] | None, str], ...]] = {}


@dataclass(frozen=True)
class _Added:
    index: int
    id: int
    suppressed: bool
    joined: bool
    row: dict[str, Any]   # its columns, for the rollups
    case_id: int | None = None


@dataclass(frozen=True)
class IntakeResult:
    """What one batch did. ``received = new + updated + duplicates``; ``suppressed`` and
    ``grouped`` count new alerts that a suppression marked, or that joined a group
    already holding alerts. ``alert_ids`` are the stored ids in the batch's order."""

    received: int
    new: int
    updated: int
    duplicates: int
    suppressed: int
    grouped: int
    alert_ids: tuple[int, ...]
    # (id, case or None) of each alert stored for the first time and not suppressed
    fresh: tuple[tuple[int, int | None], ...] = ()


class _Batch:
    """One batch's intake in one session: what became of each alert (by its index), when
    each was received, and the suppressions and grouping rules in force (read once, on
    the first new alert, as of the latest receipt)."""

    def __init__(self, session: Session, received: Sequence[datetime]) -> None:
        self.session = session
        self.received = received
        self.new: set[int] = set()
        self.updated: set[int] = set()
        self.duplicates: set[int] = set()
        self.suppressed: set[int] = set()
        self.grouped: set[int] = set()
        self.fresh: dict[int, tuple[int, int | None]] = {}   # new, not suppressed: (id, case)
        self._rules: tuple[list[InForce], Grouper] | None = None
        self.deltas = Deltas()   # the rollup's counts, applied once at the end

    def rules(self) -> tuple[list[InForce], Grouper]:
        if self._rules is None:
            self._rules = (active_suppressions(self.session, max(self.received)),
                           Grouper(self.session))
        return self._rules

    def result(self, alerts: Sequence[AlertIn], ids: dict[Key, int],
               start: int, stop: int) -> IntakeResult:
        """What the alerts ``start..stop`` (one request's) did."""
        span = range(start, stop)
        return IntakeResult(
            stop - start, sum(i in self.new for i in span),
            sum(i in self.updated for i in span), sum(i in self.duplicates for i in span),
            sum(i in self.suppressed for i in span), sum(i in self.grouped for i in span),
            tuple(ids[(alerts[i].source, alerts[i].source_ref)] for i in span),
            tuple(sorted(self.fresh[i] for i in span if i in self.fresh)))

    def add_all(self, firsts: dict[Key, tuple[AlertIn, int]]) -> dict[Key, int]:
        """Insert new alerts (one alert of each key) in one go; when another session
        inserted one of them first, again one by one. Their ids. A session holding
        SQLite's write lock (`StateStore.writing`) has had it since before it looked the
        keys up, so nobody can have inserted one since: no savepoint to fall back to.
        Nor in a transaction `retrying` runs again whole after a unique race
        (PostgreSQL): the run again finds the other session's rows, and the savepoint
        would cost two round trips in every transaction to spare one in a rare race."""
        if self.session.info.get(WRITING) or self.session.info.get(RERUN_ON_RACE):
            return dict(zip(firsts, self._count(self._insert(list(firsts.values()))),
                            strict=True))
        try:
            with self.session.begin_nested():
                added = self._insert(list(firsts.values()))
        except IntegrityError:
            return {key: self.add(key, alert, i) for key, (alert, i) in firsts.items()}
        return dict(zip(firsts, self._count(added), strict=True))

    def add(self, key: Key, alert: AlertIn, index: int) -> int:
        """Insert one new alert; when another session inserted it first (the unique
        constraint says so) it is a re-send of that session's row."""
        try:
            with self.session.begin_nested():
                added = self._insert([(alert, index)])
        except IntegrityError:
            other = _load(self.session, [key]).get(key)
            if other is None:
                raise
            self.resend(other, alert, index)
            return other.id
        return self._count(added)[0]

    def _insert(self, items: list[tuple[AlertIn, int]]) -> list[_Added]:
        """Insert new rows, suppressed and grouped, with their children: one statement
        per table (a multi-row insert), not one per row and child."""
        suppressions, grouper = self.rules()
        rows, children, placed = [], [], []
        for alert, index in items:
            row = columns(alert, index, new=True)
            place = grouper.place(alert)
            at = self.received[index]
            row.update(received_at=at, updated_at=at,
                       duplicates=0, suppressed_by=first_match(suppressions, alert),
                       group_id=place.group_id, case_id=place.case_id)
            rows.append(row)
            children.append(children_of(alert, index))
            placed.append(place.joined)
        # Core statements built once, on the session's connection: the ORM session's
        # execute (and building an insert per call) cost more than SQLite's own work
        connection = self.session.connection()
        ids = list(connection.scalars(INSERT_ALERTS, rows)) if len(rows) > 1 else \
            [connection.execute(INSERT_ONE, rows[0]).scalar_one()]   # no executemany
        for sql, order, name in _child_sql(connection.dialect):
            values = [{"alert_id": i, **v} for i, kids in zip(ids, children, strict=True)
                      for v in getattr(kids, name)]
            if values:
                connection.exec_driver_sql(
                    sql, [tuple(v[k] for k in order) for v in values] if order else values)
        return [_Added(index, i, row["suppressed_by"] is not None, joined,
                       row, row["case_id"])
                for (_, index), i, row, joined in zip(items, ids, rows, placed, strict=True)]

    def _count(self, added: list[_Added]) -> list[int]:
        for one in added:
            self.new.add(one.index)
            self.deltas.alert(one.row)
            if one.suppressed:
                self.suppressed.add(one.index)
            else:
                self.fresh[one.index] = (one.id, one.case_id)
            if one.joined:
                self.grouped.add(one.index)
        return [one.id for one in added]

    def resend(self, row: Alert, alert: AlertIn, index: int) -> None:
        """A stored alert sent again: count it, or take its changed content."""
        after = alert.fingerprint()
        if after == row.fingerprint:
            self.duplicates.add(index)
            self.session.execute(update(Alert).where(Alert.id == row.id)
                                 .values(duplicates=Alert.duplicates + 1,
                                         updated_at=Alert.updated_at)  # not `onupdate`
                                 .execution_options(synchronize_session=False))
            return
        before_fingerprint, before = row.fingerprint, snapshot(row)
        self.deltas.alert(row, -1)
        fill(row, alert, index)
        self.deltas.alert(row)
        row.updated_at = self.received[index]
        now = snapshot(row)
        fields = {name: {"before": old, "after": now[name]}
                  for name, old in before.items() if now[name] != old}
        self.session.add(AlertChange(alert_id=row.id, at=self.received[index],
                                     before_fingerprint=before_fingerprint,
                                     after_fingerprint=after, fields=fields))
        self.session.flush()
        self.updated.add(index)


def ingest_alerts(session: Session, alerts: Sequence[AlertIn],
                  received_at: datetime) -> IntakeResult:
    """Store `alerts` in `session`'s transaction (see the module docstring). A bad alert
    raises `IntakeError` naming ``alerts[i].field``; the caller's rollback then undoes
    the whole batch."""
    return ingest_requests(session, [(alerts, received_at)])[0]


def ingest_requests(session: Session,
                    requests: Sequence[tuple[Sequence[AlertIn], datetime]]
                    ) -> list[IntakeResult]:
    """Store the alerts of several requests, each with when it was received, in
    `session`'s transaction as one batch (a group commit: one lookup, one insert per
    table), and say what each request's alerts did. A bad alert raises `IntakeError`
    naming its index in the requests' alerts taken together; the caller then stores
    the requests one by one to say which request was at fault."""
    for _, received_at in requests:
        if received_at.tzinfo is None:
            raise IntakeError("received_at", "needs a time zone")
    alerts = [alert for batch, _ in requests for alert in batch]
    received = [at for batch, at in requests for _ in batch]
    if not alerts:
        return [IntakeResult(0, 0, 0, 0, 0, 0, ()) for _ in requests]
    if not session.info.get(WRITING):
        _take_write_lock(session)
    by_key: dict[Key, list[int]] = {}
    for i, alert in enumerate(alerts):
        by_key.setdefault((alert.source, alert.source_ref), []).append(i)
    stored = _load(session, list(by_key))
    batch = _Batch(session, received)
    for key in sorted(stored):  # one lock order for every batch: no deadlock between two
        for i in by_key[key]:
            batch.resend(stored[key], alerts[i], i)
    ids = {key: row.id for key, row in stored.items()}
    firsts = {key: (alerts[by_key[key][0]], by_key[key][0])
              for key in sorted(by_key) if key not in stored}
    if firsts:
        added = batch.add_all(firsts)
        ids.update(added)
        again = _load(session, [key for key in added if len(by_key[key]) > 1])
        for key in sorted(again):   # one alert more than once in the batch
            for i in by_key[key][1:]:
                batch.resend(again[key], alerts[i], i)
    apply(session, batch.deltas)   # one upsert of the rollup's counts
    results, start = [], 0
    for batch_alerts, _ in requests:
        results.append(batch.result(alerts, ids, start, start + len(batch_alerts)))
        start += len(batch_alerts)
    return results


def store_alerts(state: StateStore, alerts: Sequence[AlertIn],
                 received_at: datetime | None = None, *,
                 then: Callable[[Session, IntakeResult], None] | None = None
                 ) -> IntakeResult:
    """`ingest_alerts` in a transaction of its own, retried when a concurrent writer
    made it fail (the retry finds what the other one stored). `then` runs in the same
    transaction once the batch is stored (operations queues its playbook runs there:
    they are stored with the alerts or not at all)."""
    when = received_at or datetime.now(UTC)

    def work(session: Session) -> IntakeResult:
        result = ingest_alerts(session, alerts, when)
        if then is not None:
            then(session, result)
        return result

    return retrying(state, work, "cannot store alerts")


def store_requests(state: StateStore,
                   requests: Sequence[tuple[Sequence[AlertIn], datetime]], *,
                   then: Callable[[Session, list[IntakeResult]], None] | None = None
                   ) -> list[IntakeResult]:
    """`ingest_requests` in a transaction of its own, retried as `store_alerts` is;
    `then` runs in it once they are stored, with each request's result."""

    def work(session: Session) -> list[IntakeResult]:
        results = ingest_requests(session, requests)
        if then is not None:
            then(session, results)
        return results

    return retrying(state, work, "cannot store alerts")


def retrying(state: StateStore, work: Callable[[Session], T], doing: str, *,
             writes: bool = True) -> T:
    """`work` in one transaction (`writes`: one holding the write lock on SQLite, see
    `StateStore.writing`), run again (up to `RETRIES` times) after a conflict with a
    concurrent transaction; other store errors become one-line `StoreError`s."""
    with one_line_errors(state.location, doing):
        for attempt in range(RETRIES):
            try:
                with state.writing() if writes else state.session() as session:
                    if state.engine.dialect.name == "postgresql":
                        session.info[RERUN_ON_RACE] = True   # `conflict` knows 23505
                    return work(session)
            except DBAPIError as exc:
                if attempt == RETRIES - 1 or not conflict(exc):
                    raise
                time.sleep(0.01 * 2 ** attempt)
    raise AssertionError("unreachable")  # pragma: no cover


def conflict(exc: DBAPIError) -> bool:
    """A failure that running the transaction again can cure."""
    code = getattr(exc.orig, "sqlstate", None)
    if code in ("40001", "40P01", "23505"):   # serialization, deadlock, unique race
        return True
    text = str(exc.orig).lower()
    return "database is locked" in text or "database is busy" in text


def _take_write_lock(session: Session) -> None:
    """SQLite: take the write lock now. A transaction that reads first and writes later
    fails outright when another writer commits in between; one that starts with a write
    waits for its turn (the busy timeout) and then reads the other's rows."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(update(Alert).where(false()).values(duplicates=Alert.duplicates))


def _load(session: Session, keys: list[Key]) -> dict[Key, Alert]:
    """The stored rows of `keys` with their children (locked on PostgreSQL)."""
    by_source: dict[str, list[str]] = {}
    for source, ref in keys:
        by_source.setdefault(source, []).append(ref)
    found: dict[Key, Alert] = {}
    for source, refs in sorted(by_source.items()):
        refs.sort()
        for start in range(0, len(refs), CHUNK):
            chunk = refs[start:start + CHUNK]
            stored = list(session.connection().scalars(
                STORED_ONE, {"source": source, "ref": chunk[0]}) if len(chunk) == 1
                else session.connection().scalars(STORED, {"source": source, "refs": chunk}))
            if stored:   # most batches are new alerts: the plain query said so, cheaply
                found.update(((r.source, r.source_ref), r) for r in session.scalars(
                    LOOKUP, {"source": source, "refs": stored}))
    return found


def _children() -> list[Any]:
    return [selectinload(Alert.subjects), selectinload(Alert.hosts),
            selectinload(Alert.observables), selectinload(Alert.findings)]


# The stored refs (`STORED`) and alerts (`LOOKUP`, children loaded) of one source among
# some refs (``source``, ``refs``), locked on PostgreSQL in key order (every batch locks
# in one order: no deadlock between two). The order follows the unique index on
# (source, source_ref), which finds the rows; an order by id made SQLite walk every
# alert of the source. Built once: building a select costs more than running it on
# SQLite.
_KEYS = (Alert.source == bindparam("source"),
         Alert.source_ref.in_(bindparam("refs", expanding=True)))
STORED = select(Alert.source_ref).where(*_KEYS).order_by(Alert.source_ref).with_for_update()
# one key (a request of one alert, alone in its group): no IN list to expand per call
STORED_ONE = (select(Alert.source_ref).where(Alert.source == bindparam("source"),
                                             Alert.source_ref == bindparam("ref"))
              .with_for_update())
LOOKUP = (select(Alert).where(*_KEYS).order_by(Alert.source_ref).options(*_children())
          .with_for_update(of=Alert))


def _child_sql(dialect: Dialect) -> tuple[tuple[str, tuple[str, ...] | None, str], ...]:
    """The child tables' inserts in the driver's own parameter style, compiled once per
    dialect, with the order of their positional parameters (None: named) and the
    `Children` field of their rows. Their values are integers and text, which go to
    the driver as they are (as `access.decisions.record` does): a one-row insert costs
    about 10 us of CPU this way on SQLite against 18 us through a Core statement."""
    found = _CHILD_SQL.get(dialect.name)
    if found is None:
        made = []
        for table, columns, name in CHILD_TABLES:
            compiled = insert(table).values({c: bindparam(c) for c in columns}).compile(
                dialect=dialect)
            made.append((str(compiled),
                         tuple(compiled.positiontup) if compiled.positiontup else None, name))
        found = _CHILD_SQL[dialect.name] = tuple(made)
    return found
