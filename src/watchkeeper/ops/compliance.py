"""SLA compliance of the cases created in a period, per team, severity and region.

Each clock of each case with a policy is met, breached or still open, as of the time
asked. A clock counts for the team that owned the case when it was decided: when it
stopped (met), when it fell due (breached), or now (open); for its case's severity;
and for each region its alerts name (``(none)``: no region). Compliance is met /
(met + breached): open clocks are not decided yet.

`stored` gives the overall row from the clock states the case SLA rows hold instead
(``case_slas``: as the clocks were when last computed, on opening, acknowledging,
pausing or resuming a case and by every `sla-tick` for each case with a clock still
running), one grouped query rather than every case's history: a running clock whose
due time has passed by the time asked counts as breached, as the next tick would make
it; the few cases resolved with a clock still running, or reopened with their resolve
clock met, since the states were stored are recomputed from their histories. So it
agrees with `report`, except that a clock decided under an SLA policy changed since
counts as it was decided, and a running clock's due time is as last computed (a
business-hours clock's owner changed since moves it only at the next tick). It
declines (None) when asked about a time before a stored state was last changed: that
state was not known yet.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement

from watchkeeper.cases.model import Severity
from watchkeeper.ops import history, shifts
from watchkeeper.ops.history import OPEN_WORDS, SETTLED, TEAM_ACTIONS, CaseHistory
from watchkeeper.ops.sla import ACK, ACTIVE, ClockView, clocks, policies
from watchkeeper.security.roles import Scope
from watchkeeper.store.models import Alert, Case, CaseEvent, CaseSla, Team

NO_TEAM = "(none)"
NO_REGION = "(none)"


@dataclass(frozen=True)
class ComplianceRow:
    group: str
    cases: int
    ack_met: int
    ack_breached: int
    ack_open: int
    resolve_met: int
    resolve_breached: int
    resolve_open: int
    ack_compliance: float | None      # met / (met + breached); None: nothing decided
    resolve_compliance: float | None


@dataclass(frozen=True)
class SlaReport:
    since: datetime
    until: datetime
    at: datetime
    cases: int          # created in the period, with a policy for their severity
    uncovered: int      # created in the period, no policy for their severity
    overall: ComplianceRow
    by_team: tuple[ComplianceRow, ...]
    by_severity: tuple[ComplianceRow, ...]
    by_region: tuple[ComplianceRow, ...]


@dataclass
class _Tally:
    cases: set[int] = field(default_factory=set)
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, case_id: int, clock: ClockView) -> None:
        self.cases.add(case_id)
        outcome = {"met": "met", "breached": "breached"}.get(clock.state, "open")
        prefix = "ack" if clock.kind == ACK else "resolve"
        self.counts[f"{prefix}_{outcome}"] += 1

    def row(self, group: str) -> ComplianceRow:
        c = self.counts
        return ComplianceRow(group, len(self.cases), c["ack_met"], c["ack_breached"],
                             c["ack_open"], c["resolve_met"], c["resolve_breached"],
                             c["resolve_open"], _rate(c["ack_met"], c["ack_breached"]),
                             _rate(c["resolve_met"], c["resolve_breached"]))


def _rate(met: int, breached: int) -> float | None:
    return met / (met + breached) if met + breached else None


def report(session: Session, since: datetime, until: datetime, now: datetime, *,
           scope: Scope | None = None, among: Select[Any] | None = None) -> SlaReport:
    """Compliance of the cases created in [since, until) as of `now`; with `scope`, of
    the cases whose alerts it covers (`Scope.covers`); with `among`, of the cases it
    selects (their ids) only."""
    rules = policies(session)
    teams = {p.name: p for p in shifts.plans(session)}
    query = select(Case.id).where(Case.created_at >= since, Case.created_at < until)
    if among is not None:
        query = query.where(Case.id.in_(among))
    ids = list(session.scalars(query))
    overall = _Tally()
    by_team: dict[str, _Tally] = defaultdict(_Tally)
    by_severity: dict[str, _Tally] = defaultdict(_Tally)
    by_region: dict[str, _Tally] = defaultdict(_Tally)
    uncovered = 0
    for h in history.load(session, ids).values():
        if scope is not None and not scope.covers(h.regions):
            continue
        policy = rules.get(h.severity)
        if policy is None:
            uncovered += 1
            continue
        for clock in clocks(h, policy, teams, now):
            overall.add(h.case_id, clock)
            by_team[_team(h, clock, now)].add(h.case_id, clock)
            by_severity[_severity(h.severity)].add(h.case_id, clock)
            for region in _regions(h):
                by_region[region].add(h.case_id, clock)
    return SlaReport(since, until, now, len(overall.cases), uncovered, overall.row("all"),
                     _rows(by_team), _rows(by_severity, key=_severity_order),
                     _rows(by_region))


def team_row(session: Session, since: datetime, until: datetime, now: datetime,
             team: str, *, scope: Scope | None = None) -> ComplianceRow:
    """`report`'s row of `team`, from the cases it may have owned when a clock was
    decided: those it owns now and those whose team changes name it (the rest never
    were its own)."""
    named = or_(CaseEvent.after["team"].as_string() == team,
                CaseEvent.before["team"].as_string() == team)
    among = select(Case.id).where(or_(
        Case.team_id.in_(select(Team.id).where(Team.name == team)),
        Case.id.in_(select(CaseEvent.case_id).where(
            CaseEvent.action.in_(TEAM_ACTIONS), named))))
    found = report(session, since, until, now, scope=scope, among=among)
    row = next((r for r in found.by_team if r.group == team), None)
    return row if row is not None else ComplianceRow(team, 0, 0, 0, 0, 0, 0, 0, None, None)


def stored(session: Session, since: datetime, until: datetime, now: datetime, *,
           scope: Scope | None = None) -> ComplianceRow | None:
    """The overall row of `report` from the stored clock states (see the module text);
    None when a state of one of these cases changed after `now`."""
    cases = select(Case.id).join(CaseSla, CaseSla.case_id == Case.id).where(
        Case.created_at >= since, Case.created_at < until, CaseSla.severity.is_not(None))
    if scope is not None and not scope.all_regions:
        inner = aliased(Alert)
        cases = cases.where(scope.covers_clause(inner.region, inner.case_id == Case.id))
    latest = session.scalar(cases.with_only_columns(func.max(CaseSla.updated_at)))
    if latest is not None and latest > now:
        return None
    # settled with a clock still running, or reopened with its resolve clock met, since
    # the states were stored: those few are recomputed
    stale = or_(and_(Case.status.in_(sorted(SETTLED)), or_(
        CaseSla.ack_state.in_(ACTIVE), CaseSla.resolve_state.in_(ACTIVE))),
        and_(Case.status.in_(sorted(OPEN_WORDS)), CaseSla.resolve_state == "met"))
    row = session.execute(cases.where(~stale).with_only_columns(
        func.count(), *_tallies(CaseSla.ack_state, CaseSla.ack_due_at, now),
        *_tallies(CaseSla.resolve_state, CaseSla.resolve_due_at, now))).one()
    counts = [int(v or 0) for v in row]
    again = report(session, since, until, now, scope=scope, among=cases.where(stale)).overall
    for k, extra in enumerate((again.cases, again.ack_met, again.ack_breached,
                               again.resolve_met, again.resolve_breached)):
        counts[k] += extra
    n, ack_met, ack_breached, res_met, res_breached = counts
    return ComplianceRow("all", n, ack_met, ack_breached, n - ack_met - ack_breached,
                         res_met, res_breached, n - res_met - res_breached,
                         _rate(ack_met, ack_breached), _rate(res_met, res_breached))


def _tallies(state: Any, due: Any, now: datetime) -> tuple[ColumnElement[Any], ...]:
    """How many of a clock are met and breached as of `now`."""
    overdue = and_(state == "running", due.is_not(None), due <= now)
    return (func.sum(case((state == "met", 1), else_=0)),
            func.sum(case((or_(state == "breached", overdue), 1), else_=0)))


def _team(h: CaseHistory, clock: ClockView, now: datetime) -> str:
    at = {"met": clock.stopped_at, "breached": clock.due_at}.get(clock.state) or now
    return h.owner_at(at) or NO_TEAM


def _severity(value: int) -> str:
    return Severity(value).name.lower() if 0 <= value <= 6 else str(value)


def _severity_order(name: str) -> tuple[int, str]:
    return (-Severity[name.upper()].value if name.upper() in Severity.__members__ else 0,
            name)


def _regions(h: CaseHistory) -> Iterable[str]:
    named = sorted({r.strip().casefold() for r in h.regions if r and r.strip()})
    return named or [NO_REGION]


def _rows(tallies: dict[str, _Tally],
          key: Callable[[str], tuple[int, str]] | None = None) -> tuple[ComplianceRow, ...]:
    order = sorted(tallies, key=key) if key is not None else sorted(tallies)
    return tuple(tallies[g].row(g) for g in order)


__all__ = ["ComplianceRow", "SlaReport", "report", "stored", "team_row"]
