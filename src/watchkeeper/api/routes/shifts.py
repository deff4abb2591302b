"""`/api/v1/shifts` and `/api/v1/handoffs`: teams' shift hours and holidays, and the
hand-offs written at each shift's end.

Reading takes the `read_cases` permission; changing a team's hours or holidays is a
lead's or an admin's (`assign_cases`); acknowledging a hand-off is for the receiving
team's members, leads and admins. A hand-off lists only the cases the caller may open;
reading one is recorded in the audit log (``handoff.read``).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from watchkeeper.api.deps import WorkspaceDep, requires
from watchkeeper.api.routes.cases import Reader, Worker
from watchkeeper.api.schemas.errors import AUTHENTICATED, responses
from watchkeeper.api.schemas.fields import PathId
from watchkeeper.api.schemas.shifts import (
    HandoffPublic,
    HandoffSummaryPublic,
    HolidayCreate,
    HolidayPublic,
    ShiftsUpdate,
    TeamShiftsPublic,
)
from watchkeeper.security.roles import Permission, Principal

router = APIRouter(prefix="/shifts", tags=["operations"], responses=AUTHENTICATED)
handoffs = APIRouter(prefix="/handoffs", tags=["operations"], responses=AUTHENTICATED)
LeadUser = Annotated[Principal, Depends(requires(Permission.ASSIGN_CASES))]


@router.get("", response_model=list[TeamShiftsPublic])
def list_shifts(_: Reader, workspace: WorkspaceDep) -> list[TeamShiftsPublic]:
    """Every team's time zone, shift hours and holidays, and who is on shift now."""
    return [TeamShiftsPublic.model_validate(t) for t in workspace.shifts_show()]


@router.get("/{team}", response_model=TeamShiftsPublic, responses=responses(404))
def get_shifts(team: str, _: Reader, workspace: WorkspaceDep) -> TeamShiftsPublic:
    (found,) = workspace.shifts_show(team)
    return TeamShiftsPublic.model_validate(found)


@router.put("/{team}", response_model=TeamShiftsPublic, responses=responses(404))
def set_shifts(team: str, body: ShiftsUpdate, _: LeadUser,
               workspace: WorkspaceDep) -> TeamShiftsPublic:
    """Give the team a time zone and weekly shift hours (replacing those it had)."""
    return TeamShiftsPublic.model_validate(workspace.shifts_set(
        team, body.timezone, body.hours, grace_minutes=body.handoff_grace_minutes))


@router.get("/{team}/holidays", response_model=list[HolidayPublic], responses=responses(404))
def list_holidays(team: str, _: Reader, workspace: WorkspaceDep) -> list[HolidayPublic]:
    return [HolidayPublic.model_validate(h) for h in workspace.holidays(team)]


@router.put("/{team}/holidays/{day}", response_model=HolidayPublic, responses=responses(404))
def add_holiday(team: str, day: date, body: HolidayCreate, _: LeadUser,
                workspace: WorkspaceDep) -> HolidayPublic:
    """Make `day` (the team's local date) a holiday: no shift that day."""
    return HolidayPublic.model_validate(workspace.holiday_add(team, day, body.name))


@router.delete("/{team}/holidays/{day}", response_model=HolidayPublic,
               responses=responses(404))
def remove_holiday(team: str, day: date, _: LeadUser,
                   workspace: WorkspaceDep) -> HolidayPublic:
    return HolidayPublic.model_validate(workspace.holiday_remove(team, day))


@handoffs.get("", response_model=list[HandoffSummaryPublic], responses=responses(404))
def list_handoffs(_: Reader, workspace: WorkspaceDep, team: str | None = None,
                  pending: bool = False,
                  limit: Annotated[int, Query(ge=1, le=500)] = 50
                  ) -> list[HandoffSummaryPublic]:
    """Hand-offs newest first, from or to `team`; `pending`: not acknowledged yet."""
    return [HandoffSummaryPublic.model_validate(h)
            for h in workspace.handoffs(team, pending=pending, limit=limit)]


@handoffs.get("/latest", response_model=HandoffPublic, responses=responses(404))
def latest_handoff(team: str, actor: Reader, workspace: WorkspaceDep) -> HandoffPublic:
    """The team's latest hand-off, with the cases the caller may open."""
    return HandoffPublic.model_validate(workspace.handoff_show(actor.viewer, team=team))


@handoffs.get("/{ident}", response_model=HandoffPublic, responses=responses(404))
def get_handoff(ident: PathId, actor: Reader, workspace: WorkspaceDep) -> HandoffPublic:
    return HandoffPublic.model_validate(workspace.handoff_show(actor.viewer, ident))


@handoffs.post("/{ident}/ack", response_model=HandoffSummaryPublic,
               responses=responses(404, 409))
def acknowledge_handoff(ident: PathId, actor: Worker,
                        workspace: WorkspaceDep) -> HandoffSummaryPublic:
    """The receiving team takes the hand-off (409 when it was acknowledged already)."""
    return HandoffSummaryPublic.model_validate(
        workspace.handoff_acknowledge(actor.viewer, ident))
