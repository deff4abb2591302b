"""Legal holds in the store: whose lake rows, over which days, retention must keep.

A hold names a person (their user id, as the lake's events carry it), the first day it
covers and the last (inclusive; none: until released), why, who placed it and, when a
case sets it, the case (`case_scope`: a case's people, from the day of its first
alert). Releasing a hold keeps the row (who, when); a purge after that may
remove the data. A purge reads the holds standing at its start (`standing`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from watchkeeper.errors import ConflictError, NotFoundError, RetentionError
from watchkeeper.store.models import LegalHold

PERSON = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,199}")
MAX_REASON = 1000


@dataclass(frozen=True)
class Hold:
    """One legal hold as lists show it; `active`: not released."""

    id: int
    person: str
    since: dt.date
    until: dt.date | None
    reason: str
    case_ref: str | None
    placed_by: str
    created_at: dt.datetime
    released_at: dt.datetime | None
    released_by: str | None

    @property
    def active(self) -> bool:
        return self.released_at is None

    def covers(self, person: str, day: dt.date) -> bool:
        return (self.active and person == self.person and self.since <= day
                and (self.until is None or day <= self.until))


@dataclass(frozen=True)
class HoldNew:
    """A hold to place; `until` None: until released."""

    person: str
    since: dt.date
    reason: str
    until: dt.date | None = None
    case_ref: str | None = None


def _info(row: LegalHold) -> Hold:
    return Hold(row.id, row.person, row.since, row.until, row.reason, row.case_ref,
                row.placed_by, row.created_at, row.released_at, row.released_by)


def place(session: Session, new: HoldNew, placed_by: str, *, now: dt.datetime) -> Hold:
    """Store one hold after checking every field (one line naming the one at fault)."""
    person = new.person.strip()
    if not PERSON.fullmatch(person):
        raise RetentionError("person", f"{new.person!r}: a user id (letters, digits, "
                             "'.', '_', '@' or '-', at most 200)")
    reason = " ".join(new.reason.split())
    if not reason or len(reason) > MAX_REASON:
        raise RetentionError("reason", f"1 to {MAX_REASON} characters, not {len(reason)}")
    if new.until is not None and new.until < new.since:
        raise RetentionError("until", f"{new.until} is before since {new.since}")
    if new.case_ref is not None and not 0 < len(new.case_ref.strip()) <= 200:
        raise RetentionError("case", "1 to 200 characters")
    if not placed_by.strip():
        raise RetentionError("placed_by", "must not be empty")
    row = LegalHold(person=person, since=new.since, until=new.until, reason=reason,
                    case_ref=new.case_ref.strip() if new.case_ref else None,
                    placed_by=placed_by.strip(), created_at=now)
    session.add(row)
    session.flush()
    return _info(row)


def release(session: Session, ident: int, released_by: str, *, now: dt.datetime) -> Hold:
    """Release a hold: later purges may remove what it kept. The row stays."""
    row = session.get(LegalHold, ident, with_for_update=True)
    if row is None:
        raise NotFoundError(f"hold {ident}: no such hold (see `holds list --all`)")
    if row.released_at is not None:
        raise ConflictError(f"hold {ident}: released already "
                            f"({row.released_at.isoformat(timespec='seconds')} by "
                            f"{row.released_by})")
    row.released_at, row.released_by = now, released_by
    session.flush()
    return _info(row)


def listing(session: Session, *, person: str | None = None,
            released: bool = False) -> list[Hold]:
    """Holds by id; released ones too when `released`."""
    query = select(LegalHold).order_by(LegalHold.id)
    if person is not None:
        query = query.where(LegalHold.person == person)
    if not released:
        query = query.where(LegalHold.released_at.is_(None))
    return [_info(r) for r in session.scalars(query)]


def case_scope(people: Sequence[str], times: Sequence[dt.datetime],
               opened: dt.datetime) -> tuple[tuple[str, ...], dt.date]:
    """Whom a hold from a case covers and from which day: the case's people (linked, or
    subjects of its alerts) from the day of its earliest alert (first seen, else its
    event time), else the day the case was opened. A case about nobody is an error."""
    who = tuple(sorted({p.strip() for p in people if p.strip()}))
    if not who:
        raise RetentionError("case", "the case names no person (link one, or attach an "
                             "alert about one, first)")
    return who, (min(times) if times else opened).date()


def standing(session: Session) -> list[Hold]:
    """The holds a purge must respect: every one not released."""
    return listing(session)


__all__ = ["Hold", "HoldNew", "case_scope", "listing", "place", "release", "standing"]
