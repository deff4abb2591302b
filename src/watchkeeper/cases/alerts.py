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
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import false, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, selectinload

from watchkeeper.cases.grouping import Grouper
from watchkeeper.cases.model import AlertIn
from watchkeeper.cases.suppression import active_suppressions, first_match
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
    Suppression,
)

T = TypeVar("T")
RETRIES = 8
CHUNK = 500   # keys per IN list (SQLite allows 32,766 parameters; stay far below)
# column limits of store/models/alerts.py. A longer identifier (the key, a person, a
# host, a finding id) names its field and writes nothing; a longer rule name or id (a
# Sentinel rule id is an Azure resource path, 219 characters and up: stored whole) keeps
# its end, where the distinguishing part is, and an observable its start (the raw
# payload has them whole)
LIMITS = {"source": 200, "source_ref": 500, "status": 32, "region": 100}
SHORTENED = {"rule": 500, "rule_id": 500}
ELLIPSIS = "\u2026"
CHILD_LIMITS = {"subjects": 200, "hosts": 255, "finding_ids": 100}
OBSERVABLE_LIMITS = (64, 1000)
Key = tuple[str, str]


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


class _Batch:
    """One batch's intake in one session: the counts, and the suppressions and grouping
    rules in force (read once, on the first new alert)."""

    def __init__(self, session: Session, received_at: datetime) -> None:
        self.session = session
        self.received_at = received_at
        self.new = self.updated = self.duplicates = self.suppressed = self.grouped = 0
        self._rules: tuple[list[Suppression], Grouper] | None = None

    def rules(self) -> tuple[list[Suppression], Grouper]:
        if self._rules is None:
            self._rules = (active_suppressions(self.session, self.received_at),
                           Grouper(self.session))
        return self._rules

    def add_all(self, firsts: dict[Key, tuple[AlertIn, int]]) -> dict[Key, Alert]:
        """Insert new alerts (one alert of each key) in one go; when another session
        inserted one of them first, again one by one."""
        try:
            with self.session.begin_nested():
                prepared = {key: self._prepare(alert, i) for key, (alert, i) in firsts.items()}
                self.session.flush()
        except IntegrityError:
            return {key: self.add(key, alert, i) for key, (alert, i) in firsts.items()}
        for row, joined in prepared.values():
            self._count(row, joined)
        return {key: row for key, (row, _) in prepared.items()}

    def add(self, key: Key, alert: AlertIn, index: int) -> Alert:
        """Insert one new alert; when another session inserted it first (the unique
        constraint says so) it is a re-send of that session's row."""
        try:
            with self.session.begin_nested():
                row, joined = self._prepare(alert, index)
                self.session.flush()
        except IntegrityError:
            other = _load(self.session, [key]).get(key)
            if other is None:
                raise
            self.resend(other, alert, index)
            return other
        self._count(row, joined)
        return row

    def _prepare(self, alert: AlertIn, index: int) -> tuple[Alert, bool]:
        """A new row, suppressed and grouped, added to the session (not flushed); and
        whether it joined a group that holds alerts already."""
        suppressions, grouper = self.rules()
        row = _new_row(alert, self.received_at, index)
        row.suppressed_by = first_match(suppressions, alert)
        joined = grouper.place(row, alert)
        self.session.add(row)
        return row, joined

    def _count(self, row: Alert, joined: bool) -> None:
        self.new += 1
        self.suppressed += row.suppressed_by is not None
        self.grouped += joined

    def resend(self, row: Alert, alert: AlertIn, index: int) -> None:
        """A stored alert sent again: count it, or take its changed content."""
        after = alert.fingerprint()
        if after == row.fingerprint:
            self.duplicates += 1
            self.session.execute(update(Alert).where(Alert.id == row.id)
                                 .values(duplicates=Alert.duplicates + 1,
                                         updated_at=Alert.updated_at)  # not `onupdate`
                                 .execution_options(synchronize_session=False))
            return
        before_fingerprint, before = row.fingerprint, snapshot(row)
        _fill(row, alert, index)
        row.updated_at = self.received_at
        now = snapshot(row)
        fields = {name: {"before": old, "after": now[name]}
                  for name, old in before.items() if now[name] != old}
        self.session.add(AlertChange(alert_id=row.id, at=self.received_at,
                                     before_fingerprint=before_fingerprint,
                                     after_fingerprint=after, fields=fields))
        self.session.flush()
        self.updated += 1


def ingest_alerts(session: Session, alerts: Sequence[AlertIn],
                  received_at: datetime) -> IntakeResult:
    """Store `alerts` in `session`'s transaction (see the module docstring). A bad alert
    raises `IntakeError` naming ``alerts[i].field``; the caller's rollback then undoes
    the whole batch."""
    if received_at.tzinfo is None:
        raise IntakeError("received_at", "needs a time zone")
    _take_write_lock(session)
    by_key: dict[Key, list[int]] = {}
    for i, alert in enumerate(alerts):
        by_key.setdefault((alert.source, alert.source_ref), []).append(i)
    stored = _load(session, list(by_key))
    batch = _Batch(session, received_at)
    for key in sorted(stored):  # one lock order for every batch: no deadlock between two
        for i in by_key[key]:
            batch.resend(stored[key], alerts[i], i)
    firsts = {key: (alerts[by_key[key][0]], by_key[key][0])
              for key in sorted(by_key) if key not in stored}
    if firsts:
        added = batch.add_all(firsts)
        for key, row in added.items():
            for i in by_key[key][1:]:
                batch.resend(row, alerts[i], i)
        stored.update(added)
    ids = {i: stored[key].id for key, indexes in by_key.items() for i in indexes}
    return IntakeResult(len(alerts), batch.new, batch.updated, batch.duplicates,
                        batch.suppressed, batch.grouped,
                        tuple(ids[i] for i in range(len(alerts))))


def store_alerts(state: StateStore, alerts: Sequence[AlertIn],
                 received_at: datetime | None = None) -> IntakeResult:
    """`ingest_alerts` in a transaction of its own, retried when a concurrent writer
    made it fail (the retry finds what the other one stored)."""
    when = received_at or datetime.now(UTC)
    return retrying(state, lambda s: ingest_alerts(s, alerts, when), "cannot store alerts")


def retrying(state: StateStore, work: Callable[[Session], T], doing: str) -> T:
    """`work` in one transaction, run again (up to `RETRIES` times) after a conflict
    with a concurrent transaction; other store errors become one-line `StoreError`s."""
    with one_line_errors(state.location, doing):
        for attempt in range(RETRIES):
            try:
                with state.session() as session:
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
        for start in range(0, len(refs), CHUNK):
            query = (select(Alert).where(Alert.source == source,
                                         Alert.source_ref.in_(refs[start:start + CHUNK]))
                     .order_by(Alert.id).options(*_children()).with_for_update(of=Alert))
            found.update(((r.source, r.source_ref), r) for r in session.scalars(query))
    return found


def _children() -> list[Any]:
    return [selectinload(Alert.subjects), selectinload(Alert.hosts),
            selectinload(Alert.observables), selectinload(Alert.findings)]


def _new_row(alert: AlertIn, received_at: datetime, index: int) -> Alert:
    row = Alert(source=_limited(alert.source, "source", index),
                source_ref=_limited(alert.source_ref, "source_ref", index),
                received_at=received_at, updated_at=received_at, duplicates=0,
                subjects=[], hosts=[], observables=[], findings=[])
    _fill(row, alert, index)
    return row


def _fill(row: Alert, alert: AlertIn, index: int) -> None:
    """Copy every field of `alert` onto `row` (checked against the column limits)."""
    for name in ("class_uid", "title", "description", "event_time", "first_seen",
                 "last_seen", "raw"):
        value = getattr(alert, name)
        if isinstance(value, datetime) and value.tzinfo is None:
            raise IntakeError(f"alerts[{index}].{name}", "time without a time zone")
        setattr(row, name, value)
    for name in ("status", "region"):
        setattr(row, name, _limited(getattr(alert, name), name, index))
    for name, most in SHORTENED.items():
        value = getattr(alert, name)
        setattr(row, name, value if value is None or len(value) <= most
                else ELLIPSIS + value[len(value) - most + 1:])
    row.severity = int(alert.severity)
    row.fingerprint = alert.fingerprint()
    row.extra = dict(alert.extra)
    _replace(row.subjects, [_limited(v, "subjects", index) for v in alert.subjects],
             lambda c: c.subject, lambda v: AlertSubject(subject=v))
    _replace(row.hosts, [_limited(v, "hosts", index) for v in alert.hosts],
             lambda c: c.host, lambda v: AlertHost(host=v))
    _replace(row.findings, [_limited(v, "finding_ids", index) for v in alert.finding_ids],
             lambda c: c.finding_id, lambda v: AlertFinding(finding_id=v))
    kinds, values = OBSERVABLE_LIMITS
    _replace(row.observables,
             [(_limited(o.type, "observables.type", index, kinds),
               o.value if len(o.value) <= values else o.value[:values - 1] + ELLIPSIS)
              for o in alert.observables],
             lambda c: (c.type, c.value), lambda v: AlertObservable(type=v[0], value=v[1]))


C = TypeVar("C")
V = TypeVar("V")


def _replace(children: list[C], wanted: Sequence[V], key: Callable[[C], V],
             make: Callable[[V], C]) -> None:
    """Make `children` hold one child per distinct value of `wanted`, keeping the
    children that stay (a child deleted and made again with the same key would be two
    writes to one primary key in one flush)."""
    keep = dict.fromkeys(wanted)
    children[:] = [c for c in children if key(c) in keep]
    have = {key(c) for c in children}
    children.extend(make(v) for v in keep if v not in have)


def _limited(value: T, field: str, index: int, limit: int | None = None) -> T:
    most = limit or LIMITS.get(field) or CHILD_LIMITS.get(field)
    if isinstance(value, str) and most is not None and len(value) > most:
        raise IntakeError(f"alerts[{index}].{field}", f"longer than {most} characters")
    return value


def snapshot(row: Alert) -> dict[str, Any]:
    """The content of a stored alert as JSON values, for comparing two versions."""
    doc: dict[str, Any] = {}
    for name in ("title", "severity", "status", "class_uid", "rule", "rule_id",
                 "description", "region", "event_time", "first_seen", "last_seen"):
        value = getattr(row, name)
        doc[name] = value.astimezone(UTC).isoformat() if isinstance(value, datetime) \
            else value
    doc["subjects"] = sorted(s.subject for s in row.subjects)
    doc["hosts"] = sorted(h.host for h in row.hosts)
    doc["observables"] = sorted(f"{o.type}:{o.value}" for o in row.observables)
    doc["finding_ids"] = sorted(f.finding_id for f in row.findings)
    doc["extra"] = dict(sorted((row.extra or {}).items()))
    return doc
