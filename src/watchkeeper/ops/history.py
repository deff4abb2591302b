"""What a case's SLA clocks depend on, read from the store in one batch: when it was
created, who owned it when (its case events that set a team), when it was resolved and
reopened, its pauses, when it was acknowledged, the regions of its alerts.

Ownership comes from the case events, whoever wrote them: ``case.create`` and
``case.update`` by people, ``case.route`` (routing at creation), ``case.handoff``
(a hand-off at a shift end) and the escalation's ``case.update``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from watchkeeper.cases.workflow import OPEN, Status
from watchkeeper.ops.slaclock import Interval
from watchkeeper.store.models import Alert, Case, CaseEvent, CaseSla, SlaPause, Team

TEAM_ACTIONS = ("case.create", "case.update", "case.route", "case.handoff")
STATUS_ACTION = "case.status"
SETTLED = frozenset({Status.RESOLVED.value, Status.CLOSED.value})
OPEN_WORDS = frozenset(s.value for s in OPEN)
BATCH = 500
#: A case event's columns the clocks read: case_id, at, action, before, after.
Event = Row[tuple[int, datetime, str, dict[str, Any] | None, dict[str, Any] | None]]


@dataclass(frozen=True)
class Pause:
    id: int
    party: str
    reason: str
    paused_at: datetime
    paused_by: str
    resumed_at: datetime | None
    resumed_by: str | None


@dataclass(frozen=True)
class CaseHistory:
    """One case's facts for its SLA clocks (`owners`: (since, team name), oldest first,
    the first at creation)."""

    case_id: int
    title: str
    created_at: datetime
    status: str
    severity: int
    priority: str | None
    team: str | None
    owners: tuple[tuple[datetime, str | None], ...]
    resolved: tuple[Interval, ...]
    pauses: tuple[Pause, ...]
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    regions: frozenset[str | None]

    @property
    def open(self) -> bool:
        return self.status in OPEN_WORDS

    @property
    def waiting_on(self) -> Pause | None:
        """The pause still open (the external party the case waits on), if any."""
        return next((p for p in self.pauses if p.resumed_at is None), None)

    def owner_at(self, at: datetime) -> str | None:
        current = self.owners[0][1]
        for since, team in self.owners:
            if since <= at:
                current = team
        return current

    @property
    def first_settled(self) -> datetime | None:
        return self.resolved[0][0] if self.resolved else None


def load(session: Session, case_ids: Sequence[int]) -> dict[int, CaseHistory]:
    """The histories of `case_ids` (missing ids are left out)."""
    found: dict[int, CaseHistory] = {}
    teams = {k: v for k, v in session.execute(select(Team.id, Team.name))}
    for chunk in _chunks(sorted(set(case_ids))):
        # columns, not ORM objects: 5,000 cases' worth of entities cost more than the
        # queries (`ops.metrics` over a month, docs/benchmarks.md)
        cases = session.execute(select(
            Case.id, Case.title, Case.created_at, Case.status, Case.severity, Case.priority,
            Case.team_id).where(Case.id.in_(chunk))).all()
        events: dict[int, list[Event]] = {}
        for e in session.execute(select(
                CaseEvent.case_id, CaseEvent.at, CaseEvent.action, CaseEvent.before,
                CaseEvent.after).where(
                CaseEvent.case_id.in_(chunk),
                CaseEvent.action.in_((*TEAM_ACTIONS, STATUS_ACTION)))
                .order_by(CaseEvent.case_id, CaseEvent.at, CaseEvent.id)):
            events.setdefault(e.case_id, []).append(e)
        pauses: dict[int, list[Pause]] = {}
        for p in session.scalars(select(SlaPause).where(SlaPause.case_id.in_(chunk))
                                 .order_by(SlaPause.paused_at, SlaPause.id)):
            pauses.setdefault(p.case_id, []).append(Pause(
                p.id, p.party, p.reason, p.paused_at, p.paused_by, p.resumed_at,
                p.resumed_by))
        slas = {s.case_id: s for s in session.execute(
            select(CaseSla.case_id, CaseSla.acknowledged_at, CaseSla.acknowledged_by)
            .where(CaseSla.case_id.in_(chunk)))}
        regions: dict[int, set[str | None]] = {}
        for case_id, region in session.execute(select(Alert.case_id, Alert.region).where(
                Alert.case_id.in_(chunk)).distinct()):
            if case_id is not None:
                regions.setdefault(case_id, set()).add(region)
        for row in cases:
            sla = slas.get(row.id)
            team = teams.get(row.team_id) if row.team_id is not None else None
            mine = events.get(row.id, [])
            found[row.id] = CaseHistory(
                row.id, row.title, row.created_at, row.status, row.severity, row.priority,
                team, _owners(row.created_at, team, mine), _resolved(mine),
                tuple(pauses.get(row.id, ())),
                sla.acknowledged_at if sla is not None else None,
                sla.acknowledged_by if sla is not None else None,
                frozenset(regions.get(row.id, ())))
    return found


def _owners(created: datetime, current: str | None,
            events: Sequence[Event]) -> tuple[tuple[datetime, str | None], ...]:
    changes: list[tuple[datetime, str | None]] = []
    first: str | None = current
    for e in events:
        if e.action in TEAM_ACTIONS and e.after is not None and "team" in e.after:
            if not changes and e.before is not None and "team" in e.before:
                first = _name(e.before["team"])
            changes.append((max(e.at, created), _name(e.after["team"])))
    if not changes:
        return ((created, current),)
    if changes[0][0] > created:   # owned before its first recorded change: as it said
        changes.insert(0, (created, first))
    return tuple(changes)


def _name(value: object) -> str | None:
    return str(value) if value else None


def _resolved(events: Sequence[Event]) -> tuple[Interval, ...]:
    periods: list[Interval] = []
    since: datetime | None = None
    for e in events:
        if e.action != STATUS_ACTION or e.after is None:
            continue
        status = str(e.after.get("status"))
        if status in SETTLED and since is None:
            since = e.at
        elif status in OPEN_WORDS and since is not None:
            periods.append((since, e.at))
            since = None
    if since is not None:
        periods.append((since, None))
    return tuple(periods)


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    it = iter(ids)
    while chunk := list(islice(it, BATCH)):
        yield chunk


__all__ = ["SETTLED", "CaseHistory", "Pause", "load"]
