"""Alerts as received, what changed in them, how they group and what suppresses them.

Subjects, hosts, observables and lake findings are child tables rather than JSON arrays:
lists filter by them (``alerts for ACM2278``, ``alerts on host PC-1``) and an index on a
child column serves both SQLite and PostgreSQL, where a JSON array would need JSONB
operators on one and a full scan on the other.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from watchkeeper.store.models.base import Base, utcnow

ALERT = "alerts.id"
CASCADE = "CASCADE"


#: Alerts whose rule id says more than their rule name (Splunk puts the name in both):
#: the rule-id index holds only these, and the queue's rule filter names this condition
#: so that both stores may use it (`cases.queue`).
RULE_ID_OF_ITS_OWN = text("rule IS NULL OR rule != rule_id")
IN_A_CASE = text("case_id IS NOT NULL")


#: Seconds from an alert's first event to its arrival, as PostgreSQL's
#: ``ix_alerts_detect`` spells it (migration 0011_metrics_speed; SQLite's twin is an
#: expression its reflection cannot read, so the model declares PostgreSQL's only).
DETECT_SECONDS_PG = text(
    "CAST(EXTRACT(epoch FROM received_at - coalesce(first_seen, event_time)) AS FLOAT)")


#: What the metrics' volumes group by, then what they filter and count (same migration).
VOLUME_COLUMNS = ("rule_id", "rule", "source", "severity", "region", "received_at",
                  "suppressed_by", "case_id", "first_seen", "event_time")


class Alert(Base):
    """One alert, unique on (source, source_ref); `fingerprint` is `AlertIn.fingerprint`,
    `duplicates` counts identical re-sends.

    Indexes serve the queue listing (`cases.queue`, newest first, a page of 50): each
    filter column leads an index that continues with the event time, so a page is the
    first matching entries walked in time order rather than every match sorted.
    ``ix_alerts_queue`` also carries what the status filter and the caller's regions
    test, so those are checked in the index and only the page's rows are read.
    ``ix_alerts_metrics`` covers what the operations metrics read of a period's alerts
    (`ops.metrics`): they never touch the wide rows. ``ix_alerts_detect`` orders them by
    detection time, so its median and 90th percentile are read at two positions;
    ``ix_alerts_volumes`` in the order the volumes group by, so SQLite groups them as it
    walks the index instead of sorting a million rows. ``ix_alerts_in_case`` holds only
    the alerts in a case, so SQLite's statistics let it seek a case's alerts (those of
    ``ix_alerts_case_id``, mostly NULL, say a case holds half the table).
    ``ix_alerts_backlog`` by case, suppression, status and arrival: the backlog's
    untriaged alerts (no case, not suppressed, new or in progress) are two ranges of it,
    and the metrics' team split finds a case's alerts in it with what it counts."""

    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("source", "source_ref"),
        Index("ix_alerts_queue", "status", "suppressed_by", "event_time", "severity",
              "region", "source"),
        Index(None, "severity", "event_time"),
        Index(None, "source", "event_time"),
        Index(None, "rule", "event_time"),
        Index(None, "rule_id", "event_time", sqlite_where=RULE_ID_OF_ITS_OWN,
              postgresql_where=RULE_ID_OF_ITS_OWN),
        Index("ix_alerts_metrics", "received_at", "source", "severity", "region", "rule_id",
              "rule", "case_id", "suppressed_by", "first_seen", "event_time"),
        Index("ix_alerts_volumes", *VOLUME_COLUMNS),
        Index("ix_alerts_in_case", "case_id", sqlite_where=IN_A_CASE,
              postgresql_where=IN_A_CASE),
        Index("ix_alerts_backlog", "case_id", "suppressed_by", "status", "received_at",
              "region"),
        Index("ix_alerts_detect", DETECT_SECONDS_PG, "received_at", "first_seen",
              "event_time", "region", "case_id").ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(200))
    source_ref: Mapped[str] = mapped_column(String(500))
    fingerprint: Mapped[str] = mapped_column(String(64))
    class_uid: Mapped[int] = mapped_column(default=2004)
    title: Mapped[str] = mapped_column(Text)
    severity: Mapped[int]
    status: Mapped[str] = mapped_column(String(32))
    rule: Mapped[str | None] = mapped_column(String(500))
    rule_id: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    event_time: Mapped[datetime] = mapped_column(index=True)
    first_seen: Mapped[datetime | None]
    last_seen: Mapped[datetime | None]
    region: Mapped[str | None] = mapped_column(String(100))
    raw: Mapped[str] = mapped_column(Text)
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    duplicates: Mapped[int] = mapped_column(default=0)
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("alert_groups.id", ondelete="SET NULL"), index=True)
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id", ondelete="SET NULL"), index=True)
    suppressed_by: Mapped[int | None] = mapped_column(
        ForeignKey("suppressions.id", ondelete="SET NULL"), index=True)

    subjects: Mapped[list[AlertSubject]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True)
    hosts: Mapped[list[AlertHost]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True)
    observables: Mapped[list[AlertObservable]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True)
    findings: Mapped[list[AlertFinding]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True)


class AlertSubject(Base):
    """A person an alert is about (the user id the lake knows)."""

    __tablename__ = "alert_subjects"

    alert_id: Mapped[int] = mapped_column(ForeignKey(ALERT, ondelete=CASCADE),
                                          primary_key=True)
    subject: Mapped[str] = mapped_column(String(200), primary_key=True, index=True)


class AlertHost(Base):
    __tablename__ = "alert_hosts"

    alert_id: Mapped[int] = mapped_column(ForeignKey(ALERT, ondelete=CASCADE),
                                          primary_key=True)
    host: Mapped[str] = mapped_column(String(255), primary_key=True, index=True)


class AlertObservable(Base):
    """An OCSF observable of an alert (``type`` and ``value``)."""

    __tablename__ = "alert_observables"
    __table_args__ = (Index(None, "type", "value"),)

    alert_id: Mapped[int] = mapped_column(ForeignKey(ALERT, ondelete=CASCADE),
                                          primary_key=True)
    type: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(1000), primary_key=True)


class AlertFinding(Base):
    """A lake finding behind a workspace alert."""

    __tablename__ = "alert_findings"

    alert_id: Mapped[int] = mapped_column(ForeignKey(ALERT, ondelete=CASCADE),
                                          primary_key=True)
    finding_id: Mapped[str] = mapped_column(String(100), primary_key=True, index=True)


class AlertChange(Base):
    """A re-sent alert whose content changed: its fingerprints and the fields that did."""

    __tablename__ = "alert_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey(ALERT, ondelete=CASCADE), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    before_fingerprint: Mapped[str] = mapped_column(String(64))
    after_fingerprint: Mapped[str] = mapped_column(String(64))
    fields: Mapped[dict[str, Any]] = mapped_column(default=dict)


class GroupingRule(Base):
    """Alerts with equal values of `key_fields` within `window_seconds` share a group."""

    __tablename__ = "grouping_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    key_fields: Mapped[list[str]]
    window_seconds: Mapped[int]
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AlertGroup(Base):
    """One group opened by a grouping rule for one key (the joined key values)."""

    __tablename__ = "alert_groups"
    __table_args__ = (Index(None, "grouping_rule_id", "key", "last_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    grouping_rule_id: Mapped[int | None] = mapped_column(
        ForeignKey("grouping_rules.id", ondelete="SET NULL"))
    key: Mapped[str] = mapped_column(String(1000))
    first_at: Mapped[datetime]
    last_at: Mapped[datetime]
    alert_count: Mapped[int] = mapped_column(default=0)


class Suppression(Base):
    """Alerts matching `match` (field → value) are stored but suppressed until
    `expires_at` (None: until removed)."""

    __tablename__ = "suppressions"

    id: Mapped[int] = mapped_column(primary_key=True)
    match: Mapped[dict[str, Any]]
    reason: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime | None] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
