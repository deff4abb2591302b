"""Reading the alert queue: one filtered, sorted, paged list, and one alert in full.

`list_alerts(session, AlertQuery(...))` is the one list query the CLI and the API share:
filters by queue status, severity, rule, source, person, host and time; sorts by event
time, severity or time received; pages by cursor (`store.paging`), so walking every page
yields every alert once even while new ones arrive.

The queue status of an alert is ``suppressed`` when a suppression marked it, else the
status its source gave it (``new``, ``in_progress``, ``resolved``, …).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    and_,
    exists,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session, selectinload

from watchkeeper.cases.grouping import format_window
from watchkeeper.cases.model import Observable, Severity
from watchkeeper.cases.suppression import SuppressionInfo, list_suppressions
from watchkeeper.errors import ConfigError, NotFoundError
from watchkeeper.security.roles import Scope
from watchkeeper.store import Order, page
from watchkeeper.store.models import (
    Alert,
    AlertChange,
    AlertGroup,
    AlertHost,
    AlertSubject,
    GroupingRule,
)

STATUSES = ("new", "in_progress", "suppressed", "resolved", "archived", "deleted", "other",
            "unknown")
SUPPRESSED = "suppressed"
SORTS: dict[str, tuple[Order, ...]] = {
    "-time": (Order(Alert.event_time, descending=True),),
    "time": (Order(Alert.event_time),),
    "-severity": (Order(Alert.severity, descending=True),
                  Order(Alert.event_time, descending=True)),
    "severity": (Order(Alert.severity), Order(Alert.event_time)),
    "-received": (Order(Alert.received_at, descending=True),),
    "received": (Order(Alert.received_at),),
}
DEFAULT_LIMIT = 50
#: what a listed alert shows (`AlertSummary`): not the payload, description or extras
SUMMARY_COLUMNS = (Alert.status, Alert.severity, Alert.title, Alert.rule, Alert.source,
                   Alert.source_ref, Alert.event_time, Alert.received_at, Alert.duplicates,
                   Alert.group_id, Alert.case_id, Alert.suppressed_by)
#: `AlertPage.total` counts up to this many alerts exactly; beyond, it says "at least"
#: (`total_exact` false), as search engines do: an exact count over a million alerts
#: reads every match on every page, and no one pages through a thousand alerts.
TOTAL_CAP = 1_000
JsonValue = str | int | float | bool | None | list["JsonValue"] | dict[str, "JsonValue"]


@dataclass(frozen=True)
class AlertQuery:
    """Which alerts, in which order, which page. `subjects` are user ids (an alert about
    any of them matches); `rule` matches the rule name or id; `sort` is a key of `SORTS`
    (``-`` first: descending); `scope` keeps the regions a caller may see (the API)."""

    status: tuple[str, ...] = ()
    severity: tuple[int, ...] = ()
    rule: str | None = None
    source: str | None = None
    subjects: tuple[str, ...] | None = None
    host: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    group_id: int | None = None
    sort: str = "-time"
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None
    scope: Scope | None = None


@dataclass(frozen=True)
class AlertSummary:
    """One alert as the queue lists it."""

    id: int
    status: str
    severity: int
    severity_name: str
    title: str
    rule: str | None
    source: str
    source_ref: str
    subjects: tuple[str, ...]
    hosts: tuple[str, ...]
    event_time: datetime
    received_at: datetime
    duplicates: int
    group_id: int | None
    case_id: int | None
    suppressed_by: int | None


@dataclass(frozen=True)
class AlertPage:
    """A page of the queue; `next_cursor` continues it (None: last page); `total`
    counts the alerts the filters select, exactly when `total_exact`, else it is
    `TOTAL_CAP` and there are more."""

    items: tuple[AlertSummary, ...]
    next_cursor: str | None
    total: int
    total_exact: bool = True


@dataclass(frozen=True)
class FieldChange:
    before: JsonValue
    after: JsonValue


@dataclass(frozen=True)
class AlertChangeInfo:
    """A re-send that changed the alert: when, and each field's value before and after."""

    at: datetime
    before_fingerprint: str
    after_fingerprint: str
    fields: dict[str, FieldChange]


@dataclass(frozen=True)
class GroupInfo:
    id: int
    rule: str | None
    window: str | None
    key: str
    first_at: datetime
    last_at: datetime
    alert_count: int


@dataclass(frozen=True)
class AlertDetail(AlertSummary):
    """One alert in full: what it links to (findings, the events behind them), what
    changed in it, its group and the suppression that marked it."""

    class_uid: int
    rule_id: str | None
    description: str | None
    first_seen: datetime | None
    last_seen: datetime | None
    region: str | None
    observables: tuple[Observable, ...]
    finding_ids: tuple[str, ...]
    event_refs: tuple[str, ...]
    extra: dict[str, str]
    updated_at: datetime
    source_status: str
    changes: tuple[AlertChangeInfo, ...]
    group: GroupInfo | None
    suppression: SuppressionInfo | None
    raw: str


def list_alerts(session: Session, query: AlertQuery) -> AlertPage:
    """One page of the alerts `query` selects, in its order."""
    if query.sort not in SORTS:
        raise ConfigError(f"--sort {query.sort!r}: expected one of {', '.join(SORTS)}")
    where = _filters(query)
    if query.rule is not None:
        where.append(_rule(session, query.rule))
    order = SORTS[query.sort]
    # the page's ids first, reading only the sort columns (an index can answer), then
    # those rows: sorting full rows would read every match's payload
    keys = page(session, select(Alert.id, *(o.column for o in order)).where(*where),
                limit=query.limit, order=order, cursor=query.cursor)
    ids = [a.id for a in keys.items]
    rows = {r.id: r for r in session.execute(select(Alert.id, *SUMMARY_COLUMNS)
                                              .where(Alert.id.in_(ids)))}
    subjects, hosts = _people_and_hosts(session, ids)
    total = session.scalar(select(func.count()).select_from(
        select(Alert.id).where(*where).limit(TOTAL_CAP + 1).subquery())) or 0
    items = tuple(_summary(rows[i], subjects.get(i, ()), hosts.get(i, ())) for i in ids)
    return AlertPage(items, keys.next_cursor, min(int(total), TOTAL_CAP),
                     total <= TOTAL_CAP)


def _people_and_hosts(session: Session, ids: list[int]
                      ) -> tuple[dict[int, tuple[str, ...]], dict[int, tuple[str, ...]]]:
    """Each alert's people and hosts, sorted (one query: a round trip less)."""
    both = union_all(
        select(AlertSubject.alert_id, literal(0), AlertSubject.subject)
        .where(AlertSubject.alert_id.in_(ids)),
        select(AlertHost.alert_id, literal(1), AlertHost.host)
        .where(AlertHost.alert_id.in_(ids)))
    found: tuple[dict[int, list[str]], dict[int, list[str]]] = ({}, {})
    for owner, kind, text in session.execute(both):
        found[kind].setdefault(owner, []).append(text)
    people, hosts = ({owner: tuple(sorted(v)) for owner, v in f.items()} for f in found)
    return people, hosts


def show_alert(session: Session, alert_id: int, now: datetime) -> AlertDetail:
    row = session.get(Alert, alert_id, options=[selectinload(Alert.subjects),
                                                selectinload(Alert.hosts),
                                                selectinload(Alert.observables),
                                                selectinload(Alert.findings)])
    if row is None:
        raise NotFoundError(f"alert {alert_id}: no such alert (see `alerts list`)")
    changes = session.scalars(select(AlertChange).where(AlertChange.alert_id == alert_id)
                              .order_by(AlertChange.id))
    extra = {str(k): str(v) for k, v in (row.extra or {}).items()}
    suppression = next((s for s in list_suppressions(session, now, ended=True)
                        if s.id == row.suppressed_by), None) if row.suppressed_by else None
    return AlertDetail(
        **vars(_summary(row, tuple(sorted(s.subject for s in row.subjects)),
                        tuple(sorted(h.host for h in row.hosts)))),
        class_uid=row.class_uid, rule_id=row.rule_id,
        description=row.description, first_seen=row.first_seen, last_seen=row.last_seen,
        region=row.region,
        observables=tuple(sorted((Observable(o.type, o.value) for o in row.observables),
                                 key=lambda o: (o.type, o.value))),
        finding_ids=tuple(sorted(f.finding_id for f in row.findings)),
        event_refs=tuple(extra.get("event_refs", "").split()), extra=extra,
        updated_at=row.updated_at, source_status=row.status,
        changes=tuple(_change(c) for c in changes), group=_group(session, row.group_id),
        suppression=suppression, raw=row.raw)


def queue_status(row: Alert | Row[*tuple[Any, ...]]) -> str:
    return SUPPRESSED if row.suppressed_by is not None else row.status


def _filters(query: AlertQuery) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if query.status:
        unknown = [s for s in query.status if s not in STATUSES]
        if unknown:
            raise ConfigError(f"--status {unknown[0]!r}: expected one of {', '.join(STATUSES)}")
        plain = [s for s in query.status if s != SUPPRESSED]
        either = [and_(Alert.status.in_(plain), Alert.suppressed_by.is_(None))] if plain else []
        if SUPPRESSED in query.status:
            either.append(or_(Alert.suppressed_by.is_not(None), Alert.status == SUPPRESSED))
        where.append(or_(*either))
    if query.severity:
        where.append(Alert.severity.in_(query.severity))
    if query.source is not None:
        where.append(Alert.source == query.source)
    if query.subjects is not None:   # the person's alerts first, by the subject index
        where.append(Alert.id.in_(select(AlertSubject.alert_id)
                                  .where(AlertSubject.subject.in_(query.subjects))))
    if query.host is not None:
        where.append(exists().where(AlertHost.alert_id == Alert.id,
                                    func.lower(AlertHost.host) == query.host.lower()))
    if query.since is not None:
        where.append(Alert.event_time >= query.since)
    if query.until is not None:
        where.append(Alert.event_time < query.until)
    if query.group_id is not None:
        where.append(Alert.group_id == query.group_id)
    if query.scope is not None:
        where.append(query.scope.clause(Alert.region))
    return where


def _rule(session: Session, value: str) -> ColumnElement[bool]:
    """Alerts whose rule name or rule id is `value`. Two index probes say which column
    holds it, so that the list filters one column whose index keeps time order (an OR
    of the two makes SQLite read and sort every match). Splunk puts a rule's name in
    both: its alerts are found by name, and the rule-id index leaves them out."""
    def found(*where: ColumnElement[bool]) -> bool:
        # ordered like the index, so that PostgreSQL seeks it rather than scanning the
        # table for a first match that may not exist
        probe = select(Alert.id).where(*where).order_by(Alert.event_time.desc()).limit(1)
        return session.scalar(probe) is not None
    by_name = Alert.rule == value
    by_id = and_(Alert.rule_id == value, _own_rule_id())
    if found(by_name):
        return or_(by_name, by_id) if found(by_id) else by_name
    return by_id


def _own_rule_id() -> ColumnElement[bool]:
    """`store.models.alerts.RULE_ID_OF_ITS_OWN`, the condition of the rule-id index."""
    return or_(Alert.rule.is_(None), Alert.rule != Alert.rule_id)


def _summary(row: Alert | Row[*tuple[Any, ...]], subjects: tuple[str, ...],
             hosts: tuple[str, ...]) -> AlertSummary:
    """A listed alert from its stored row (an `Alert`, or the listing's columns)."""
    return AlertSummary(
        id=row.id, status=queue_status(row), severity=row.severity,
        severity_name=_severity_name(row.severity), title=row.title, rule=row.rule,
        source=row.source, source_ref=row.source_ref, subjects=subjects, hosts=hosts,
        event_time=row.event_time,
        received_at=row.received_at, duplicates=row.duplicates, group_id=row.group_id,
        case_id=row.case_id, suppressed_by=row.suppressed_by)


def _severity_name(value: int) -> str:
    try:
        return Severity(value).name.lower()
    except ValueError:
        return str(value)


def _change(row: AlertChange) -> AlertChangeInfo:
    fields = {name: FieldChange(_json(v.get("before")), _json(v.get("after")))
              for name, v in (row.fields or {}).items() if isinstance(v, dict)}
    return AlertChangeInfo(row.at, row.before_fingerprint, row.after_fingerprint, fields)


def _json(value: Any) -> JsonValue:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list):
        return [_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json(v) for k, v in value.items()}
    return str(value)


def _group(session: Session, group_id: int | None) -> GroupInfo | None:
    if group_id is None:
        return None
    group = session.get(AlertGroup, group_id)
    if group is None:
        return None
    rule = session.get(GroupingRule, group.grouping_rule_id) \
        if group.grouping_rule_id is not None else None
    return GroupInfo(group.id, rule.name if rule else None,
                     format_window(rule.window_seconds) if rule else None, group.key,
                     group.first_at, group.last_at, group.alert_count)
