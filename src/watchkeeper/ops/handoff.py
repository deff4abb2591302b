"""Hand-offs: at each end of a team's shift, a note for the team on shift next.

`due(now)` writes one hand-off per team and shift end that has passed (since the last
one written, the team's shift hours being set, or a week ago, whichever is latest), so
running it again, or late, writes each once (``handoffs`` is unique on team and shift
end). A hand-off lists the team's open cases as they stood: status, severity, both SLA
clocks, what the case waits on, its last notes and the next step (its first open task,
else what its clocks ask for).

The receiving team is the one on shift at the shift end, else the next to start
(routing's rules, regions aside; the team itself when it is the only one with shift
hours). Each listed case the receiving team may see (data residency) passes to it: a
``case.handoff`` event at the shift end, so business-hours clocks count on its hours
from then. It has the team's grace minutes from the start of its shift to acknowledge
the hand-off; one not acknowledged by then is flagged and the leads of both teams are
notified.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from watchkeeper.cases.repository import CaseRepository
from watchkeeper.cases.workflow import OPEN
from watchkeeper.errors import AccessError, ConflictError, NotFoundError, PermissionDeniedError
from watchkeeper.ops import changes, history, notify, routing, shifts
from watchkeeper.ops.history import CaseHistory
from watchkeeper.ops.shifts import TeamPlan
from watchkeeper.ops.sla import ClockView, SlaPolicyInfo, clocks, policies
from watchkeeper.security.recusal import OrgChart, Viewer
from watchkeeper.store.models import (
    Account,
    Case,
    CaseNote,
    CaseTask,
    Handoff,
    HandoffItem,
    Team,
    TeamMember,
)

LOOKBACK = timedelta(days=7)
LAST_NOTES = 2
NOTE_CHARS = 280
ACK_ROLES = frozenset({"lead", "admin", "operator"})


@dataclass(frozen=True)
class HandoffNote:
    author: str
    created_at: datetime
    body: str


@dataclass(frozen=True)
class HandoffItemView:
    case_id: int
    title: str
    status: str
    severity: int
    priority: str | None
    assignee: str | None
    ack_state: str
    ack_due_at: datetime | None
    resolve_state: str
    resolve_due_at: datetime | None
    waiting_on: str | None
    notes: tuple[HandoffNote, ...]
    next_step: str
    moved: bool


@dataclass(frozen=True)
class HandoffSummary:
    id: int
    team: str
    to_team: str | None
    shift_end: datetime
    created_at: datetime
    ack_due_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    flagged_at: datetime | None
    cases: int
    state: str     # acknowledged, flagged (not acknowledged in time) or pending


@dataclass(frozen=True)
class HandoffView:
    """A hand-off with the cases the viewer may open (`withheld`: how many others)."""

    handoff: HandoffSummary
    items: tuple[HandoffItemView, ...]
    withheld: int


@dataclass(frozen=True)
class HandoffRun:
    at: datetime
    written: tuple[HandoffSummary, ...]
    flagged: tuple[HandoffSummary, ...]
    notified: int


def due(session: Session, org: OrgChart, now: datetime) -> HandoffRun:
    """Write the hand-offs of the shift ends passed, flag the overdue ones."""
    plans = shifts.plans(session)
    rules = policies(session)
    repo = changes.actor_repo(session, org, changes.HANDOFF, now)
    written: list[HandoffSummary] = []
    for plan in plans:
        if not plan.scheduled or plan.calendar is None:
            continue
        last = session.scalar(select(func.max(Handoff.shift_end))
                              .where(Handoff.team_id == plan.id))
        since = max(t for t in (last, plan.set_at, now - LOOKBACK) if t is not None)
        for end in plan.calendar.ends(since, now):
            written.append(_write(repo, plan, end, plans, rules, now))
    flagged, told = _flag(session, now)
    return HandoffRun(now, tuple(written), flagged, told)


def _write(repo: CaseRepository, plan: TeamPlan, end: datetime, plans: Sequence[TeamPlan],
           rules: Mapping[int, SlaPolicyInfo], now: datetime) -> HandoffSummary:
    session = repo.session
    to = routing.choose(plans, (), end, exclude=plan.id).team or plan
    row = Handoff(team_id=plan.id, to_team_id=to.id, shift_end=end, created_at=now,
                  ack_due_at=_ack_due(to, end))
    session.add(row)
    session.flush()
    ids = list(session.scalars(select(Case.id).where(
        Case.team_id == plan.id, Case.status.in_([s.value for s in OPEN]),
        Case.created_at <= end)))
    found = history.load(session, ids)
    notes, steps, names = _notes(session, ids), _tasks(session, ids), _assignees(session, ids)
    by_name = {p.name: p for p in plans}
    for h in sorted(found.values(), key=lambda h: (-h.severity, h.case_id)):
        ack, resolve = clocks(h, rules.get(h.severity), by_name, end)
        moved = to.id != plan.id and to.sees(h.regions)
        case = session.get_one(Case, h.case_id)
        session.add(HandoffItem(
            handoff_id=row.id, case_id=h.case_id, title=h.title, status=h.status,
            severity=h.severity, priority=h.priority, assignee=names.get(h.case_id),
            ack_state=ack.state, ack_due_at=ack.due_at, resolve_state=resolve.state,
            resolve_due_at=resolve.due_at,
            waiting_on=h.waiting_on.party if h.waiting_on is not None else None,
            notes=notes.get(h.case_id, []), next_step=next_step(h, ack, steps.get(h.case_id)),
            moved=moved))
        if moved:
            changes.record(case, repo, "case.handoff", {"team": plan.name},
                           {"team": to.name, "handoff": row.id}, at=end, now=now)
            case.team_id = to.id
    session.flush()
    return _summary(session, row)


def _ack_due(to: TeamPlan, end: datetime) -> datetime:
    starts = end
    if to.calendar is not None and not to.calendar.on_shift(end):
        starts = to.calendar.next_start(end) or end
    return starts + timedelta(minutes=to.grace_minutes)


def next_step(h: CaseHistory, ack: ClockView, task: str | None) -> str:
    """What the receiving team does first with the case."""
    if h.waiting_on is not None:
        return (f"waiting on {h.waiting_on.party} ({h.waiting_on.reason}): resume the "
                "clocks when they answer")
    if task is not None:
        return f"task: {task}"
    if h.acknowledged_at is None and ack.state in ("running", "breached"):
        return "acknowledge the case"
    if h.status == "new":
        return "triage it and set it in progress"
    return "no open task: add the next step as a task"


def _notes(session: Session, ids: Sequence[int]) -> dict[int, list[dict[str, str]]]:
    found: dict[int, list[dict[str, str]]] = {}
    if not ids:
        return found
    for n in session.scalars(select(CaseNote).where(CaseNote.case_id.in_(ids))
                             .order_by(CaseNote.created_at.desc(), CaseNote.id.desc())):
        mine = found.setdefault(n.case_id, [])
        if len(mine) < LAST_NOTES:
            body = n.body.strip()
            mine.append({"author": n.author, "created_at": n.created_at.isoformat(),
                         "body": body if len(body) <= NOTE_CHARS
                         else body[:NOTE_CHARS - 1].rstrip() + "…"})
    return found


def _tasks(session: Session, ids: Sequence[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    if ids:
        for t in session.scalars(select(CaseTask).where(
                CaseTask.case_id.in_(ids), CaseTask.done.is_(False)).order_by(CaseTask.id)):
            found.setdefault(t.case_id, t.title)
    return found


def _assignees(session: Session, ids: Sequence[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {k: v for k, v in session.execute(select(Case.id, Account.name).join(
        Account, Account.id == Case.assignee_id).where(Case.id.in_(ids)))}


def _flag(session: Session, now: datetime) -> tuple[tuple[HandoffSummary, ...], int]:
    rows = session.scalars(select(Handoff).where(
        Handoff.acknowledged_at.is_(None), Handoff.flagged_at.is_(None),
        Handoff.ack_due_at <= now).order_by(Handoff.id)).all()
    told = 0
    for row in rows:
        row.flagged_at = now
        people = [*notify.team_leads(session, row.to_team_id),
                  *notify.team_leads(session, row.team_id)]
        told += len(notify.send(
            session, people, "handoff.flagged",
            f"hand-off {row.id} of {row.shift_end:%Y-%m-%d %H:%M} UTC is not acknowledged "
            f"(due {row.ack_due_at:%Y-%m-%d %H:%M} UTC)", now, handoff_id=row.id))
    session.flush()
    return tuple(_summary(session, r) for r in rows), told


# -- reading and acknowledging ------------------------------------------------------------

def show(repo: CaseRepository, ident: int) -> HandoffView:
    """Hand-off `ident` with the items whose cases the repository's viewer may open."""
    row = repo.session.get(Handoff, ident)
    if row is None:
        raise NotFoundError(f"hand-off {ident}: no such hand-off (see `shifts handoff`)")
    items: list[HandoffItemView] = []
    withheld = 0
    for item in repo.session.scalars(select(HandoffItem).where(HandoffItem.handoff_id == ident)
                                     .order_by(HandoffItem.severity.desc(),
                                               HandoffItem.case_id)):
        try:
            repo.open(item.case_id)
        except (AccessError, NotFoundError):
            withheld += 1
            continue
        items.append(_item(item))
    return HandoffView(_summary(repo.session, row), tuple(items), withheld)


def latest(session: Session, team: str) -> int:
    plan = shifts.plan_of(session, team)
    found = session.scalar(select(Handoff.id).where(Handoff.team_id == plan.id)
                           .order_by(Handoff.shift_end.desc()).limit(1))
    if found is None:
        raise NotFoundError(f"team {plan.name} has no hand-off yet (one is written at "
                            "each end of its shift)")
    return found


def listing(session: Session, team: str | None = None, *, pending: bool = False,
            limit: int = 50) -> tuple[HandoffSummary, ...]:
    """Hand-offs newest first: from or to `team`; `pending`: not acknowledged yet."""
    query = select(Handoff)
    if team is not None:
        plan = shifts.plan_of(session, team)
        query = query.where((Handoff.team_id == plan.id) | (Handoff.to_team_id == plan.id))
    if pending:
        query = query.where(Handoff.acknowledged_at.is_(None))
    rows = session.scalars(query.order_by(Handoff.shift_end.desc(), Handoff.id.desc())
                           .limit(min(max(limit, 1), 500)))
    return tuple(_summary(session, r) for r in rows)


def acknowledge(session: Session, viewer: Viewer, ident: int, now: datetime) -> HandoffSummary:
    """The receiving team (a member of it, a lead or an admin) takes the hand-off."""
    row = session.get(Handoff, ident)
    if row is None:
        raise NotFoundError(f"hand-off {ident}: no such hand-off (see `shifts handoff`)")
    if viewer.role not in ACK_ROLES:
        team = row.to_team_id if row.to_team_id is not None else row.team_id
        member = viewer.account_id is not None and session.get(
            TeamMember, (team, viewer.account_id)) is not None
        if not member:
            raise PermissionDeniedError(f"hand-off {ident}: only the receiving team, a lead "
                                        "or an admin acknowledges it")
    if row.acknowledged_at is not None:
        raise ConflictError(f"hand-off {ident} was acknowledged by {row.acknowledged_by} at "
                            f"{row.acknowledged_at:%Y-%m-%d %H:%M} UTC")
    row.acknowledged_at, row.acknowledged_by = now, viewer.name
    session.flush()
    return _summary(session, row)


def _summary(session: Session, row: Handoff) -> HandoffSummary:
    names = {k: v for k, v in session.execute(select(Team.id, Team.name))}
    count = session.scalar(select(func.count()).select_from(HandoffItem)
                           .where(HandoffItem.handoff_id == row.id)) or 0
    state = ("acknowledged" if row.acknowledged_at is not None
             else "flagged" if row.flagged_at is not None else "pending")
    return HandoffSummary(
        row.id, names.get(row.team_id, str(row.team_id)),
        names.get(row.to_team_id) if row.to_team_id is not None else None, row.shift_end,
        row.created_at, row.ack_due_at, row.acknowledged_at, row.acknowledged_by,
        row.flagged_at, int(count), state)


def _item(i: HandoffItem) -> HandoffItemView:
    notes = tuple(HandoffNote(str(n["author"]), datetime.fromisoformat(str(n["created_at"])),
                              str(n["body"])) for n in i.notes)
    return HandoffItemView(i.case_id, i.title, i.status, i.severity, i.priority, i.assignee,
                           i.ack_state, i.ack_due_at, i.resolve_state, i.resolve_due_at,
                           i.waiting_on, notes, i.next_step, i.moved)


__all__ = ["HandoffItemView", "HandoffNote", "HandoffRun", "HandoffSummary", "HandoffView",
           "acknowledge", "due", "latest", "listing", "next_step", "show"]
