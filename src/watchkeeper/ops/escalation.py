"""`tick(now)`: the SLA clocks of every case still running brought up to date, breaches
detected and escalated, once each.

A breach is recorded once per case and clock (``sla_breaches`` is unique on both), so a
tick run again, or by two servers, escalates nothing twice. Escalating an open case:

1. raise its priority one step (none → high, low → medium, medium → high,
   high → critical), if the policy says so;
2. move it to ``escalated`` (from new or in progress);
3. reassign it: to the policy's escalation team if that team may see the case's
   regions, and to its escalation assignee if they may open the case (not recused,
   on a restricted case's list);
4. notify in-app the assignee and the owning team's leads (its members when it has
   none) who may open the case.

Each change is a case event by ``watchkeeper:sla``, and the breach's ``sla.breach``
event lists them; playbooks triggered on an SLA breach (and their webhook steps) start
from the breaches a tick returns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from watchkeeper.cases.repository import CaseRepository
from watchkeeper.cases.workflow import Priority, Status
from watchkeeper.ops import changes, history, notify, shifts
from watchkeeper.ops.history import CaseHistory
from watchkeeper.ops.shifts import TeamPlan
from watchkeeper.ops.sla import ACTIVE, SlaPolicyInfo, policies, sync
from watchkeeper.security.recusal import OrgChart
from watchkeeper.store.models import Account, Case, CaseSla, SlaBreach

ESCALATE_FROM = frozenset({Status.NEW.value, Status.IN_PROGRESS.value})
RAISED = {None: Priority.HIGH, Priority.LOW: Priority.MEDIUM,
          Priority.MEDIUM: Priority.HIGH, Priority.HIGH: Priority.CRITICAL,
          Priority.CRITICAL: Priority.CRITICAL}


@dataclass(frozen=True)
class BreachInfo:
    """A breach found by a tick: the case and clock, when it was due, who owned the case
    then, and what escalating it did."""

    case_id: int
    kind: str
    severity: int
    due_at: datetime
    detected_at: datetime
    team: str | None
    escalated: bool
    actions: tuple[str, ...]


@dataclass(frozen=True)
class SlaTick:
    at: datetime
    checked: int
    breaches: tuple[BreachInfo, ...]
    notified: int


def tick(session: Session, org: OrgChart, now: datetime) -> SlaTick:
    """Bring every running clock up to date, record and escalate new breaches."""
    rules = policies(session)
    plans = shifts.plans(session)
    by_name = {p.name: p for p in plans}
    ids = list(session.scalars(
        select(Case.id).outerjoin(CaseSla, CaseSla.case_id == Case.id).where(or_(
            Case.status.in_(sorted(ESCALATE_FROM | {Status.ESCALATED.value})),
            CaseSla.ack_state.in_(ACTIVE), CaseSla.resolve_state.in_(ACTIVE)))
        .order_by(Case.id)))
    seen: set[tuple[int, str]] = set()
    for chunk in range(0, len(ids), history.BATCH):
        seen |= {(c, k) for c, k in session.execute(select(SlaBreach.case_id, SlaBreach.kind)
                 .where(SlaBreach.case_id.in_(ids[chunk:chunk + history.BATCH])))}
    repo = changes.actor_repo(session, org, changes.SLA, now)
    found: list[BreachInfo] = []
    notified = 0
    for h in history.load(session, ids).values():
        policy = rules.get(h.severity)
        for clock in sync(session, h, policy, by_name, now):
            if clock.state != "breached" or (h.case_id, clock.kind) in seen \
                    or clock.due_at is None or policy is None:
                continue
            breach, told = _breach(repo, h, policy, clock.kind, clock.due_at, by_name, now)
            seen.add((h.case_id, clock.kind))
            found.append(breach)
            notified += told
    session.flush()
    return SlaTick(now, len(ids), tuple(found), notified)


def _breach(repo: CaseRepository, h: CaseHistory, policy: SlaPolicyInfo, kind: str,
            due: datetime, teams: Mapping[str, TeamPlan],
            now: datetime) -> tuple[BreachInfo, int]:
    session = repo.session
    owner = h.owner_at(due)
    owner_id = teams[owner].id if owner is not None and owner in teams else None
    row = session.get_one(Case, h.case_id)
    actions: list[str] = []
    told = 0
    if h.open:
        actions = _escalate(repo, row, h, policy, teams, now)
        sent = notify.send(session, _audience(repo, row, h, now), "sla.breach",
                           f"case {row.id}: {kind} SLA breached (due {due:%Y-%m-%d %H:%M} "
                           f"UTC, severity {policy.severity_name})", now, case_id=row.id)
        if sent:
            actions.append(f"notified {', '.join(sent)}")
        told = len(sent)
    session.add(SlaBreach(case_id=row.id, kind=kind, severity=policy.severity, due_at=due,
                          detected_at=now, team_id=owner_id, escalated=h.open,
                          actions=actions))
    changes.record(row, repo, "sla.breach", None,
                   {"clock": kind, "due_at": due.isoformat(), "actions": list(actions)},
                   at=now, now=now)
    return BreachInfo(row.id, kind, policy.severity, due, now, owner, h.open,
                      tuple(actions)), told


def _escalate(repo: CaseRepository, row: Case, h: CaseHistory, policy: SlaPolicyInfo,
              teams: Mapping[str, TeamPlan], now: datetime) -> list[str]:
    actions: list[str] = []
    old = Priority[row.priority.upper()] if row.priority else None
    if policy.raise_priority and RAISED[old] is not old:
        new = RAISED[old].word
        changes.record(row, repo, "case.update", {"priority": row.priority},
                       {"priority": new}, at=now, now=now)
        actions.append(f"priority {row.priority or 'none'} -> {new}")
        row.priority = new
    if row.status in ESCALATE_FROM:
        changes.record(row, repo, "case.status", {"status": row.status, "verdict": None},
                       {"status": Status.ESCALATED.value, "verdict": None}, at=now, now=now)
        actions.append(f"status {row.status} -> escalated")
        row.status = Status.ESCALATED.value
    target = teams.get(policy.escalate_team) if policy.escalate_team else None
    if target is not None and target.name != h.team:
        if target.sees(h.regions):
            changes.record(row, repo, "case.update", {"team": h.team}, {"team": target.name},
                           at=now, now=now)
            actions.append(f"team {h.team or 'none'} -> {target.name}")
            row.team_id = target.id
        else:
            actions.append(f"kept team {h.team or 'none'}: {target.name} may not see "
                           "the case's regions")
    if policy.escalate_assignee:
        actions += _reassign(repo, row, h, policy.escalate_assignee, now)
    return actions


def _reassign(repo: CaseRepository, row: Case, h: CaseHistory, name: str,
              now: datetime) -> list[str]:
    session = repo.session
    account = session.scalars(select(Account).where(Account.name == name)).first()
    if account is None or account.disabled or account.id == row.assignee_id:
        return []
    why = changes.refusal(repo, row, account, now.date()) if changes.sees(
        session, account, h.regions) else "their teams may not see the case's regions"
    if why is not None:
        return [f"not assigned to {name}: {why}"]
    before = session.scalar(select(Account.name).where(Account.id == row.assignee_id)) \
        if row.assignee_id is not None else None
    changes.record(row, repo, "case.update", {"assignee": before}, {"assignee": name},
                   at=now, now=now)
    row.assignee_id = account.id
    return [f"assignee {before or 'none'} -> {name}"]


def _audience(repo: CaseRepository, row: Case, h: CaseHistory,
              now: datetime) -> list[Account]:
    """The assignee and the owning team's leads who may open the case and see its
    regions."""
    session = repo.session
    people: list[Account] = []
    if row.assignee_id is not None:
        assignee = session.get(Account, row.assignee_id)
        if assignee is not None:
            people.append(assignee)
    people += notify.team_leads(session, row.team_id)
    return [a for a in people if changes.sees(session, a, h.regions)
            and changes.refusal(repo, row, a, now.date()) is None]


__all__ = ["BreachInfo", "SlaTick", "tick"]
