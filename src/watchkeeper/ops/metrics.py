"""Operations metrics of one period (docs/operations.md, "Metrics"): how fast alerts are
detected, acknowledged and resolved, SLA compliance, volumes, the backlog, hand-off
acknowledgement and how many alerts become cases.

Clocks (each a median and 90th percentile, exact by `watchkeeper.ops.quantiles`, but
detect for every team: whole days from the rollups' histogram, `watchkeeper.ops.volumes`,
within 2.2% of the exact value):

- detect, per alert received in the period: from the earliest event behind it
  (``first_seen``: a detection's window start, the first risk event of a risk alert, the
  first-seen time a vendor sends; else the event time it carries) to its arrival
  (``received_at``). *Unknown* when that time is not before the arrival: a vendor alert
  that carried no event time of its own (dated on receipt) or a sender's clock ahead.
- acknowledge, per case created in the period: from the arrival of its first alert (its
  creation, for a case without alerts or opened before them) to its acknowledgement
  (``sla ack``) or, if it was never acknowledged, its first resolution. *Open*: neither.
- resolve, per case created in the period: from the same start to its last resolution,
  for a case resolved or closed now. *Open*: a case still open.
- hand-off acknowledgement, per hand-off at a shift end in the period: from the shift end
  to its acknowledgement; in time when by its due time. *Open*: not acknowledged.

Everything counts what `scope` sees: alerts in its regions, cases whose alerts it covers.
A team narrows alerts to those in its cases, cases to those it owns now, hand-offs to
those it received, and SLA compliance to its row of `watchkeeper.ops.compliance`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, exists, func, literal, or_, select, text
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement

from watchkeeper.cases.workflow import OPEN, Status
from watchkeeper.ops import compliance
from watchkeeper.ops import volumes as volumes_of
from watchkeeper.ops.compliance import ComplianceRow
from watchkeeper.ops.quantiles import Spread, ranked, seconds, spread
from watchkeeper.ops.volumes import ORIGIN, Volume, Volumes
from watchkeeper.security.roles import Scope
from watchkeeper.store.models import Alert, Case, CaseEvent, CaseSla, Handoff, Team
from watchkeeper.store.types import UtcDateTime

OPEN_WORDS = tuple(s.value for s in OPEN)
SETTLED = (Status.RESOLVED.value, Status.CLOSED.value)
UNTRIAGED = ("new", "in_progress")   # alert statuses still to be worked
WORK_MEM = "128MB"   # PostgreSQL, per sort or hash of the metrics query


@dataclass(frozen=True)
class ClockStats:
    """One clock: how many measured, how many not (`unknown`: detect without an event
    time; `open`: not stopped yet), the median and 90th percentile in seconds."""

    measured: int
    unmeasured: int
    median_seconds: float | None
    p90_seconds: float | None


@dataclass(frozen=True)
class Backlog:
    """What is still to be worked at `at`: open cases and untriaged alerts (not in a case,
    not suppressed, new or in progress), how many and how old (seconds)."""

    open_cases: int
    case_median_age_seconds: float | None
    case_oldest_age_seconds: float | None
    untriaged_alerts: int
    alert_oldest_age_seconds: float | None


@dataclass(frozen=True)
class HandoffStats:
    handoffs: int
    acknowledged: int
    in_time: int
    late: int          # acknowledged after their due time
    flagged: int       # not acknowledged by the due time (flagged by the scheduler)
    open: int          # not acknowledged yet
    acknowledge: ClockStats


@dataclass(frozen=True)
class Conversion:
    """Alerts received in the period and not suppressed, how many are in a case now,
    their share, and the cases created in the period from alerts."""

    alerts: int
    in_cases: int
    rate: float | None
    cases_from_alerts: int


@dataclass(frozen=True)
class Metrics:
    period: str
    start: datetime
    end: datetime
    at: datetime
    team: str | None
    alerts: int
    cases: int
    detect: ClockStats
    acknowledge: ClockStats
    resolve: ClockStats
    sla: ComplianceRow
    sla_cases: int
    volumes: Volumes
    backlog: Backlog
    handoffs: HandoffStats
    conversion: Conversion


@dataclass(frozen=True)
class Window:
    """What to measure: [start, end) as of `at`, what `scope` sees, one team or all."""

    period: str
    start: datetime
    end: datetime
    at: datetime
    scope: Scope
    team: str | None = None


def metrics(session: Session, w: Window) -> Metrics:
    """Every metric of `w` (see the module text)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        _postgres_settings(session)
    team_id = _team_id(session, w.team)
    alerts = _alerts(w, team_id)
    span = volumes_of.Span(w.start, w.end, w.scope, team_id, dialect)
    if team_id is None:   # whole days from the rollups (`ops.volumes`)
        volumes, (total, suppressed, in_cases, _), known = volumes_of.from_rollups(
            session, span)
    else:
        volumes, (total, suppressed, in_cases, timed) = volumes_of.from_alerts(
            session, alerts, span)
        detect_s = seconds(dialect, Alert.received_at, ORIGIN)
        known = ranked(session, alerts.where(detect_s >= 0, Alert.received_at > ORIGIN),
                       detect_s, timed)
    detect = ClockStats(known.count, total - known.count, known.median, known.p90)
    acknowledge, resolve, ncases = _case_clocks(session, w, team_id, dialect)
    sla_row, sla_cases = _sla(session, w)
    live = total - suppressed
    from_alerts = session.scalar(_cases(w, team_id).with_only_columns(func.count()).where(
        exists().where(Alert.case_id == Case.id))) or 0
    return Metrics(
        w.period, w.start, w.end, w.at, w.team, total, ncases, detect, acknowledge, resolve,
        sla_row, sla_cases, volumes, _backlog(session, w, team_id, dialect),
        _handoffs(session, w, team_id, dialect),
        Conversion(live, in_cases, in_cases / live if live else None, int(from_alerts)))


def _postgres_settings(session: Session) -> None:
    """For this transaction only: room to group a month of alerts in a hash table and
    sort its detection times in memory (the default 4 MB spills both to disk: 4.5 s
    instead of 1.6 s at 1,000,000 alerts), and no JIT compilation (0.2 s a query)."""
    session.execute(text(f"SET LOCAL work_mem = '{WORK_MEM}'"))
    session.execute(text("SET LOCAL jit = off"))


# -- alerts -----------------------------------------------------------------------------------

def _team_id(session: Session, team: str | None) -> int | None:
    if team is None:
        return None
    from watchkeeper.errors import NotFoundError
    found = session.scalar(select(Team.id).where(Team.name == team))
    if found is None:
        raise NotFoundError(f"no team named {team!r}")
    return found


def _alerts(w: Window, team_id: int | None) -> Select[Any]:
    """The alerts of the window (one column, replaced by the caller)."""
    query = select(Alert.id).where(Alert.received_at >= w.start, Alert.received_at < w.end,
                                   w.scope.clause(Alert.region))
    if team_id is not None:
        query = query.where(Alert.case_id.in_(select(Case.id).where(Case.team_id == team_id)))
    return query


# -- cases ------------------------------------------------------------------------------------

def _visible(scope: Scope) -> ColumnElement[bool]:
    inner = aliased(Alert)
    return scope.covers_clause(inner.region, inner.case_id == Case.id)


def _cases(w: Window, team_id: int | None) -> Select[Any]:
    query = select(Case.id).where(Case.created_at >= w.start, Case.created_at < w.end)
    if not w.scope.all_regions:
        query = query.where(_visible(w.scope))
    if team_id is not None:
        query = query.where(Case.team_id == team_id)
    return query


def _case_clocks(session: Session, w: Window, team_id: int | None,
                 dialect: str) -> tuple[ClockStats, ClockStats, int]:
    status_word = CaseEvent.after["status"].as_string()
    settled = (select(CaseEvent.case_id, func.min(CaseEvent.at).label("first"),
                      func.max(CaseEvent.at).label("last"))
               .where(CaseEvent.action == "case.status", status_word == Status.RESOLVED.value)
               .group_by(CaseEvent.case_id).subquery())
    first_alert = (select(Alert.case_id, func.min(Alert.received_at).label("at"))
                   .where(Alert.case_id.is_not(None)).group_by(Alert.case_id).subquery())
    start = func.coalesce(func.min(first_alert.c.at, Case.created_at), Case.created_at) \
        if dialect == "sqlite" else func.least(first_alert.c.at, Case.created_at)
    acked = func.coalesce(CaseSla.acknowledged_at, settled.c.first)
    base = (_cases(w, team_id)
            .outerjoin(CaseSla, CaseSla.case_id == Case.id)
            .outerjoin(settled, settled.c.case_id == Case.id)
            .outerjoin(first_alert, first_alert.c.case_id == Case.id))
    cases = session.scalar(_cases(w, team_id).with_only_columns(func.count())) or 0
    ack = spread(session, base.with_only_columns(seconds(dialect, acked, start))
                 .where(acked.is_not(None), acked <= w.at))
    resolve = spread(session, base.with_only_columns(seconds(dialect, settled.c.last, start))
                     .where(Case.status.in_(SETTLED), settled.c.last.is_not(None),
                            settled.c.last <= w.at))
    return _clock(ack, cases), _clock(resolve, cases), int(cases)


def _clock(s: Spread, total: int) -> ClockStats:
    return ClockStats(s.count, total - s.count, _pos(s.median), _pos(s.p90))


def _pos(value: float | None) -> float | None:
    """A negative duration (a stop recorded before its start) counts as zero."""
    return None if value is None else max(0.0, round(value, 3))


def _sla(session: Session, w: Window) -> tuple[ComplianceRow, int]:
    """Every team: from the stored clock states (`compliance.stored`), unless asked
    about a time before one changed; one team: recomputed for the cases it may have
    owned, which says who owned each case when its clock was decided."""
    if w.team is None:
        found = compliance.stored(session, w.start, w.end, w.at, scope=w.scope)
        if found is not None:
            return found, found.cases
        report = compliance.report(session, w.start, w.end, w.at, scope=w.scope)
        return report.overall, report.cases
    row = compliance.team_row(session, w.start, w.end, w.at, w.team, scope=w.scope)
    return row, row.cases


def _backlog(session: Session, w: Window, team_id: int | None, dialect: str) -> Backlog:
    cases = select(Case.id, Case.created_at).where(Case.status.in_(OPEN_WORDS),
                                                   Case.created_at <= w.at)
    if not w.scope.all_regions:
        cases = cases.where(_visible(w.scope))
    if team_id is not None:
        cases = cases.where(Case.team_id == team_id)
    at = literal(w.at, UtcDateTime())
    ages = spread(session, cases.with_only_columns(seconds(dialect, at, Case.created_at)))
    oldest = session.scalar(cases.with_only_columns(func.min(Case.created_at)))
    alerts = select(func.count(), func.min(Alert.received_at)).where(
        Alert.status.in_(UNTRIAGED), Alert.suppressed_by.is_(None), Alert.case_id.is_(None),
        Alert.received_at <= w.at, w.scope.clause(Alert.region))
    if team_id is not None:   # alerts outside cases belong to no team yet
        alerts = alerts.where(Alert.id.is_(None))
    untriaged, first = session.execute(alerts).one()
    return Backlog(ages.count, _pos(ages.median), _age(w.at, oldest), int(untriaged or 0),
                   _age(w.at, first))


def _age(at: datetime, since: datetime | None) -> float | None:
    return None if since is None else max(0.0, round((at - since).total_seconds(), 3))


def _handoffs(session: Session, w: Window, team_id: int | None,
              dialect: str) -> HandoffStats:
    where: list[ColumnElement[bool]] = [Handoff.shift_end >= w.start,
                                        Handoff.shift_end < w.end, Handoff.created_at <= w.at]
    if team_id is not None:
        where.append(or_(Handoff.to_team_id == team_id,
                         and_(Handoff.to_team_id.is_(None), Handoff.team_id == team_id)))
    acked = and_(Handoff.acknowledged_at.is_not(None), Handoff.acknowledged_at <= w.at)
    n, done, in_time, flagged = session.execute(select(
        func.count(), func.count().filter(acked),
        func.count().filter(and_(acked, Handoff.acknowledged_at <= Handoff.ack_due_at)),
        func.count(Handoff.flagged_at)).where(*where)).one()
    clock = spread(session, select(seconds(dialect, Handoff.acknowledged_at,
                                           Handoff.shift_end)).where(*where, acked))
    return HandoffStats(int(n), int(done), int(in_time), int(done) - int(in_time),
                        int(flagged), int(n) - int(done), _clock(clock, int(n)))


__all__ = ["Backlog", "ClockStats", "Conversion", "HandoffStats", "Metrics", "Volume",
           "Volumes", "Window", "metrics"]
