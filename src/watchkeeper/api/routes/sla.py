"""`/api/v1/sla` and `/api/v1/notifications`: SLA policies per severity, a case's
clocks, acknowledging it, pausing its clocks while it waits on an external party,
compliance per team, severity and region; the caller's in-app notifications.

Policies are a lead's or an admin's to change (`assign_cases`); a case's clocks are
read with `read_cases` and changed with `work_cases`, each after the case's own access
checks (restriction, recusal), like every case route.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends

from watchkeeper.api.deps import WorkspaceDep, requires
from watchkeeper.api.routes.cases import Reader, Worker
from watchkeeper.api.schemas.errors import AUTHENTICATED, responses
from watchkeeper.api.schemas.fields import PathId, PeriodQuery
from watchkeeper.api.schemas.shifts import (
    CaseSlaPublic,
    NotificationPublic,
    PauseCreate,
    SlaPolicyPublic,
    SlaPolicyUpdate,
    SlaReportPublic,
)
from watchkeeper.errors import OpsError
from watchkeeper.security.roles import Permission, Principal

router = APIRouter(prefix="/sla", tags=["operations"], responses=AUTHENTICATED)
notifications = APIRouter(prefix="/notifications", tags=["operations"],
                          responses=AUTHENTICATED)
LeadUser = Annotated[Principal, Depends(requires(Permission.ASSIGN_CASES))]
CASE = responses(404, 409)
REPORT_DAYS = 30


@router.get("/policies", response_model=list[SlaPolicyPublic])
def list_policies(_: Reader, workspace: WorkspaceDep) -> list[SlaPolicyPublic]:
    return [SlaPolicyPublic.model_validate(p) for p in workspace.sla_policies()]


@router.put("/policies/{severity}", response_model=SlaPolicyPublic, responses=responses(404))
def set_policy(severity: str, body: SlaPolicyUpdate, _: LeadUser,
               workspace: WorkspaceDep) -> SlaPolicyPublic:
    """Set the policy for cases of `severity` (a name such as high, or 0-6)."""
    return SlaPolicyPublic.model_validate(workspace.sla_policy_set(
        severity, body.acknowledge, body.resolve, body.clock,
        raise_priority=body.raise_priority, escalate_team=body.escalate_team,
        escalate_assignee=body.escalate_assignee))


@router.delete("/policies/{severity}", response_model=SlaPolicyPublic,
               responses=responses(404))
def remove_policy(severity: str, _: LeadUser, workspace: WorkspaceDep) -> SlaPolicyPublic:
    return SlaPolicyPublic.model_validate(workspace.sla_policy_remove(severity))


@router.get("/cases/{case_id}", response_model=CaseSlaPublic, responses=CASE)
def case_sla(case_id: PathId, actor: Reader, workspace: WorkspaceDep) -> CaseSlaPublic:
    """The case's acknowledge and resolve clocks now, its pauses and breaches."""
    return CaseSlaPublic.model_validate(workspace.case_sla(actor.viewer, case_id))


@router.post("/cases/{case_id}/ack", response_model=CaseSlaPublic, responses=CASE)
def acknowledge(case_id: PathId, actor: Worker, workspace: WorkspaceDep) -> CaseSlaPublic:
    """Acknowledge the case: its acknowledge clock stops (the first time counts)."""
    return CaseSlaPublic.model_validate(workspace.case_acknowledge(actor.viewer, case_id))


@router.post("/cases/{case_id}/pause", response_model=CaseSlaPublic, responses=CASE)
def pause(case_id: PathId, body: PauseCreate, actor: Worker,
          workspace: WorkspaceDep) -> CaseSlaPublic:
    """Stop the clocks while the case waits on an external party (409: paused already)."""
    return CaseSlaPublic.model_validate(
        workspace.sla_pause(actor.viewer, case_id, body.party, body.reason))


@router.post("/cases/{case_id}/resume", response_model=CaseSlaPublic, responses=CASE)
def resume(case_id: PathId, actor: Worker, workspace: WorkspaceDep) -> CaseSlaPublic:
    """Start the clocks again (409: not paused)."""
    return CaseSlaPublic.model_validate(workspace.sla_resume(actor.viewer, case_id))


@router.get("/report", response_model=SlaReportPublic)
def report(_: Reader, workspace: WorkspaceDep, since: datetime | None = None,
           until: datetime | None = None, period: PeriodQuery = None) -> SlaReportPublic:
    """SLA compliance of the cases created in `period` (the grammar of every report:
    2025-03, 2025-Q1, 2025-01-01..2025-03-31) or in [since, until) (default: the last
    30 days), per team, severity and region; naive times are UTC."""
    if period is not None:
        if since is not None or until is not None:
            raise OpsError("period", "give a period or since/until, not both")
        return SlaReportPublic.model_validate(workspace.sla_report(period))
    end = _utc(until) if until is not None else workspace.clock.now()
    start = _utc(since) if since is not None else end - timedelta(days=REPORT_DAYS)
    return SlaReportPublic.model_validate(workspace.sla_report(start, end))


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@notifications.get("", response_model=list[NotificationPublic])
def list_notifications(actor: Reader, workspace: WorkspaceDep,
                       everything: bool = False) -> list[NotificationPublic]:
    """The caller's notifications, newest first (`everything`: read ones too)."""
    return [NotificationPublic.model_validate(n)
            for n in workspace.notifications(actor.viewer, unread=not everything)]


@notifications.post("/{ident}/read", response_model=NotificationPublic,
                    responses=responses(404))
def mark_read(ident: PathId, actor: Reader, workspace: WorkspaceDep) -> NotificationPublic:
    return NotificationPublic.model_validate(workspace.notification_read(actor.viewer, ident))
