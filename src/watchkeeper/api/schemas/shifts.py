"""Shifts, hand-offs, SLAs and notifications: one model per purpose, built from the
facade's frozen dataclasses (pseudonymized already). Times are UTC; durations are
whole seconds in answers and text (``45m``, ``4h``, ``1h30m``, ``2d``) in requests."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from watchkeeper.api.schemas.fields import Public, Request

DURATION = "45m, 4h, 1h30m or 2d (a plain number is minutes)."


# -- shifts ------------------------------------------------------------------------------

class HolidayPublic(Public):
    day: date
    name: str


class HolidayCreate(Request):
    name: str = Field("", max_length=200, description="What the day is.")


class TeamShiftsPublic(Public):
    team: str
    regions: list[str]
    timezone: str | None = Field(description="IANA zone; null: no shift hours set.")
    hours: list[str] = Field(description="Weekly shifts, local time: 'mon 08:00-16:00'.")
    holidays: list[HolidayPublic] = Field(description="From today on.")
    handoff_grace_minutes: int
    on_shift: bool
    shift_ends: datetime | None
    next_start: datetime | None
    updated_at: datetime | None


class ShiftsUpdate(Request):
    timezone: str = Field(min_length=1, max_length=64, description="IANA time zone.")
    hours: list[str] = Field(min_length=1, max_length=100, description=(
        "Shift hours, local time: 'mon-fri 08:00-16:00', 'sat,sun 10:00-14:00', "
        "'daily 22:00-06:00' (past midnight). Replaces the team's hours."))
    handoff_grace_minutes: int | None = Field(None, ge=0, le=1440)


# -- hand-offs ---------------------------------------------------------------------------

class HandoffNotePublic(Public):
    author: str
    created_at: datetime
    body: str


class HandoffItemPublic(Public):
    case_id: int
    title: str
    status: str
    severity: int
    priority: str | None
    assignee: str | None
    ack_state: str
    ack_due_at: datetime | None
    resolve_state: str
    resolve_due_at: datetime | None
    waiting_on: str | None
    notes: list[HandoffNotePublic]
    next_step: str
    moved: bool = Field(description="Passed to the receiving team at the shift end.")


class HandoffSummaryPublic(Public):
    id: int
    team: str
    to_team: str | None
    shift_end: datetime
    created_at: datetime
    ack_due_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    flagged_at: datetime | None
    cases: int
    state: str = Field(description="pending, acknowledged or flagged.")


class HandoffPublic(Public):
    handoff: HandoffSummaryPublic
    items: list[HandoffItemPublic]
    withheld: int = Field(description="Cases in it the caller may not open.")


# -- SLAs --------------------------------------------------------------------------------

class SlaPolicyPublic(Public):
    severity: int
    severity_name: str
    acknowledge_seconds: int
    resolve_seconds: int
    clock: str
    raise_priority: bool
    escalate_team: str | None
    escalate_assignee: str | None
    updated_at: datetime


class SlaPolicyUpdate(Request):
    acknowledge: str = Field(min_length=1, max_length=40, description=DURATION)
    resolve: str = Field(min_length=1, max_length=40, description=DURATION)
    clock: str = Field("wall", description="wall, or business: the owning team's hours.")
    raise_priority: bool = True
    escalate_team: str | None = Field(None, description="On breach, move the case there.")
    escalate_assignee: str | None = Field(None, description="On breach, assign it.")


class ClockPublic(Public):
    kind: str
    state: str = Field(description="none, running, paused, met or breached.")
    target_seconds: int | None
    elapsed_seconds: int
    due_at: datetime | None
    stopped_at: datetime | None


class PausePublic(Public):
    party: str
    reason: str
    paused_at: datetime
    paused_by: str
    resumed_at: datetime | None
    resumed_by: str | None


class BreachPublic(Public):
    kind: str
    due_at: datetime
    detected_at: datetime
    team: str | None
    escalated: bool
    actions: list[str]


class CaseSlaPublic(Public):
    case_id: int
    severity: int
    policy: SlaPolicyPublic | None
    team: str | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    acknowledge: ClockPublic
    resolve: ClockPublic
    waiting_on: str | None
    pauses: list[PausePublic]
    breaches: list[BreachPublic]


class PauseCreate(Request):
    party: str = Field(min_length=1, max_length=200,
                       description="The external party the case waits on.")
    reason: str = Field(min_length=1, max_length=2000, description="What it waits for.")


class ComplianceRowPublic(Public):
    group: str
    cases: int
    ack_met: int
    ack_breached: int
    ack_open: int
    resolve_met: int
    resolve_breached: int
    resolve_open: int
    ack_compliance: float | None
    resolve_compliance: float | None


class SlaReportPublic(Public):
    since: datetime
    until: datetime
    at: datetime
    cases: int
    uncovered: int
    overall: ComplianceRowPublic
    by_team: list[ComplianceRowPublic]
    by_severity: list[ComplianceRowPublic]
    by_region: list[ComplianceRowPublic]


class NotificationPublic(Public):
    id: int
    kind: str
    message: str
    case_id: int | None
    handoff_id: int | None
    created_at: datetime
    read_at: datetime | None
