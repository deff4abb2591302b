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

from sqlalchemy import Select, Table, insert, select
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


def record(session: Session, decisions: Sequence[Decision], caller: str) -> None:
    """Append `decisions` to the log in one statement (the caller commits)."""
    if not decisions:
        return
    # Core, not the ORM's bulk insert: every row has every key, so this is one
    # executemany (the ORM splits rows by which values are None)
    session.connection().execute(insert(cast(Table, AccessDecision.__table__)), [
        {"at": d.at, "principal": d.principal, "action": d.action, "resource": d.resource,
         "purpose": d.purpose or None, "ticket": d.ticket or None, "decision": d.decision,
         "policies": " ".join(d.policies), "reason": "\n".join(d.reasons),
         "grant_id": d.grant_id, "risk": d.risk, "caller": caller}
        for d in decisions])


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
