"""Watchlists in the store: who put a person on which list, why, from and until when.

An entry has a list name (lower-case words such as ``insider-watch`` or HR's
``performance-improvement-plan``: the name picks its risk factor), an origin (``analyst``,
or ``hr`` for a list imported from an HR system outside the lake; HR's lists in the
lake's people history are read from there), who added it and why, the first day it
counts (default: today) and the last (default: `watchlist_days` after today, or after
the first day when that is later). Removing an
entry withdraws it: the row stays (who removed it, when) but risk counts it on no day.
A person is on one list once at a time: adding an entry that overlaps a standing one of
the same list is refused.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from watchkeeper.errors import ConflictError, FeedbackError, NotFoundError
from watchkeeper.risk.feedback import ANALYST, ORIGINS, Watch
from watchkeeper.store.models import WatchlistEntry

NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,99}")
MAX_REASON = 1000


@dataclass(frozen=True)
class WatchlistInfo:
    """A watchlist entry as lists show it. `id` None: one of HR's lists in the lake's
    people history (not removable here); `active`: counts on `today`'s date."""

    id: int | None
    person: str
    watchlist: str
    origin: str
    added_by: str
    reason: str
    since: dt.date
    until: dt.date | None
    created_at: dt.datetime | None
    removed_at: dt.datetime | None
    removed_by: str | None
    active: bool


@dataclass(frozen=True)
class WatchlistNew:
    """An entry to add; `since` None: today; `until` None: `watchlist_days` after today
    (or after `since`, when later)."""

    person: str
    reason: str
    watchlist: str = "insider-watch"
    origin: str = ANALYST
    since: dt.date | None = None
    until: dt.date | None = None


def add_entry(session: Session, new: WatchlistNew, added_by: str, *, now: dt.datetime,
              default_days: int) -> WatchlistInfo:
    """Store one entry after checking every field (one line naming the one at fault)."""
    name = new.watchlist.strip().lower()
    if not NAME.fullmatch(name):
        raise FeedbackError("watchlist", f"{new.watchlist!r}: lower-case letters, digits, "
                            "'.', '_' or '-', at most 100 (e.g. insider-watch)")
    if new.origin not in ORIGINS:
        raise FeedbackError("origin", f"{new.origin!r}: expected one of {', '.join(ORIGINS)}")
    reason = " ".join(new.reason.split())
    if not reason or len(reason) > MAX_REASON:
        raise FeedbackError("reason", f"1 to {MAX_REASON} characters, not {len(reason)}")
    if not added_by.strip():
        raise FeedbackError("added_by", "must not be empty")
    today = now.date()
    since = new.since or today
    until = new.until or max(since, today) + dt.timedelta(days=default_days)
    if until < since:
        raise FeedbackError("until", f"{until} is before since {since}")
    if until < today:
        raise FeedbackError("until", f"{until} is already past (today is {today} UTC)")
    clash = _standing(session, new.person, name, since, until)
    if clash is not None:
        raise ConflictError(f"{new.person} is on {name} already from {clash.since} to "
                            f"{clash.until or 'removal'} (entry {clash.id}; remove it first)")
    row = WatchlistEntry(person=new.person, watchlist=name, origin=new.origin,
                         added_by=added_by.strip(), reason=reason, since=since,
                         until=until, created_at=now)
    session.add(row)
    session.flush()
    return info(row, today)


def _standing(session: Session, person: str, name: str, since: dt.date,
              until: dt.date) -> WatchlistEntry | None:
    return session.scalars(select(WatchlistEntry).where(
        WatchlistEntry.person == person, WatchlistEntry.watchlist == name,
        WatchlistEntry.removed_at.is_(None), WatchlistEntry.since <= until,
        or_(WatchlistEntry.until.is_(None), WatchlistEntry.until >= since))).first()


def remove_entry(session: Session, ident: int, removed_by: str, *,
                 now: dt.datetime) -> WatchlistInfo:
    """Withdraw an entry (it then counts on no day); the row keeps who and when."""
    row = session.get(WatchlistEntry, ident, with_for_update=True)
    if row is None:
        raise NotFoundError(f"watchlist entry {ident}: no such entry (see `watchlist list "
                            "--all`)")
    if row.removed_at is not None:
        raise ConflictError(f"watchlist entry {ident}: removed already "
                          f"({row.removed_at.isoformat(timespec='seconds')} by "
                          f"{row.removed_by})")
    row.removed_at, row.removed_by = now, removed_by
    session.flush()
    return info(row, now.date())


def list_entries(session: Session, *, today: dt.date, person: str | None = None,
                 ended: bool = False) -> tuple[WatchlistInfo, ...]:
    """Entries in force or still to come (`ended`: also expired and removed ones)."""
    query = select(WatchlistEntry).order_by(WatchlistEntry.id)
    if person is not None:
        query = query.where(WatchlistEntry.person == person)
    if not ended:
        query = query.where(WatchlistEntry.removed_at.is_(None),
                            or_(WatchlistEntry.until.is_(None), WatchlistEntry.until >= today))
    return tuple(info(r, today) for r in session.scalars(query))


def watches(session: Session) -> tuple[Watch, ...]:
    """Every entry not removed, as risk scoring reads them."""
    rows = session.scalars(select(WatchlistEntry).where(WatchlistEntry.removed_at.is_(None))
                           .order_by(WatchlistEntry.id))
    return tuple(Watch(r.person, r.watchlist, r.origin, r.since, r.until, r.added_by,
                       r.reason) for r in rows)


def info(row: WatchlistEntry, today: dt.date) -> WatchlistInfo:
    active = row.removed_at is None and row.since <= today and \
        (row.until is None or today <= row.until)
    return WatchlistInfo(row.id, row.person, row.watchlist, row.origin, row.added_by,
                         row.reason, row.since, row.until, row.created_at, row.removed_at,
                         row.removed_by, active)


def from_watch(w: Watch, today: dt.date) -> WatchlistInfo:
    """One of HR's lists from the people history, shown like a stored entry."""
    return WatchlistInfo(None, w.user, w.watchlist, w.origin, w.added_by or "HR",
                         w.reason or "people history", w.since, w.until, None, None, None,
                         w.covers(today))
