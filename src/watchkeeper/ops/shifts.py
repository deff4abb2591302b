"""Teams' time zones, weekly shift hours and holidays in the state store.

Each function works inside the caller's session (``with store.session() as s``), so a
refused change stores nothing. A team has no calendar until its shift hours are set;
until then it is not routed to by shift and its business hours are the wall clock.
`plans` loads every team with its regions and calendar, the input of routing, SLA
clocks and hand-offs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from watchkeeper.errors import NotFoundError, OpsError
from watchkeeper.ops.hours import Calendar, Hours, ShiftHours, WallClock, zone
from watchkeeper.security.roles import ALL_REGIONS
from watchkeeper.store.models import Team, TeamCalendar, TeamHoliday, TeamRegion, TeamShift

DEFAULT_GRACE = 30        # minutes the next team has to acknowledge a hand-off
MAX_GRACE = 24 * 60
MAX_HOLIDAY_NAME = 200


@dataclass(frozen=True)
class Holiday:
    day: date
    name: str


@dataclass(frozen=True)
class TeamPlan:
    """A team as operations sees it: its regions (lower case; ``*``: every region) and
    its calendar (None: no shift hours set)."""

    id: int
    name: str
    regions: frozenset[str]
    calendar: Calendar | None
    grace_minutes: int
    set_at: datetime | None

    def sees(self, regions: Iterable[str | None]) -> bool:
        """Whether the team may see a case whose alerts have `regions` (a case with no
        named region is seen by every team)."""
        if ALL_REGIONS in self.regions:
            return True
        named = {r.strip().casefold() for r in regions if r is not None and r.strip()}
        return named <= self.regions

    @property
    def hours(self) -> Hours:
        """The team's business hours (the wall clock for a team without a calendar)."""
        return self.calendar if self.calendar is not None else WallClock()

    @property
    def scheduled(self) -> bool:
        return self.calendar is not None and bool(self.calendar.hours)


@dataclass(frozen=True)
class TeamShifts:
    """A team's calendar as shown: where it is on shift now, when that ends or the next
    shift starts (UTC)."""

    team: str
    regions: tuple[str, ...]
    timezone: str | None
    hours: tuple[str, ...]
    holidays: tuple[Holiday, ...]
    handoff_grace_minutes: int
    on_shift: bool
    shift_ends: datetime | None
    next_start: datetime | None
    updated_at: datetime | None


def plans(session: Session) -> list[TeamPlan]:
    """Every team with its regions and calendar, by name."""
    teams = session.scalars(select(Team).order_by(Team.name)).all()
    regions: dict[int, set[str]] = {}
    for team_id, region in session.execute(select(TeamRegion.team_id, TeamRegion.region)):
        regions.setdefault(team_id, set()).add(region.casefold())
    hours: dict[int, list[ShiftHours]] = {}
    for row in session.scalars(select(TeamShift)):
        hours.setdefault(row.team_id, []).append(
            ShiftHours(row.weekday, row.start_minute, row.end_minute))
    holidays: dict[int, list[date]] = {}
    for team_id, day in session.execute(select(TeamHoliday.team_id, TeamHoliday.day)):
        holidays.setdefault(team_id, []).append(day)
    calendars = {c.team_id: c for c in session.scalars(select(TeamCalendar))}
    found = []
    for t in teams:
        cal = calendars.get(t.id)
        found.append(TeamPlan(
            t.id, t.name, frozenset(regions.get(t.id, ())),
            Calendar(cal.timezone, hours.get(t.id, ()), holidays.get(t.id, ()))
            if cal is not None else None,
            cal.handoff_grace_minutes if cal is not None else DEFAULT_GRACE,
            cal.updated_at if cal is not None else None))
    return found


def plan_of(session: Session, team: str) -> TeamPlan:
    for p in plans(session):
        if p.name.casefold() == team.strip().casefold():
            return p
    raise NotFoundError(f"no team named {team!r} (see `watchkeeper teams list`)")


def set_shifts(session: Session, team: str, timezone: str, hours: Sequence[ShiftHours],
               now: datetime, grace_minutes: int | None = None) -> TeamPlan:
    """Give `team` its time zone and weekly shift hours (replacing the ones it had)."""
    zone(timezone)
    if not hours:
        raise OpsError("hours", "give at least one shift (e.g. 'mon-fri 08:00-16:00')")
    if grace_minutes is not None and not 0 <= grace_minutes <= MAX_GRACE:
        raise OpsError("grace", f"{grace_minutes} minutes: expected 0 to {MAX_GRACE}")
    row = _team(session, team)
    cal = session.get(TeamCalendar, row.id)
    if cal is None:
        cal = TeamCalendar(team_id=row.id, timezone=timezone,
                           handoff_grace_minutes=DEFAULT_GRACE, updated_at=now)
        session.add(cal)
    cal.timezone, cal.updated_at = timezone, now
    if grace_minutes is not None:
        cal.handoff_grace_minutes = grace_minutes
    session.execute(delete(TeamShift).where(TeamShift.team_id == row.id))
    session.add_all(TeamShift(team_id=row.id, weekday=h.weekday, start_minute=h.start,
                              end_minute=h.end) for h in sorted(set(hours)))
    session.flush()
    return plan_of(session, row.name)


def add_holiday(session: Session, team: str, day: date, name: str = "") -> Holiday:
    """Make `day` (the team's local date) a holiday; again: renames it."""
    text = " ".join(name.split())
    if len(text) > MAX_HOLIDAY_NAME:
        raise OpsError("name", f"a holiday's name has at most {MAX_HOLIDAY_NAME} characters")
    row = _team(session, team)
    found = session.get(TeamHoliday, (row.id, day))
    if found is None:
        session.add(TeamHoliday(team_id=row.id, day=day, name=text))
    else:
        found.name = text
    session.flush()
    return Holiday(day, text)


def remove_holiday(session: Session, team: str, day: date) -> Holiday:
    row = _team(session, team)
    found = session.get(TeamHoliday, (row.id, day))
    if found is None:
        raise NotFoundError(f"team {row.name}: {day.isoformat()} is not a holiday")
    session.delete(found)
    session.flush()
    return Holiday(found.day, found.name)


def holidays(session: Session, team: str, since: date | None = None) -> tuple[Holiday, ...]:
    row = _team(session, team)
    query = select(TeamHoliday).where(TeamHoliday.team_id == row.id)
    if since is not None:
        query = query.where(TeamHoliday.day >= since)
    return tuple(Holiday(h.day, h.name) for h in session.scalars(query.order_by(TeamHoliday.day)))


def show(plan: TeamPlan, now: datetime, days: Sequence[Holiday]) -> TeamShifts:
    cal = plan.calendar
    window = cal.shift_at(now) if cal is not None else None
    return TeamShifts(
        plan.name, tuple(sorted(plan.regions)), cal.zone_name if cal is not None else None,
        tuple(h.text for h in cal.hours) if cal is not None else (), tuple(days),
        plan.grace_minutes, window is not None, window.end if window is not None else None,
        cal.next_start(now) if cal is not None and window is None else None, plan.set_at)


def _team(session: Session, name: str) -> Team:
    row = session.scalars(select(Team).where(
        func.lower(Team.name) == name.strip().casefold())).first()
    if row is None:
        raise NotFoundError(f"no team named {name!r} (see `watchkeeper teams list`)")
    return row


__all__ = ["DEFAULT_GRACE", "Holiday", "TeamPlan", "TeamShifts", "add_holiday", "holidays",
           "plan_of", "plans", "remove_holiday", "set_shifts", "show"]
