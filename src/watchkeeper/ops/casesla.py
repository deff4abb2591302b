"""One case's SLA as people work it: show the clocks, acknowledge the case, pause the
clocks while waiting on a stated external party, resume them.

Each function takes a `CaseRepository` for the acting viewer (its clock at `now`), so
the case is opened with its access checks (restriction, recusal) first, and each change
is one case event (``sla.acknowledge``, ``sla.pause``, ``sla.resume``) by that viewer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from watchkeeper.cases.repository import CaseRepository
from watchkeeper.errors import CaseError, ConflictError, OpsError
from watchkeeper.ops import history, shifts
from watchkeeper.ops.history import CaseHistory, Pause
from watchkeeper.ops.sla import ClockView, SlaPolicyInfo, clocks, policies, sync
from watchkeeper.store.models import CaseSla, SlaBreach, SlaPause, Team

MAX_PARTY = 200
MAX_REASON = 2000


@dataclass(frozen=True)
class BreachView:
    kind: str
    due_at: datetime
    detected_at: datetime
    team: str | None
    escalated: bool
    actions: tuple[str, ...]


@dataclass(frozen=True)
class CaseSlaView:
    """A case's SLA: the policy for its severity, both clocks, what it waits on, its
    pauses and breaches."""

    case_id: int
    severity: int
    policy: SlaPolicyInfo | None
    team: str | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    acknowledge: ClockView
    resolve: ClockView
    waiting_on: str | None
    pauses: tuple[Pause, ...]
    breaches: tuple[BreachView, ...]


def show(repo: CaseRepository, case_id: int, now: datetime) -> CaseSlaView:
    """The case's clocks as of `now` (read only: `sla_tick` stores them)."""
    repo.open(case_id)
    return _view(repo.session, case_id, now, save=False)


def acknowledge(repo: CaseRepository, case_id: int, now: datetime) -> CaseSlaView:
    """Stop the acknowledge clock (acknowledged already: nothing changes)."""
    row = repo.open(case_id)
    sla = _row(repo.session, case_id)
    if sla.acknowledged_at is None:
        sla.acknowledged_at, sla.acknowledged_by = now, repo.viewer.name
        repo.record(row, "sla.acknowledge", None, {"at": now.isoformat()})
        repo.session.flush()
    return _view(repo.session, case_id, now)


def pause(repo: CaseRepository, case_id: int, party: str, reason: str,
          now: datetime) -> CaseSlaView:
    """Stop both clocks while the case waits on `party` (a person or body outside the
    team: HR, legal, a vendor), for `reason`."""
    row = repo.open(case_id)
    who, why = " ".join(party.split()), reason.strip()
    if not who or len(who) > MAX_PARTY:
        raise OpsError("party", f"name who the case waits on (1-{MAX_PARTY} characters)")
    if not why or len(why) > MAX_REASON:
        raise OpsError("reason", f"say what the case waits for (1-{MAX_REASON} characters)")
    h = _history(repo.session, case_id)
    if not h.open:
        raise CaseError(f"case {case_id} is {h.status}: its clocks are stopped already")
    if h.waiting_on is not None:
        since = h.waiting_on.paused_at
        raise ConflictError(f"case {case_id} is paused already, waiting on "
                            f"{h.waiting_on.party} since {since:%Y-%m-%d %H:%M} UTC")
    repo.session.add(SlaPause(case_id=case_id, party=who, reason=why, paused_at=now,
                              paused_by=repo.viewer.name))
    repo.record(row, "sla.pause", None, {"party": who, "reason": why})
    repo.session.flush()
    return _view(repo.session, case_id, now)


def resume(repo: CaseRepository, case_id: int, now: datetime) -> CaseSlaView:
    """Start the clocks again after a pause."""
    row = repo.open(case_id)
    waiting = repo.session.scalars(select(SlaPause).where(
        SlaPause.case_id == case_id, SlaPause.resumed_at.is_(None))).first()
    if waiting is None:
        raise ConflictError(f"case {case_id} is not paused")
    waiting.resumed_at, waiting.resumed_by = max(now, waiting.paused_at), repo.viewer.name
    repo.record(row, "sla.resume", {"party": waiting.party}, None)
    repo.session.flush()
    return _view(repo.session, case_id, now)


def _row(session: Session, case_id: int) -> CaseSla:
    row = session.get(CaseSla, case_id)
    if row is None:
        row = CaseSla(case_id=case_id, ack_state="none", resolve_state="none")
        session.add(row)
        session.flush()
    return row


def _history(session: Session, case_id: int) -> CaseHistory:
    session.flush()
    return history.load(session, [case_id])[case_id]


def _view(session: Session, case_id: int, now: datetime, save: bool = True) -> CaseSlaView:
    h = _history(session, case_id) if save else history.load(session, [case_id])[case_id]
    policy = policies(session).get(h.severity)
    teams = {p.name: p for p in shifts.plans(session)}
    if save:
        ack, resolve = sync(session, h, policy, teams, now)
    else:
        ack, resolve = clocks(h, policy, teams, now)
    names = {k: v for k, v in session.execute(select(Team.id, Team.name))}
    breaches = tuple(
        BreachView(b.kind, b.due_at, b.detected_at,
                   names.get(b.team_id) if b.team_id is not None else None, b.escalated,
                   tuple(b.actions))
        for b in session.scalars(select(SlaBreach).where(SlaBreach.case_id == case_id)
                                 .order_by(SlaBreach.due_at)))
    waiting = h.waiting_on
    return CaseSlaView(case_id, h.severity, policy, h.team, h.acknowledged_at,
                       h.acknowledged_by, ack, resolve,
                       waiting.party if waiting is not None else None, h.pauses, breaches)


__all__ = ["BreachView", "CaseSlaView", "acknowledge", "pause", "resume", "show"]
