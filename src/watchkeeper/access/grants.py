"""Grants in the store: what approved requests allow, in force from their approval until
they expire or are revoked.

- `GrantCache`: the grants in force that `decide` puts in the context, per principal,
  action and resource, kept between decisions (`changed()` after a grant is made or
  ended in this process; other processes' changes are seen within
  `GRANT_CACHE_SECONDS`).
- `revoke`: end one early (who, when, why; the row stays).
- `ended_unaudited`: grants that expired or were revoked and whose end the expiry job
  has not yet recorded in the audit log (it marks them).
- `hr_revoke`: revoke the grants of people HR shows left, or moved to another region
  than the one they had when the grant was approved.
- `grant_windows`: every grant as a window (principal, action, resource, start, end,
  revoked), for jobs that compare what people did with what they were allowed.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, bindparam, or_, select
from sqlalchemy.orm import Session

from watchkeeper.access.schema import Employee, GrantFacts
from watchkeeper.errors import ConflictError, NotFoundError
from watchkeeper.store.models import AccessGrant

GrantKey = tuple[str, str, str]


@dataclass(frozen=True)
class GrantInfo:
    """A grant as lists show it; `state` is ``active``, ``expired`` or ``revoked``
    at the time it was read."""

    id: int
    request_id: int
    principal: str
    action: str
    resource: str
    purpose: str
    ticket: str | None
    approvals: int
    needed: int
    starts_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    revoked_by: str | None
    revoke_reason: str | None
    state: str


@dataclass(frozen=True)
class GrantWindow:
    """When a grant allowed its action on its resource: `start` to `end` (the earlier of
    its expiry and its revocation; `revoked` says which)."""

    grant_id: int
    principal: str
    action: str
    resource: str
    purpose: str
    start: datetime
    end: datetime
    revoked: bool


def info(row: AccessGrant, now: datetime) -> GrantInfo:
    state = "revoked" if row.revoked_at is not None else \
        "expired" if row.expires_at <= now else "active"
    return GrantInfo(row.id, row.request_id, row.principal, row.action, row.resource,
                     row.purpose, row.ticket, row.approvals, row.needed, row.starts_at,
                     row.expires_at, row.revoked_at, row.revoked_by, row.revoke_reason,
                     state)


def _active(now: datetime) -> tuple[ColumnElement[bool], ...]:
    return (AccessGrant.revoked_at.is_(None), AccessGrant.starts_at <= now,
            AccessGrant.expires_at > now)


# -- grants in force, cached ---------------------------------------------------------------

GRANT_CACHE_SECONDS = 1.0
"""How long a process trusts the grants it read: a change made in this process (a grant
approved, revoked, revoked on HR's word) is seen by its next decision, one made by
another process (the CLI beside the service, another worker) within this long."""

_generation = 0
_generation_lock = threading.Lock()


def changed() -> None:
    """Say that a grant was made or ended in this process: every cache reloads. Call it
    once the change is committed (a reload before the commit would keep the old rows
    under the new generation)."""
    global _generation
    with _generation_lock:
        _generation += 1


_OPEN = (select(AccessGrant.id, AccessGrant.principal, AccessGrant.action,
                AccessGrant.resource, AccessGrant.purpose, AccessGrant.starts_at,
                AccessGrant.expires_at, AccessGrant.approvals, AccessGrant.needed)
         .where(AccessGrant.revoked_at.is_(None), AccessGrant.expires_at > bindparam("now")))


@dataclass(frozen=True)
class _Open:
    facts: GrantFacts
    starts: datetime
    expires: datetime


class GrantCache:
    """The grants not revoked and not expired when read, per principal, action and
    resource, for `decide`. Read again after `changed()`, after
    `GRANT_CACHE_SECONDS`, or for a decision before the time they were read at (a
    driven clock going back). Whether a grant is in force is still decided at each
    decision's own time (start and expiry), so expiry needs no reload."""

    def __init__(self, ttl: float = GRANT_CACHE_SECONDS) -> None:
        self.ttl = ttl
        self._lock = threading.Lock()
        self._state: tuple[int, float, datetime, dict[GrantKey, list[_Open]]] | None = None

    def in_force(self, load: Callable[[datetime], Iterable[Sequence[Any]]],
                 principals: Collection[str], now: datetime
                 ) -> dict[GrantKey, list[GrantFacts]]:
        """The grants in force at `now` for `principals`; `load(now)` runs `_OPEN`
        (rows as tuples) when the cache is stale."""
        table = self._table(load, now)
        out: dict[GrantKey, list[GrantFacts]] = {}
        wanted = set(principals)
        for key, found in table.items():
            if key[0] in wanted:
                live = [g.facts for g in found if g.starts <= now < g.expires]
                if live:
                    out[key] = live
        return out

    def fresh(self, now: datetime) -> bool:
        """Whether a decision at `now` would use what is cached without reading."""
        state = self._state
        return state is not None and state[0] == _generation and \
            time.monotonic() - state[1] < self.ttl and now >= state[2]

    def _table(self, load: Callable[[datetime], Iterable[Sequence[Any]]],
               now: datetime) -> dict[GrantKey, list[_Open]]:
        with self._lock:
            state = self._state
            if state is not None and self.fresh(now):
                return state[3]
            generation, read_at = _generation, time.monotonic()
            table: dict[GrantKey, list[_Open]] = defaultdict(list)
            for ident, principal, action, resource, purpose, starts, expires, approvals, \
                    needed in load(now):
                table[(principal, action, resource)].append(_Open(
                    GrantFacts(ident, purpose, int(expires.timestamp()), approvals, needed),
                    starts, expires))
            self._state = (generation, read_at, now, dict(table))
            return self._state[3]


def load_open(session: Session, now: datetime) -> list[tuple[object, ...]]:
    """What `GrantCache` keeps: every grant not revoked and not expired at `now`."""
    return [tuple(r) for r in session.connection().execute(_OPEN, {"now": now})]


def list_grants(session: Session, now: datetime, *, principal: str | None = None,
                ended: bool = False) -> tuple[GrantInfo, ...]:
    """Grants in force (`ended`: also expired and revoked ones), oldest first."""
    query = select(AccessGrant).order_by(AccessGrant.id)
    if principal is not None:
        query = query.where(AccessGrant.principal == principal)
    if not ended:
        query = query.where(*_active(now))
    return tuple(info(r, now) for r in session.scalars(query))


def revoke(session: Session, ident: int, by: str, reason: str,
           now: datetime) -> GrantInfo:
    """End a grant now; the row keeps who, when and why."""
    row = session.get(AccessGrant, ident, with_for_update=True)
    if row is None:
        raise NotFoundError(f"grant {ident}: no such grant (see `access grants --all`)")
    if row.revoked_at is not None:
        raise ConflictError(f"grant {ident}: revoked already "
                            f"({row.revoked_at.isoformat(timespec='seconds')} by "
                            f"{row.revoked_by})")
    if row.expires_at <= now:
        raise ConflictError(f"grant {ident}: expired already "
                            f"({row.expires_at.isoformat(timespec='seconds')})")
    row.revoked_at, row.revoked_by, row.revoke_reason = now, by, reason
    session.flush()
    return info(row, now)


def ended_unaudited(session: Session, now: datetime) -> tuple[GrantInfo, ...]:
    """Grants that ended (expired or revoked) by `now` and whose end is not yet in the
    audit log; marks them recorded (the caller audits them in the same transaction)."""
    rows = list(session.scalars(select(AccessGrant).where(
        AccessGrant.ended_audited.is_(False),
        or_(AccessGrant.expires_at <= now, AccessGrant.revoked_at.is_not(None)))
        .order_by(AccessGrant.id).with_for_update()))
    for row in rows:
        row.ended_audited = True
    session.flush()
    return tuple(info(r, now) for r in rows)


def hr_revoke(session: Session, employees: Mapping[str, Employee],
              now: datetime) -> tuple[GrantInfo, ...]:
    """Revoke grants in force whose principal HR shows as left, or in another region
    than at approval (`employees`: everyone as of today)."""
    rows = session.scalars(select(AccessGrant).where(*_active(now))
                           .order_by(AccessGrant.id).with_for_update())
    done = []
    for row in rows:
        person = employees.get(row.principal)
        why = _hr_reason(row, person)
        if why is None:
            continue
        row.revoked_at, row.revoked_by, row.revoke_reason = now, "hr", why
        done.append(row)
    session.flush()
    return tuple(info(r, now) for r in done)


def _hr_reason(row: AccessGrant, person: Employee | None) -> str | None:
    if person is None:
        return "HR: the person is no longer in the people history"
    if person.status == "left":
        return "HR: the person has left"
    if row.principal_region is not None and person.region != row.principal_region:
        return (f"HR: the person moved region ({row.principal_region} -> "
                f"{person.region or 'none'})")
    return None


def grant_windows(session: Session, since: datetime | None = None,
                  until: datetime | None = None) -> tuple[GrantWindow, ...]:
    """Every grant whose window overlaps `since` to `until` (None: open), oldest first:
    principal, action, resource, purpose, start, and end (expiry or revocation)."""
    query = select(AccessGrant).order_by(AccessGrant.starts_at, AccessGrant.id)
    if until is not None:
        query = query.where(AccessGrant.starts_at < until)
    out = []
    for row in session.scalars(query):
        end = min(row.expires_at, row.revoked_at) if row.revoked_at else row.expires_at
        if since is not None and end <= since:
            continue
        out.append(GrantWindow(row.id, row.principal, row.action, row.resource,
                               row.purpose, row.starts_at, end,
                               row.revoked_at is not None and row.revoked_at < row.expires_at))
    return tuple(out)
