"""Suppressions: alerts matching one are stored, counted and listed, but marked
suppressed (``alerts.suppressed_by``) instead of waiting in the queue.

A suppression matches on one or more of `MATCH_FIELDS` (all must hold): ``rule`` (the
alert's rule name or rule id), ``subject`` (one of its people, by user id), ``host`` (one
of its hosts) and ``source``. It has a reason, an owner and an expiry; it applies to
alerts received before it expires, and lifting it ends it now. Alerts it marked stay
marked, so what happened remains countable.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import BindParameter, ColumnElement, bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from watchkeeper.cases.model import AlertIn
from watchkeeper.cases.rollups import Deltas, alert_rows, apply
from watchkeeper.errors import ConfigError, NotFoundError
from watchkeeper.store.models import Alert, Suppression

MATCHERS: dict[str, Callable[[AlertIn, str], bool]] = {
    "rule": lambda a, v: v in (a.rule, a.rule_id),
    "subject": lambda a, v: v in a.subjects,
    "host": lambda a, v: v.lower() in (h.lower() for h in a.hosts),
    "source": lambda a, v: a.source == v,
}
MATCH_FIELDS = tuple(MATCHERS)


@dataclass(frozen=True)
class SuppressionInfo:
    """A suppression, whether it is in force at `now`, and the alerts it marked."""

    id: int
    match: dict[str, str]
    reason: str
    owner: str
    created_at: datetime
    expires_at: datetime | None
    active: bool
    alerts: int


@dataclass(frozen=True)
class InForce:
    """A suppression in force, as intake matches alerts with it."""

    id: int
    match: Mapping[str, str]


def active_suppressions(session: Session, now: datetime) -> list[InForce]:
    """Suppressions in force at `now`, oldest first."""
    return [InForce(row.id, row.match)
            for row in session.connection().execute(_IN_FORCE, {"now": now})]


def first_match(suppressions: Sequence[InForce], alert: AlertIn) -> int | None:
    """The id of the first suppression `alert` matches."""
    return next((s.id for s in suppressions if matches(s.match, alert)), None)


def matches(match: Mapping[str, str], alert: AlertIn) -> bool:
    return bool(match) and all(name in MATCHERS and MATCHERS[name](alert, value)
                               for name, value in match.items())


def add_suppression(session: Session, match: Mapping[str, str | None], *, reason: str,
                    owner: str, expires_at: datetime, now: datetime) -> SuppressionInfo:
    """Make a suppression; it needs at least one match field, a reason, an owner and an
    expiry after `now`."""
    given = {k: v.strip() for k, v in match.items() if v is not None}
    unknown = [k for k in given if k not in MATCHERS]
    if unknown:
        raise ConfigError(f"suppression field {unknown[0]!r}: expected one of "
                          f"{', '.join(MATCH_FIELDS)}")
    empty = [k for k, v in given.items() if not v]
    if empty or not given:
        raise ConfigError(f"--{empty[0] if empty else 'rule'}: give what to suppress "
                          "(--rule, --subject, --host or --source, not empty)")
    for option, text in (("--reason", reason), ("--owner", owner)):
        if not text.strip():
            raise ConfigError(f"{option}: must not be empty")
    if len(owner.strip()) > 200:
        raise ConfigError("--owner: longer than 200 characters")
    if expires_at <= now:
        raise ConfigError(f"--expires: it would end {expires_at:%Y-%m-%d %H:%M} UTC, "
                          "already past")
    row = Suppression(match=given, reason=reason.strip(), owner=owner.strip(),
                      expires_at=expires_at, created_at=now)
    session.add(row)
    session.flush()
    return _info(session, row, now)


def list_suppressions(session: Session, now: datetime, *,
                      ended: bool = False) -> tuple[SuppressionInfo, ...]:
    """Suppressions in force (`ended`: also those expired or lifted), oldest first."""
    query = select(Suppression).order_by(Suppression.id)
    if not ended:
        query = query.where(_active(now))
    return tuple(_info(session, s, now) for s in session.scalars(query))


def lift_suppression(session: Session, ident: int, now: datetime) -> SuppressionInfo:
    """End a suppression now; the alerts it marked stay marked."""
    row = session.get(Suppression, ident, with_for_update=True)
    if row is None:
        raise NotFoundError(f"suppression {ident}: no such suppression "
                            "(see `alerts suppressions --all`)")
    if row.expires_at is not None and row.expires_at <= now:
        raise ConfigError(f"suppression {ident}: ended already "
                          f"({row.expires_at.isoformat(timespec='seconds')})")
    row.expires_at = now
    session.flush()
    return _info(session, row, now)


def mark_alerts(session: Session, ident: int, alert_ids: Sequence[int]) -> int:
    """Mark stored alerts suppressed by suppression `ident` (the dashboard's bulk
    suppress: the alerts chosen, not only those received later); an alert marked
    already keeps its first suppression. Returns how many were marked."""
    if not alert_ids:
        return 0
    deltas = Deltas()
    wanted = sorted(set(alert_ids))
    session.flush()
    for row in alert_rows(session, wanted):
        if row.suppressed_by is None:   # what the update below changes
            deltas.alert(row, -1)
            deltas.alert(row, suppressed_by=ident)
    done = session.execute(update(Alert).where(Alert.id.in_(wanted),
                                               Alert.suppressed_by.is_(None))
                           .values(suppressed_by=ident))
    apply(session, deltas)   # the rollup's counts, in the same transaction
    session.flush()
    return int(getattr(done, "rowcount", 0))


def _active(now: datetime | BindParameter[datetime]) -> ColumnElement[bool]:
    return or_(Suppression.expires_at.is_(None), Suppression.expires_at > now)


# built once: intake asks for it with every batch (building a select costs more than
# running it on SQLite)
_IN_FORCE = (select(Suppression.id, Suppression.match).where(_active(bindparam("now")))
             .order_by(Suppression.id))


def _info(session: Session, row: Suppression, now: datetime) -> SuppressionInfo:
    marked = session.scalar(select(func.count(Alert.id)).where(Alert.suppressed_by == row.id))
    active = row.expires_at is None or row.expires_at > now
    return SuppressionInfo(row.id, dict(row.match), row.reason, row.owner, row.created_at,
                           row.expires_at, active, int(marked or 0))
