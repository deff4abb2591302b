"""Reference files: HR feed, monthly LDAP snapshots, psychometrics, assets and devices."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from pathlib import Path

from watchkeeper.sim.clock import OFFICES
from watchkeeper.sim.org import NEVER, Person
from watchkeeper.sim.world import World


def _write(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


_NOTICE_TAGS = frozenset({"departing", "reduction-in-force"})


def _iso(world: World, day: int) -> str:
    return "" if day == NEVER else world.calendar.date(day).isoformat()


def _hr_row(world: World, p: Person) -> list[object]:
    last = world.calendar.days - 1
    recorded = min(p.notice_day + p.hr_lag, p.end_day)
    known = recorded <= last
    manager = (world.org.people[p.manager].user_id
               if p.manager is not None and not p.hr_no_manager else "")
    return [p.user_id, p.name, p.email, p.dept.name, p.team, p.role, manager, p.region,
            OFFICES[p.region][1], _iso(world, p.hire_day),
            _iso(world, recorded) if known else "", _iso(world, p.end_day) if known else "",
            ";".join(w for w in p.watchlists if known or w not in _NOTICE_TAGS)]


def write_directory(out: Path, world: World) -> dict[str, int]:
    """Write every reference file; returns rows per relative path."""
    people = world.org.people
    files = {
        "hr_feed.csv": _write(out / "hr_feed.csv", (
            "id", "name", "email", "department", "team", "role", "manager", "region",
            "country", "hire_date", "notice_date", "end_date", "watchlists"),
            (_hr_row(world, p) for p in people)),
        "psychometric.csv": _write(out / "psychometric.csv", (
            "employee_name", "user_id", "O", "C", "E", "A", "N"),
            ([p.name, p.user_id, *p.traits] for p in people)),
        "assets.csv": _write(out / "assets.csv", (
            "dataset", "region", "sensitivity", "owner_team", "description"),
            ([d.name, d.region, d.sensitivity, d.owner_team, d.description]
             for d in world.datasets)),
        "devices.csv": _write(out / "devices.csv", ("host", "owner", "shared", "region",
                                                     "office"),
            ([h.name, people[h.owner].user_id if h.owner is not None else "",
              str(h.owner is None), h.region, OFFICES[h.region][0]]
             for h in world.org.hosts)),
    }
    return files | _write_ldap(out, world)


def _months(start: date, days: int) -> list[tuple[date, date]]:
    end = start + timedelta(days=days - 1)
    first = start.replace(day=1)
    months = []
    while first <= end:
        following = (first + timedelta(days=32)).replace(day=1)
        months.append((first, following - timedelta(days=1)))
        first = following
    return months


def _write_ldap(out: Path, world: World) -> dict[str, int]:
    """One snapshot per month: everyone employed at some point of that month."""
    people = world.org.people
    start = world.calendar.start
    files = {}
    for first, last in _months(start, world.calendar.days):
        lo, hi = (first - start).days, (last - start).days
        rows = [[p.name, p.user_id, p.email, p.role, p.projects, p.dept.business_unit,
                 p.dept.functional_unit, p.dept.name,
                 p.previous_team if p.previous_team and lo < p.move_day else p.team,
                 people[p.manager].name if p.manager is not None else ""]
                for p in people if p.hire_day <= hi and p.end_day >= lo]
        rel = f"LDAP/{first:%Y-%m}.csv"
        files[rel] = _write(out / rel, (
            "employee_name", "user_id", "email", "role", "projects", "business_unit",
            "functional_unit", "department", "team", "supervisor"), rows)
    return files
