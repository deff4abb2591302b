"""Operations: teams' time zones, shift hours and holidays; SLA policies and each case's
SLA clocks, pauses and breaches; hand-offs at shift ends; in-app notifications."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from watchkeeper.store.models.base import Base, utcnow
from watchkeeper.store.types import Json

TEAM = "teams.id"
CASE = "cases.id"
CASCADE = "CASCADE"
SET_NULL = "SET NULL"


class TeamCalendar(Base):
    """A team's time zone (IANA name) and how long the next team has to acknowledge
    its hand-off once on shift. A team without one is not routed to by shift."""

    __tablename__ = "team_calendars"

    team_id: Mapped[int] = mapped_column(ForeignKey(TEAM, ondelete=CASCADE),
                                         primary_key=True)
    timezone: Mapped[str] = mapped_column(String(64))
    handoff_grace_minutes: Mapped[int] = mapped_column(default=30)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class TeamShift(Base):
    """One weekly shift: weekday 0 (Monday)-6, start and end in minutes after local
    midnight (an end at or before the start is on the next day)."""

    __tablename__ = "team_shifts"
    __table_args__ = (UniqueConstraint("team_id", "weekday", "start_minute", "end_minute"),
                      CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"))

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey(TEAM, ondelete=CASCADE))
    weekday: Mapped[int]
    start_minute: Mapped[int]
    end_minute: Mapped[int]


class TeamHoliday(Base):
    """A local day on which the team works no shift."""

    __tablename__ = "team_holidays"

    team_id: Mapped[int] = mapped_column(ForeignKey(TEAM, ondelete=CASCADE),
                                         primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")


class SlaPolicy(Base):
    """Targets for cases of one severity, counted on the wall clock or on the business
    hours of the owning team, and what a breach sets off."""

    __tablename__ = "sla_policies"
    __table_args__ = (CheckConstraint("clock IN ('wall', 'business')", name="clock"),)

    severity: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    acknowledge_seconds: Mapped[int]
    resolve_seconds: Mapped[int]
    clock: Mapped[str] = mapped_column(String(16))
    raise_priority: Mapped[bool] = mapped_column(default=True)
    escalate_team_id: Mapped[int | None] = mapped_column(
        ForeignKey(TEAM, ondelete=SET_NULL))
    escalate_assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete=SET_NULL))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class CaseSla(Base):
    """A case's SLA clocks: the policy applied (by severity; None: no policy), when it
    was acknowledged, the due times as last computed and each clock's state
    (running, paused, met, breached, none)."""

    __tablename__ = "case_slas"

    case_id: Mapped[int] = mapped_column(ForeignKey(CASE, ondelete=CASCADE),
                                         primary_key=True)
    severity: Mapped[int | None]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(200))
    ack_due_at: Mapped[datetime | None] = mapped_column(index=True)
    resolve_due_at: Mapped[datetime | None] = mapped_column(index=True)
    ack_state: Mapped[str] = mapped_column(String(16), default="none")
    resolve_state: Mapped[str] = mapped_column(String(16), index=True, default="none")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class SlaPause(Base):
    """The clocks stood still from `paused_at` to `resumed_at` (None: still waiting),
    waiting on an external `party`."""

    __tablename__ = "sla_pauses"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey(CASE, ondelete=CASCADE), index=True)
    party: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    paused_at: Mapped[datetime]
    paused_by: Mapped[str] = mapped_column(String(200))
    resumed_at: Mapped[datetime | None]
    resumed_by: Mapped[str | None] = mapped_column(String(200))


class SlaBreach(Base):
    """A clock that ran past its target: once per case and clock (`kind`); `team_id`
    owned the case at `due_at`; `actions` are what the escalation did."""

    __tablename__ = "sla_breaches"
    __table_args__ = (UniqueConstraint("case_id", "kind"),
                      CheckConstraint("kind IN ('acknowledge', 'resolve')", name="kind"))

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey(CASE, ondelete=CASCADE))
    kind: Mapped[str] = mapped_column(String(16))
    severity: Mapped[int]
    due_at: Mapped[datetime] = mapped_column(index=True)
    detected_at: Mapped[datetime]
    team_id: Mapped[int | None] = mapped_column(ForeignKey(TEAM, ondelete=SET_NULL),
                                                index=True)
    escalated: Mapped[bool] = mapped_column(default=False)
    actions: Mapped[list[str]] = mapped_column(default=list)


class Handoff(Base):
    """The note a team leaves when its shift ends, for the team on shift next; flagged
    when nobody acknowledged it by `ack_due_at`."""

    __tablename__ = "handoffs"
    __table_args__ = (UniqueConstraint("team_id", "shift_end"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey(TEAM, ondelete=CASCADE))
    to_team_id: Mapped[int | None] = mapped_column(ForeignKey(TEAM, ondelete=SET_NULL),
                                                   index=True)
    shift_end: Mapped[datetime] = mapped_column(index=True)
    created_at: Mapped[datetime]
    ack_due_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(200))
    flagged_at: Mapped[datetime | None]


class HandoffItem(Base):
    """One open case as it stood at the hand-off: status, SLA clocks, last notes and the
    next step; `moved`: ownership passed to the receiving team."""

    __tablename__ = "handoff_items"

    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoffs.id", ondelete=CASCADE),
                                            primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey(CASE, ondelete=CASCADE),
                                         primary_key=True, index=True)
    title: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(32))
    severity: Mapped[int]
    priority: Mapped[str | None] = mapped_column(String(32))
    assignee: Mapped[str | None] = mapped_column(String(200))
    ack_state: Mapped[str] = mapped_column(String(16))
    ack_due_at: Mapped[datetime | None]
    resolve_state: Mapped[str] = mapped_column(String(16))
    resolve_due_at: Mapped[datetime | None]
    waiting_on: Mapped[str | None] = mapped_column(String(200))
    notes: Mapped[list[Any]] = mapped_column(Json, default=list)
    next_step: Mapped[str] = mapped_column(Text)
    moved: Mapped[bool] = mapped_column(default=False)


class Notification(Base):
    """An in-app message to one account (an SLA breach, a flagged hand-off)."""

    __tablename__ = "notifications"
    __table_args__ = (Index(None, "account_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete=CASCADE))
    kind: Mapped[str] = mapped_column(String(32))
    case_id: Mapped[int | None] = mapped_column(ForeignKey(CASE, ondelete=SET_NULL),
                                                index=True)
    handoff_id: Mapped[int | None] = mapped_column(
        ForeignKey("handoffs.id", ondelete=SET_NULL), index=True)
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]
