"""Alert volumes and detection times of a period, for `ops.metrics`.

Every team (the usual question): the period's whole UTC days are read from the metrics
rollups (`cases.metricsrollup`, kept by the writers of alerts), a few thousand rows
however many alerts arrived; the part of a day at either end (a period that starts or
ends inside a day: an open end at `now`) from the alerts received in it. Counts are
exact; the median and 90th percentile of the detection times come from the rollup's
histogram (exact times of the partial days are put in its buckets too), within a bucket
or two of the exact value: less than 2.2% off, at worst 4.4%
(`cases.metricsrollup`). One team: its alerts (those in its cases) are few and found
by their case; counted and ranked exactly from the alerts.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import UnaryExpression
from sqlalchemy.sql.operators import custom_op

from watchkeeper.cases import metricsrollup
from watchkeeper.cases.metricsrollup import bucket
from watchkeeper.ops.quantiles import QUANTILES, Spread, of_values, seconds
from watchkeeper.ops.verdicts import NO_RULE
from watchkeeper.security.roles import Scope
from watchkeeper.store.models import Alert, Case, DetectRollup, MetricsRollup, Team

NONE = "(none)"
ORIGIN = func.coalesce(Alert.first_seen, Alert.event_time)   # an alert's first event
Counts = tuple[int, int, int, int]   # alerts, suppressed, in a case now, detect known


@dataclass(frozen=True)
class Volume:
    """Alerts of one group: received, suppressed, and in a case now."""

    key: str
    alerts: int
    suppressed: int
    in_cases: int


@dataclass(frozen=True)
class Volumes:
    rules: tuple[Volume, ...]
    sources: tuple[Volume, ...]
    severities: tuple[Volume, ...]
    teams: tuple[Volume, ...]
    regions: tuple[Volume, ...]


class _Sums:
    """Counts per rule, source, severity and region, and in all."""

    def __init__(self) -> None:
        self.facets: dict[str, dict[str, list[int]]] = {
            f: defaultdict(lambda: [0, 0, 0]) for f in ("rule", "source", "severity",
                                                      "region")}
        self.total = [0, 0, 0]
        self.timed = 0

    def add(self, facet: str, key: str, counts: tuple[int, int, int]) -> None:
        t = self.facets[facet][key]
        for k in range(3):
            t[k] += counts[k]

    def alerts(self, rule: str, source: str, severity: int, region: str | None,
               counts: tuple[int, int, int], timed: int) -> None:
        """A group of alerts alike in all four."""
        from watchkeeper.ops.compliance import _severity
        self.add("rule", rule or NO_RULE, counts)
        self.add("source", source, counts)
        self.add("severity", _severity(severity), counts)
        self.add("region", (region or "").strip().lower() or NONE, counts)
        for k in range(3):
            self.total[k] += counts[k]
        self.timed += timed


def whole_days(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """The first and last midnight (UTC) within [start, end]; first >= last: no whole
    day."""
    first = datetime.combine(start.astimezone(UTC).date(), time(), UTC)
    if first < start:
        first += timedelta(days=1)
    last = datetime.combine(end.astimezone(UTC).date(), time(), UTC)
    return first, last


def from_rollups(session: Session, span: Span) -> tuple[Volumes, Counts, Spread]:
    """Volumes, totals and the detection times' spread of every alert of `span` (of
    every team)."""
    start, end, scope, dialect = span.start, span.end, span.scope, span.dialect
    sums = _Sums()
    histogram: dict[int, int] = defaultdict(int)
    first, last = whole_days(start, end)
    edges = [(start, end)] if first >= last else [(start, first), (last, end)]
    if first < last:
        _read_rollups(session, first, last, scope, sums, histogram)
    took: list[float] = []
    for since, until in edges:
        if since < until:
            took.extend(_read_alerts(session, since, until, scope, dialect, sums))
    if first >= last:   # no whole day: the times themselves
        spread = of_values(took)
    else:
        for value in took:
            histogram[bucket(value)] += 1
        counted = {b: n for b, n in histogram.items() if n}
        middle, p90 = (metricsrollup.quantile(counted, q) for q in QUANTILES)
        spread = Spread(sum(counted.values()), _ms(middle), _ms(p90))
    return (_volumes(sums, team_split(session, span, sums.total)),
            (sums.total[0], sums.total[1], sums.total[2], sums.timed), spread)


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _read_rollups(session: Session, first: datetime, last: datetime, scope: Scope,
                  sums: _Sums, histogram: dict[int, int]) -> None:
    r, d = MetricsRollup, DetectRollup
    rows = session.execute(
        select(r.facet, r.key, r.region, func.sum(r.alerts), func.sum(r.suppressed),
               func.sum(r.in_cases), func.sum(r.timed))
        .where(r.day >= first.date(), r.day < last.date(),
               scope.clause(func.nullif(r.region, "")))
        .group_by(r.facet, r.key, r.region))
    for facet, key, region, n, m, c, t in rows:
        counts = (int(n), int(m), int(c))
        if facet == "rule":
            sums.add("rule", key or NO_RULE, counts)
        elif facet == "severity":
            from watchkeeper.ops.compliance import _severity
            sums.add("severity", _severity(int(key)), counts)
        elif facet == "source":
            sums.add("source", key, counts)
            sums.add("region", region.strip().lower() or NONE, counts)
            for k in range(3):
                sums.total[k] += counts[k]
            sums.timed += int(t)
    for index, n in session.execute(
            select(d.bucket, func.sum(d.alerts))
            .where(d.day >= first.date(), d.day < last.date(),
                   scope.clause(func.nullif(d.region, "")))
            .group_by(d.bucket)):
        histogram[int(index)] += int(n)


def _read_alerts(session: Session, since: datetime, until: datetime, scope: Scope,
                 dialect: str, sums: _Sums) -> list[float]:
    """Count the alerts received in [since, until) (part of a day) from the alerts;
    their known detection times."""
    period = (Alert.received_at >= since, Alert.received_at < until,
              scope.clause(Alert.region))
    known = func.count().filter(Alert.received_at > ORIGIN)
    rows = session.execute(
        select(Alert.rule_id, Alert.rule, Alert.source, Alert.severity, Alert.region,
               func.count(), func.count(Alert.suppressed_by), func.count(Alert.case_id),
               known).where(*period)
        .group_by(Alert.rule_id, Alert.rule, Alert.source, Alert.severity, Alert.region))
    for rule_id, rule, source, severity, region, n, m, c, t in rows:
        sums.alerts(metricsrollup.rule_key(rule_id, rule), source, int(severity), region,
                    (int(n), int(m), int(c)), int(t))
    took = seconds(dialect, Alert.received_at, ORIGIN)
    return [max(0.0, float(v)) for v in session.scalars(
        select(took).where(*period, Alert.received_at > ORIGIN))]


def from_alerts(session: Session, alerts: Select[Any],
                span: Span) -> tuple[Volumes, Counts]:
    """Volumes and totals of the alerts `alerts` selects (one column, replaced here; the
    alerts of `span`), counted from the alerts: one grouped pass on their raw
    columns."""
    sums = _Sums()
    known = func.count().filter(Alert.received_at > ORIGIN)
    rows = session.execute(alerts.with_only_columns(
        Alert.rule_id, Alert.rule, Alert.source, Alert.severity, Alert.region, func.count(),
        func.count(Alert.suppressed_by), func.count(Alert.case_id), known)
        .group_by(Alert.rule_id, Alert.rule, Alert.source, Alert.severity, Alert.region))
    for rule_id, rule, source, severity, region, n, m, c, t in rows:
        sums.alerts(metricsrollup.rule_key(rule_id, rule), source, int(severity), region,
                    (int(n), int(m), int(c)), int(t))
    return _volumes(sums, team_split(session, span, sums.total)), \
        (sums.total[0], sums.total[1], sums.total[2], sums.timed)


@dataclass(frozen=True)
class Span:
    """The alerts counted: received in [start, end), seen by `scope`, of one team's
    cases (`team_id`) or all."""

    start: datetime
    end: datetime
    scope: Scope
    team_id: int | None
    dialect: str


def team_split(session: Session, span: Span,
               total: list[int] | tuple[int, ...]) -> tuple[Volume, ...]:
    """Alerts per team owning their case now, the rest under ``(none)``: the cases with a
    team, then their alerts by `case_id` (``ix_alerts_backlog`` leads with it and
    carries the rest). On SQLite the period is written ``+received_at``, which keeps
    the planner from walking the period's million entries of ``ix_alerts_metrics``
    instead (0.17 s of CPU against 0.004 s at 1,000,000 alerts)."""
    received: Any = Alert.received_at
    if span.dialect == "sqlite":
        received = UnaryExpression(Alert.received_at.expression, operator=custom_op("+"),
                                   type_=Alert.received_at.type)
    query = (select(Case.team_id, func.count(), func.count(Alert.suppressed_by))
             .select_from(Alert).join(Case, Case.id == Alert.case_id)
             .where(received >= span.start, received < span.end,
                    span.scope.clause(Alert.region), Alert.case_id.is_not(None),
                    Case.team_id.is_not(None)))
    if span.team_id is not None:
        query = query.where(Case.team_id == span.team_id)
    names: dict[int, str] = {i: n for i, n in session.execute(select(Team.id, Team.name))}
    teams: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for team_id, n, m in session.execute(query.group_by(Case.team_id)):
        t = teams[names.get(team_id or 0, NONE)]
        t[0] += int(n)
        t[1] += int(m)
        t[2] += int(n)
    rest = [total[k] - sum(t[k] for t in teams.values()) for k in range(3)]
    if rest[0]:
        t = teams[NONE]
        for k in range(3):
            t[k] += rest[k]
    return _roll(teams)


def _roll(sums: dict[str, list[int]]) -> tuple[Volume, ...]:
    return tuple(sorted((Volume(k, *v) for k, v in sums.items()),
                        key=lambda v: (-v.alerts, v.key)))


def _volumes(sums: _Sums, teams: tuple[Volume, ...]) -> Volumes:
    f = sums.facets
    return Volumes(_roll(f["rule"]), _roll(f["source"]), _roll(f["severity"]), teams,
                   _roll(f["region"]))


__all__ = ["Counts", "Span", "Volume", "Volumes", "from_alerts", "from_rollups", "team_split",
           "whole_days"]
