"""`teams.yml`: teams, their time zones, shift hours and holidays, and SLA policies, to
seed a store with. The store is the truth: seeding adds what is missing (teams, their
calendars, holidays, policies) and keeps what is there unless asked to replace it; a
team's regions are never changed by it. ::

    teams:
      soc-eu:
        regions: [eu]
        timezone: Europe/Berlin
        shifts: [mon-fri 07:00-15:00]
        holidays: {2025-12-25: Christmas Day, 2025-12-26: St Stephen's Day}
        handoff_grace: 30m
    sla:
      high: {acknowledge: 1h, resolve: 8h, clock: business, escalate_team: soc-us}
      critical: {acknowledge: 15m, resolve: 4h, clock: wall}

The whole file is read and checked before anything is written; an error names the
file, line and field (``teams.yml:7 teams.soc-eu.shifts[0]: ...``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TypeVar

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from watchkeeper.errors import AccountError, InputError, OpsError, WatchkeeperError, yaml_location
from watchkeeper.ops import shifts, sla
from watchkeeper.ops.hours import ShiftHours, parse_hours
from watchkeeper.ops.hours import zone as hours_zone
from watchkeeper.security.changes import ChangeAudit
from watchkeeper.security.principals import bound
from watchkeeper.security.teams import Teams
from watchkeeper.store.models import SlaPolicy, Team, TeamCalendar, TeamHoliday

T = TypeVar("T")
TEAM_KEYS = {"regions", "timezone", "shifts", "holidays", "handoff_grace"}
POLICY_KEYS = {"acknowledge", "resolve", "clock", "raise_priority", "escalate_team",
               "escalate_assignee"}


@dataclass(frozen=True)
class TeamSeed:
    name: str
    line: int
    regions: tuple[str, ...]
    timezone: str | None
    hours: tuple[ShiftHours, ...]
    holidays: tuple[tuple[date, str], ...]
    grace_minutes: int | None


@dataclass(frozen=True)
class PolicySeed:
    severity: int
    line: int
    acknowledge: timedelta
    resolve: timedelta
    clock: str
    raise_priority: bool
    escalate_team: str | None
    escalate_assignee: str | None


@dataclass(frozen=True)
class SeededTeam:
    name: str
    created: bool
    calendar: str            # set, replaced, kept, none
    holidays_added: int
    regions_kept: bool       # the store's regions differ from the file's: kept


@dataclass(frozen=True)
class SeedReport:
    path: str
    teams: tuple[SeededTeam, ...]
    policies: tuple[str, ...]       # severities whose policy was set
    policies_kept: tuple[str, ...]  # present already, kept


class _Reader:
    """Python values out of YAML nodes, each error naming file, line and field."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, node: yaml.Node, field: str, reason: str) -> OpsError:
        return OpsError(f"{self.path}:{node.start_mark.line + 1} {field}", reason)

    def mapping(self, node: yaml.Node, field: str) -> list[tuple[str, yaml.Node]]:
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, field, "expected a mapping")
        return [(self.scalar(k, field), v) for k, v in node.value]

    def items(self, node: yaml.Node, field: str) -> list[yaml.Node]:
        if isinstance(node, yaml.ScalarNode):
            return [node]
        if not isinstance(node, yaml.SequenceNode):
            raise self.fail(node, field, "expected a list")
        return list(node.value)

    def scalar(self, node: yaml.Node, field: str) -> str:
        if not isinstance(node, yaml.ScalarNode):
            raise self.fail(node, field, "expected a single value")
        return str(node.value).strip()

    def check(self, node: yaml.Node, field: str, parse: Callable[[], T]) -> T:
        try:
            return parse()
        except OpsError as exc:
            raise self.fail(node, field, exc.reason) from None
        except (AccountError, ValueError) as exc:
            raise self.fail(node, field, str(exc)) from None


def read(path: Path) -> tuple[tuple[TeamSeed, ...], tuple[PolicySeed, ...]]:
    """The teams and policies of a teams.yml, checked."""
    try:
        root = yaml.compose(path.read_text("utf-8"))
    except OSError as exc:
        raise InputError(path, exc.strerror or str(exc)) from None
    except yaml.YAMLError as exc:
        where, problem = yaml_location(path, exc)
        raise InputError(where, problem) from None
    r = _Reader(path)
    if root is None:
        raise InputError(path, "empty file: expected teams: and/or sla:")
    teams: list[TeamSeed] = []
    rules: list[PolicySeed] = []
    for key, node in r.mapping(root, "file"):
        if key == "teams":
            teams += [_team(r, name, spec) for name, spec in r.mapping(node, "teams")]
        elif key == "sla":
            rules += [_policy(r, sev, spec) for sev, spec in r.mapping(node, "sla")]
        else:
            raise r.fail(node, key, "unknown section: expected teams or sla")
    return tuple(teams), tuple(rules)


def _team(r: _Reader, name: str, node: yaml.Node) -> TeamSeed:
    where = f"teams.{name}"
    spec = dict(r.mapping(node, where))
    for key, value in spec.items():
        if key not in TEAM_KEYS:
            raise r.fail(value, f"{where}.{key}", f"unknown key: expected one of "
                                                  f"{', '.join(sorted(TEAM_KEYS))}")
    regions = tuple(r.scalar(n, f"{where}.regions") for n in
                    (r.items(spec["regions"], f"{where}.regions") if "regions" in spec else []))
    zone = r.scalar(spec["timezone"], f"{where}.timezone") if "timezone" in spec else None
    if zone is not None:
        r.check(spec["timezone"], f"{where}.timezone", lambda: hours_zone(zone))
    hours: list[ShiftHours] = []
    for i, item in enumerate(r.items(spec["shifts"], f"{where}.shifts")
                             if "shifts" in spec else []):
        text = r.scalar(item, f"{where}.shifts[{i}]")
        hours += r.check(item, f"{where}.shifts[{i}]", partial(parse_hours, text))
    if bool(hours) != (zone is not None):
        raise r.fail(node, where, "give both timezone and shifts, or neither")
    days: list[tuple[date, str]] = []
    if "holidays" in spec:
        h = spec["holidays"]
        field = f"{where}.holidays"
        pairs = ([(day, r.scalar(v, f"{field}.{day}"), v) for day, v in r.mapping(h, field)]
                 if isinstance(h, yaml.MappingNode)
                 else [(r.scalar(n, field), "", n) for n in r.items(h, field)])
        for day, label, at in pairs:
            days.append((r.check(at, f"{field}.{day}", partial(_day, day)), label))
    grace = None
    if "handoff_grace" in spec:
        text = r.scalar(spec["handoff_grace"], f"{where}.handoff_grace")
        grace = int(r.check(spec["handoff_grace"], f"{where}.handoff_grace",
                            lambda: sla.parse_duration(text, "handoff_grace")).total_seconds()
                    // 60)
    return TeamSeed(name, node.start_mark.line + 1, regions, zone, tuple(hours), tuple(days),
                    grace)


def _policy(r: _Reader, severity: str, node: yaml.Node) -> PolicySeed:
    where = f"sla.{severity}"
    spec = {k: r.scalar(v, f"{where}.{k}") for k, v in r.mapping(node, where)}
    for key in spec:
        if key not in POLICY_KEYS:
            raise r.fail(node, f"{where}.{key}", "unknown key: expected one of "
                                                 f"{', '.join(sorted(POLICY_KEYS))}")
    for key in ("acknowledge", "resolve"):
        if key not in spec:
            raise r.fail(node, f"{where}.{key}", "missing")
    sev = r.check(node, f"{where}", lambda: sla.parse_severity(severity))
    ack = r.check(node, f"{where}.acknowledge",
                  lambda: sla.parse_duration(spec["acknowledge"], "acknowledge"))
    res = r.check(node, f"{where}.resolve",
                  lambda: sla.parse_duration(spec["resolve"], "resolve"))
    clock = spec.get("clock", sla.WALL)
    if clock not in (sla.WALL, sla.BUSINESS):
        raise r.fail(node, f"{where}.clock", f"{clock!r}: expected wall or business")
    raise_priority = spec.get("raise_priority", "true").lower() not in ("false", "no", "off")
    return PolicySeed(sev, node.start_mark.line + 1, ack, res, clock, raise_priority,
                      spec.get("escalate_team"), spec.get("escalate_assignee"))


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise OpsError("holidays", f"{text!r}: not a day (expected YYYY-MM-DD)") from None


def apply(session: Session, path: Path, now: datetime, changes: ChangeAudit, *,
          replace: bool = False) -> SeedReport:
    """Seed the store from `path` in the caller's unit of work (all or nothing); the
    teams it creates are audited through `changes`."""
    teams, rules = read(path)
    done = [_seed_team(session, path, t, now, replace, changes) for t in teams]
    set_, kept = [], []
    for p in rules:
        name = sla.severity_name(p.severity)
        if session.get(SlaPolicy, p.severity) is not None and not replace:
            kept.append(name)
            continue
        try:
            sla.set_policy(session, p.severity, p.acknowledge, p.resolve, p.clock, now,
                           raise_priority=p.raise_priority, escalate_team=p.escalate_team,
                           escalate_assignee=p.escalate_assignee)
        except WatchkeeperError as exc:
            raise OpsError(f"{path}:{p.line} sla.{name}", str(exc)) from None
        set_.append(name)
    return SeedReport(str(path), tuple(done), tuple(set_), tuple(kept))


def _seed_team(session: Session, path: Path, t: TeamSeed, now: datetime,
               replace: bool, changes: ChangeAudit) -> SeededTeam:
    where = f"{path}:{t.line} teams.{t.name}"
    row = session.scalars(select(Team).where(func.lower(Team.name) == t.name.casefold())).first()
    created = row is None
    try:
        if row is None:
            Teams(bound(session), changes).add(t.name, t.regions)
        info = shifts.plan_of(session, t.name)
    except AccountError as exc:
        raise OpsError(f"{where}.{exc.field}", exc.reason) from None
    has = session.get(TeamCalendar, info.id) is not None
    calendar = "none"
    if t.timezone is not None and (not has or replace):
        shifts.set_shifts(session, t.name, t.timezone, t.hours, now, t.grace_minutes)
        calendar = "replaced" if has else "set"
    elif has:
        calendar = "kept"
    added = 0
    for day, label in t.holidays:
        if session.get(TeamHoliday, (info.id, day)) is None or replace:
            shifts.add_holiday(session, t.name, day, label)
            added += 1
    differ = not created and bool(t.regions) and \
        {r.casefold() for r in t.regions} != set(info.regions)
    return SeededTeam(info.name, created, calendar, added, differ)


__all__ = ["PolicySeed", "SeedReport", "SeededTeam", "TeamSeed", "apply", "read"]
