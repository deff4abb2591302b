"""What the dashboard's overview counts in the alert queue: alerts per day and severity,
per source, and the open backlog with its age, over the alerts a caller's scope sees
(`roles.Scope`).

All read the rollup (`store.models.rollups`, kept by `cases.rollups` as alerts are
stored and change), not the alerts: a few hundred rows per period, whatever the queue
holds. The day is the alert's event time in UTC. Open means not suppressed and in a
status still waiting for someone (``new``, ``in_progress``, ``unknown``, ``other``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from watchkeeper.cases.model import Severity
from watchkeeper.cases.rollups import OPEN_STATUSES
from watchkeeper.security.roles import Scope
from watchkeeper.store.models import Alert, AlertRollup


@dataclass(frozen=True)
class DayCount:
    """Alerts of one severity whose event time falls on `day` (UTC)."""

    day: dt.date
    severity: int
    severity_name: str
    alerts: int


@dataclass(frozen=True)
class BacklogCount:
    """Open alerts of one severity: how many, and the day (UTC) the oldest happened."""

    severity: int
    severity_name: str
    alerts: int
    oldest: dt.date | None


@dataclass(frozen=True)
class SourceCount:
    """Alerts of one source and severity in the period."""

    source: str
    severity: int
    severity_name: str
    alerts: int


@dataclass(frozen=True)
class AgeCount:
    """Open alerts of one source whose event day is `age` old (`AGE_BUCKETS`)."""

    source: str
    age: str
    alerts: int


@dataclass(frozen=True)
class QueueOverview:
    """Alerts per day and severity since `since`, the open backlog by severity (with
    its oldest event day), alerts per source and severity, and the backlog's age."""

    since: dt.date
    per_day: tuple[DayCount, ...]
    backlog: tuple[BacklogCount, ...]
    per_source: tuple[SourceCount, ...] = ()
    ages: tuple[AgeCount, ...] = ()

    @property
    def open_alerts(self) -> int:
        return sum(b.alerts for b in self.backlog)


def severity_name(value: int) -> str:
    try:
        return Severity(value).name.lower()
    except ValueError:
        return str(value)


def queue_overview(session: Session, seen: Scope, since: dt.date,
                   today: dt.date | None = None) -> QueueOverview:
    """Per-day counts from `since` on, and the open backlog (its age as of `today`), in
    `seen`: read from the rollup (`cases.rollups`), never the alerts themselves."""
    region = func.nullif(AlertRollup.region, "")
    inside = seen.clause(region)
    rows = session.execute(
        select(AlertRollup.day, AlertRollup.severity, func.sum(AlertRollup.alerts))
        .where(AlertRollup.day >= since, inside)
        .group_by(AlertRollup.day, AlertRollup.severity)
        .having(func.sum(AlertRollup.alerts) > 0)
        .order_by(AlertRollup.day, AlertRollup.severity))
    per_day = tuple(DayCount(_date(d), int(s), severity_name(int(s)), int(n))
                    for d, s, n in rows)
    open_days = session.execute(
        select(AlertRollup.day, AlertRollup.severity, AlertRollup.source,
               func.sum(AlertRollup.open))
        .where(AlertRollup.open > 0, inside)
        .group_by(AlertRollup.day, AlertRollup.severity, AlertRollup.source))
    by_severity: dict[int, tuple[int, dt.date]] = {}
    ages: dict[tuple[str, str], int] = {}
    today = today or dt.datetime.now(dt.UTC).date()
    for d, s, source, n in open_days:
        day, count = _date(d), int(n)
        total, oldest = by_severity.get(int(s), (0, day))
        by_severity[int(s)] = (total + count, min(oldest, day))
        bucket = (source, age_bucket((today - day).days))
        ages[bucket] = ages.get(bucket, 0) + count
    backlog = tuple(BacklogCount(s, severity_name(s), n, oldest)
                    for s, (n, oldest) in sorted(by_severity.items(), reverse=True))
    sources = session.execute(
        select(AlertRollup.source, AlertRollup.severity, func.sum(AlertRollup.alerts))
        .where(AlertRollup.day >= since, inside)
        .group_by(AlertRollup.source, AlertRollup.severity)
        .having(func.sum(AlertRollup.alerts) > 0)
        .order_by(AlertRollup.source, AlertRollup.severity))
    per_source = tuple(SourceCount(str(src), int(s), severity_name(int(s)), int(n))
                       for src, s, n in sources)
    return QueueOverview(since, per_day, backlog, per_source, tuple(
        AgeCount(src, bucket, n) for (src, bucket), n in sorted(
            ages.items(), key=lambda kv: (kv[0][0], AGE_BUCKETS.index(kv[0][1])))))


AGE_BUCKETS = ("under 1 day", "1-7 days", "8-30 days", "over 30 days")


def age_bucket(days: int) -> str:
    """The backlog-age band of an open alert `days` old (by event day)."""
    if days < 1:
        return AGE_BUCKETS[0]
    if days <= 7:
        return AGE_BUCKETS[1]
    return AGE_BUCKETS[2] if days <= 30 else AGE_BUCKETS[3]


def last_fired(session: Session, seen: Scope) -> dict[str, dt.datetime]:
    """Each rule's newest alert (event time) in `seen`, by rule name.

    Probes instead of grouping every alert, in one statement: a recursive query steps
    through the rule names (the next name after the last: a seek each in the index on
    rule and event time), and per name reads its entries from the newest back until
    one is in `seen` (usually the first). About two short index reads per rule,
    whatever the number of alerts."""
    step = aliased(Alert)
    names = (select(func.min(Alert.rule).label("rule")).where(Alert.rule.is_not(None))
             .cte("rule_names", recursive=True))
    names = names.union_all(
        select(select(func.min(step.rule)).where(step.rule > names.c.rule)
               .scalar_subquery()).where(names.c.rule.is_not(None)))
    probe = aliased(Alert)
    newest = (select(probe.event_time)
              .where(probe.rule == names.c.rule, seen.clause(probe.region))
              .order_by(probe.event_time.desc()).limit(1).scalar_subquery())
    rows = session.execute(select(names.c.rule, newest).where(names.c.rule.is_not(None)))
    return {str(rule): when for rule, when in rows if when is not None}


def _date(value: dt.date | dt.datetime | str) -> dt.date:
    """SQLite answers date() as text; PostgreSQL as a date."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


__all__ = [
    "AGE_BUCKETS",
    "OPEN_STATUSES",
    "AgeCount",
    "BacklogCount",
    "DayCount",
    "QueueOverview",
    "SourceCount",
    "last_fired",
    "queue_overview",
    "severity_name",
]
