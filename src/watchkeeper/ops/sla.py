"""SLA policies per severity and each case's two clocks.

==============  ==========================  ==============================================
clock           starts                      stops
==============  ==========================  ==============================================
acknowledge     when the case is created    at its first acknowledgement, or when it is
                                            first resolved (whichever comes first)
resolve         when the case is created    when it is resolved or closed; a reopened
                                            case's clock runs on from where it stopped
==============  ==========================  ==============================================

Both stand still while the case waits on a stated external party (`pause` .. `resume`).
A policy counts on the wall clock, or on the business hours of the team that owns the
case at each moment (`ops.slaclock`); a team without shift hours, and a case without a
team, count on the wall clock. A clock's state: ``none`` (no policy for the case's
severity), ``running``, ``paused``, ``met`` (stopped within its target) or ``breached``
(its target passed while it ran). Durations are whole seconds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from watchkeeper.cases.model import Severity
from watchkeeper.errors import NotFoundError, OpsError
from watchkeeper.ops.history import CaseHistory
from watchkeeper.ops.hours import Hours, WallClock
from watchkeeper.ops.shifts import TeamPlan
from watchkeeper.ops.slaclock import Interval, Span, elapsed, reached, spans
from watchkeeper.store.models import Account, CaseSla, SlaPolicy, Team

ACK, RESOLVE = "acknowledge", "resolve"
WALL, BUSINESS = "wall", "business"
ACTIVE = ("running", "paused")
MAX_TARGET = timedelta(days=366)
_PART = re.compile(r"(\d+)\s*([dhms])")


@dataclass(frozen=True)
class SlaPolicyInfo:
    severity: int
    severity_name: str
    acknowledge_seconds: int
    resolve_seconds: int
    clock: str
    raise_priority: bool
    escalate_team: str | None
    escalate_assignee: str | None
    updated_at: datetime


@dataclass(frozen=True)
class ClockView:
    """One clock of a case: its state, target, how much has run by the time asked, when
    it is (or was) due, and when it stopped."""

    kind: str
    state: str
    target_seconds: int | None
    elapsed_seconds: int
    due_at: datetime | None
    stopped_at: datetime | None

    @property
    def remaining_seconds(self) -> int | None:
        if self.target_seconds is None or self.state not in ACTIVE:
            return None
        return self.target_seconds - self.elapsed_seconds


def parse_duration(text: str, field: str) -> timedelta:
    """``45m``, ``4h``, ``1h30m``, ``2d``; a plain number is minutes."""
    key = text.strip().lower().replace(" ", "")
    expected = f"{text!r}: expected a duration such as 45m, 4h, 1h30m or 2d"
    try:
        if key.isascii() and key.isdigit():
            return timedelta(minutes=int(key))
        parts = _PART.findall(key)
        if not key or "".join(n + u for n, u in parts) != key:
            raise OpsError(field, expected)
        unit = {"d": 86400, "h": 3600, "m": 60, "s": 1}
        return timedelta(seconds=sum(int(n) * unit[u] for n, u in parts))
    except (ValueError, OverflowError):   # digits int() refuses; beyond timedelta's range
        raise OpsError(field, expected) from None


def format_duration(seconds: int | None) -> str:
    if seconds is None:
        return "-"
    sign, left = ("-" if seconds < 0 else ""), abs(seconds)
    days, left = divmod(left, 86400)
    hours, left = divmod(left, 3600)
    minutes = left // 60
    text = "".join(f"{v}{u}" for v, u in ((days, "d"), (hours, "h"), (minutes, "m")) if v)
    return sign + (text or "0m")


def parse_severity(value: str | int) -> int:
    """An OCSF severity: its number (0-6) or its name (``high``, ``critical``)."""
    text = str(value).strip()
    if text.isascii() and text.isdigit() and 0 <= int(text) <= 6:
        return int(text)
    found = Severity.from_name(text)
    if found is Severity.UNKNOWN and text.lower() != "unknown":
        raise OpsError("severity", f"{value!r}: expected 0-6 or informational, low, medium, "
                                   "high, critical, fatal")
    return int(found)


# -- policies -------------------------------------------------------------------------------

def set_policy(session: Session, severity: int, acknowledge: timedelta, resolve: timedelta,
               clock: str, now: datetime, *, raise_priority: bool = True,
               escalate_team: str | None = None,
               escalate_assignee: str | None = None) -> SlaPolicyInfo:
    """Set (or replace) the policy for cases of `severity`."""
    for field, value in (("acknowledge", acknowledge), ("resolve", resolve)):
        if not timedelta(minutes=1) <= value <= MAX_TARGET:
            raise OpsError(field, f"{format_duration(int(value.total_seconds()))}: expected "
                                  "1 minute to 366 days")
    if resolve < acknowledge:
        raise OpsError("resolve", "a case cannot be due resolved before it is due "
                                  "acknowledged")
    if clock not in (WALL, BUSINESS):
        raise OpsError("clock", f"{clock!r}: expected wall or business")
    team_id = _team_id(session, escalate_team) if escalate_team else None
    account_id = _account_id(session, escalate_assignee) if escalate_assignee else None
    row = session.get(SlaPolicy, severity)
    if row is None:
        row = SlaPolicy(severity=severity)
        session.add(row)
    row.acknowledge_seconds = int(acknowledge.total_seconds())
    row.resolve_seconds = int(resolve.total_seconds())
    row.clock, row.raise_priority, row.updated_at = clock, raise_priority, now
    row.escalate_team_id, row.escalate_assignee_id = team_id, account_id
    session.flush()
    return policies(session)[severity]


def remove_policy(session: Session, severity: int) -> SlaPolicyInfo:
    found = policies(session).get(severity)
    if found is None:
        raise NotFoundError(f"no SLA policy for severity {severity_name(severity)}")
    row = session.get(SlaPolicy, severity)
    session.delete(row)
    session.flush()
    return found


def policies(session: Session) -> dict[int, SlaPolicyInfo]:
    teams = {k: v for k, v in session.execute(select(Team.id, Team.name))}
    accounts = {k: v for k, v in session.execute(select(Account.id, Account.name))}
    return {p.severity: SlaPolicyInfo(
        p.severity, severity_name(p.severity), p.acknowledge_seconds, p.resolve_seconds, p.clock,
        p.raise_priority,
        teams.get(p.escalate_team_id) if p.escalate_team_id is not None else None,
        accounts.get(p.escalate_assignee_id) if p.escalate_assignee_id is not None else None,
        p.updated_at)
        for p in session.scalars(select(SlaPolicy).order_by(SlaPolicy.severity))}


def severity_name(severity: int) -> str:
    return Severity(severity).name.lower() if 0 <= severity <= 6 else str(severity)


def _team_id(session: Session, name: str) -> int:
    found = session.scalar(select(Team.id).where(Team.name == name))
    if found is None:
        raise NotFoundError(f"no team named {name!r} (see `watchkeeper teams list`)")
    return found


def _account_id(session: Session, name: str) -> int:
    found = session.scalar(select(Account.id).where(Account.name == name))
    if found is None:
        raise NotFoundError(f"no account named {name!r}")
    return found


# -- a case's clocks ------------------------------------------------------------------------

def clocks(h: CaseHistory, policy: SlaPolicyInfo | None, teams: Mapping[str, TeamPlan],
           now: datetime) -> tuple[ClockView, ClockView]:
    """The case's acknowledge and resolve clocks as of `now`."""
    if policy is None:
        return (ClockView(ACK, "none", None, 0, None, h.acknowledged_at),
                ClockView(RESOLVE, "none", None, 0, None, _settled_at(h)))
    wall: Hours = WallClock()

    def hours(team: str | None) -> Hours:
        plan = teams.get(team) if team is not None and policy.clock == BUSINESS else None
        return plan.hours if plan is not None else wall

    owners = [(since, hours(team)) for since, team in h.owners]
    pauses: list[Interval] = [(p.paused_at, p.resumed_at) for p in h.pauses]
    acked = min((t for t in (h.acknowledged_at, h.first_settled) if t is not None),
                default=None)
    ack_stops = pauses + ([(acked, None)] if acked is not None else [])
    ack = _clock(ACK, h, spans(h.created_at, ack_stops, owners),
                 policy.acknowledge_seconds, acked, now)
    resolve = _clock(RESOLVE, h, spans(h.created_at, pauses + list(h.resolved), owners),
                     policy.resolve_seconds, _settled_at(h), now)
    return ack, resolve


def _settled_at(h: CaseHistory) -> datetime | None:
    """When the case was last resolved, if it is resolved (or closed) now."""
    if h.resolved and h.resolved[-1][1] is None:
        return h.resolved[-1][0]
    return None


def _clock(kind: str, h: CaseHistory, runs: list[Span], target: int,
           stopped: datetime | None, now: datetime) -> ClockView:
    due = reached(runs, timedelta(seconds=target))
    ran = int(elapsed(runs, now).total_seconds()) if now > h.created_at else 0
    if due is not None and due <= now and (stopped is None or due < stopped):
        state = "breached"   # reaching the target as the clock stops is meeting it
    elif stopped is not None and stopped <= now:
        state = "met"
    elif h.waiting_on is not None:
        state = "paused"
    else:
        state = "running"
    return ClockView(kind, state, target, ran, due if state in ("running", "breached")
                     else None, stopped)


def sync(session: Session, h: CaseHistory, policy: SlaPolicyInfo | None,
         teams: Mapping[str, TeamPlan], now: datetime) -> tuple[ClockView, ClockView]:
    """Compute the clocks and store them on the case's SLA row (made when missing)."""
    ack, resolve = clocks(h, policy, teams, now)
    row = session.get(CaseSla, h.case_id)
    if row is None:
        row = CaseSla(case_id=h.case_id)
        session.add(row)
    wanted = (policy.severity if policy is not None else None, ack.due_at, resolve.due_at,
              ack.state, resolve.state)
    if wanted != (row.severity, row.ack_due_at, row.resolve_due_at, row.ack_state,
                  row.resolve_state):   # unchanged rows are not written again
        (row.severity, row.ack_due_at, row.resolve_due_at, row.ack_state,
         row.resolve_state) = wanted
        row.updated_at = now
    return ack, resolve


__all__ = ["ACK", "ACTIVE", "BUSINESS", "RESOLVE", "WALL", "ClockView", "SlaPolicyInfo",
           "clocks", "format_duration", "parse_duration", "parse_severity", "policies",
           "remove_policy", "set_policy", "severity_name", "sync"]
