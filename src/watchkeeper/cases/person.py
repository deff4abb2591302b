"""What HR knew about a case's person on the day of its alerts, from the people history.

The history row valid on the day is used (``valid_from`` <= day < ``valid_to``), so a
notice recorded later does not show; as a second guard (like the risk modifiers) a notice
date after the day is left out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from watchkeeper.lake import Lake


@dataclass(frozen=True)
class PersonContext:
    """A person as the people history described them on `as_of`."""

    user: str
    as_of: dt.date
    name: str | None = None
    role: str | None = None
    department: str | None = None
    team: str | None = None
    manager: str | None = None
    region: str | None = None
    employment_start: dt.date | None = None
    notice_date: dt.date | None = None
    end_date: dt.date | None = None  # last working day
    watchlists: tuple[str, ...] = ()


def person_context(lake: Lake, user: str, day: dt.date) -> PersonContext | None:
    """`user` as of `day`, or None when the history has no row for them on that day."""
    people = lake.table("people")
    rows = people.filter(people.user == user, people.valid_from <= day,
                         people.valid_to.isnull() | (people.valid_to > day))
    found = rows.order_by("valid_from").to_pyarrow().to_pylist()
    return _context(found[-1], day) if found else None


@dataclass(frozen=True)
class PersonRecord:
    """Who a person is now, by the newest row of the people history (a reveal)."""

    user: str
    name: str | None
    email: str | None
    region: str | None


def newest_record(lake: Lake, user: str) -> PersonRecord | None:
    """`user`'s newest people-history row, or None when the history has none."""
    people = lake.table("people")
    rows = (people.filter(people.user == user).order_by(people.valid_from.desc())
            .limit(1).select("user", "name", "email", "region").to_pyarrow().to_pylist())
    return PersonRecord(**rows[0]) if rows else None


def _context(row: dict[str, Any], day: dt.date) -> PersonContext:
    notice = row.get("notice_date")
    return PersonContext(
        user=row["user"], as_of=day, name=row.get("name"), role=row.get("role"),
        department=row.get("department"), team=row.get("team"), manager=row.get("manager"),
        region=row.get("region"), employment_start=row.get("employment_start"),
        notice_date=notice if notice is not None and notice <= day else None,
        end_date=row.get("end_date"), watchlists=tuple(row.get("watchlists") or ()))


__all__ = ["PersonContext", "PersonRecord", "newest_record", "person_context"]
