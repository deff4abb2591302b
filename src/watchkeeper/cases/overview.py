"""What the dashboard's overview counts in the alert queue: alerts per day and severity,
and the open backlog, over the alerts a caller's scope sees (`roles.Scope`).

Both are aggregates over the ``alerts`` table read in one query each; the day is the
alert's event time in UTC. Open means not suppressed and in a status still waiting for
someone (``new``, ``in_progress``, ``unknown``, ``other``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from watchkeeper.cases.model import Severity
from watchkeeper.security.roles import Scope
from watchkeeper.store.models import Alert

OPEN_STATUSES = ("new", "in_progress", "unknown", "other")


@dataclass(frozen=True)
class DayCount:
    """Alerts of one severity whose event time falls on `day` (UTC)."""

    day: dt.date
    severity: int
    severity_name: str
    alerts: int


@dataclass(frozen=True)
class BacklogCount:
    """Open alerts of one severity: how many, and when the oldest happened."""

    severity: int
    severity_name: str
    alerts: int
    oldest: dt.datetime | None


@dataclass(frozen=True)
class QueueOverview:
    """Alerts per day and severity since `since`, and the open backlog by severity."""

    since: dt.date
    per_day: tuple[DayCount, ...]
    backlog: tuple[BacklogCount, ...]

    @property
    def open_alerts(self) -> int:
        return sum(b.alerts for b in self.backlog)


def severity_name(value: int) -> str:
    try:
        return Severity(value).name.lower()
    except ValueError:
        return str(value)


def queue_overview(session: Session, seen: Scope, since: dt.date) -> QueueOverview:
    """Per-day counts from `since` (UTC midnight) on, and the open backlog, in `seen`."""
    start = dt.datetime.combine(since, dt.time(), dt.UTC)
    day = func.date(Alert.event_time)   # both stores: date(ts); SQLite answers text
    rows = session.execute(
        select(day.label("day"), Alert.severity, func.count())
        .where(Alert.event_time >= start, seen.clause(Alert.region))
        .group_by(day, Alert.severity).order_by(day, Alert.severity))
    per_day = tuple(DayCount(_date(d), int(s), severity_name(int(s)), int(n))
                    for d, s, n in rows)
    backlog = session.execute(
        select(Alert.severity, func.count(), func.min(Alert.event_time))
        .where(Alert.status.in_(OPEN_STATUSES), Alert.suppressed_by.is_(None),
               seen.clause(Alert.region))
        .group_by(Alert.severity).order_by(Alert.severity.desc()))
    return QueueOverview(since, per_day, tuple(
        BacklogCount(int(s), severity_name(int(s)), int(n), oldest)
        for s, n, oldest in backlog))


def last_fired(session: Session, seen: Scope) -> dict[str, dt.datetime]:
    """Each rule's newest alert (event time) in `seen`, by rule name (one query)."""
    rows = session.execute(select(Alert.rule, func.max(Alert.event_time))
                           .where(Alert.rule.is_not(None), seen.clause(Alert.region))
                           .group_by(Alert.rule))
    return {str(rule): newest for rule, newest in rows}


def _date(value: dt.date | dt.datetime | str) -> dt.date:
    """SQLite answers date() as text; PostgreSQL as a date."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


__all__ = ["OPEN_STATUSES", "BacklogCount", "DayCount", "QueueOverview", "last_fired",
           "queue_overview", "severity_name"]
