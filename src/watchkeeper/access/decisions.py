"""The decision log: every answer of `authorize`, written in one bulk insert per batch
(so the log keeps up with the decisions), read back by principal, resource and time.

`decision_rows` is the plain reading of the log other jobs build on (violation
detection compares data-access events with what was allowed).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Select, Table, bindparam, insert, select
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from watchkeeper.access.decide import Decision
from watchkeeper.store.models import AccessDecision


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
    rows = []
    for d in decisions:
        at = times.get(d.at)
        if at is None:
            at = times[d.at] = convert(d.at) if convert is not None else d.at
        rows.append({"at": at, "principal": d.principal, "action": d.action,
                     "resource": d.resource, "purpose": d.purpose or None,
                     "ticket": d.ticket or None, "decision": d.decision,
                     "policies": " ".join(d.policies), "reason": "\n".join(d.reasons),
                     "grant_id": d.grant_id, "risk": d.risk, "caller": caller})
    if order is not None:
        connection.exec_driver_sql(sql, [tuple(r[k] for k in order) for r in rows])
    else:
        connection.exec_driver_sql(sql, rows)


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
