"""`/api/v1/access/violations…` and `/api/v1/holds…`: access violations (list, show,
resolve) and legal holds (list, place, place from a case, release); docs/access.md.

Violations and holds name people by user id (legal and compliance work needs them), so
both are for leads and admins (the ``grant_access`` permission). Placing a hold from a
case also needs the caller to be able to open the case. Every change is audited in its
own transaction (``access.violation.resolve``, ``hold.place``, ``hold.release``).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query

from watchkeeper.api.deps import WorkspaceDep, requires
from watchkeeper.api.schemas.errors import AUTHENTICATED, responses
from watchkeeper.api.schemas.fields import PathId
from watchkeeper.api.schemas.violations import (
    HoldCreate,
    HoldFromCase,
    HoldPublic,
    ViolationPublic,
    ViolationResolve,
)
from watchkeeper.security.roles import Permission, Principal

if TYPE_CHECKING:
    from watchkeeper.facade.violations import ViolationView

router = APIRouter(tags=["access"], responses=AUTHENTICATED)

Officer = Annotated[Principal, Depends(requires(Permission.GRANT_ACCESS))]
Kind = Literal["no_grant", "expired_grant", "cross_region", "volume", "leaver", "movement"]
ViolationId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^wk:[0-9a-f]+$")]


def _public(v: ViolationView) -> ViolationPublic:
    found = v.violation
    return ViolationPublic.model_validate({
        **{k: getattr(found, k) for k in ViolationPublic.model_fields
           if k not in ("state", "resolution", "event_refs")},
        "event_refs": list(found.event_refs), "state": v.state,
        "resolution": v.resolution})


@router.get("/access/violations", response_model=list[ViolationPublic])
def violations(_: Officer, workspace: WorkspaceDep, kind: Kind | None = None,
               user: Annotated[str | None, Query(max_length=200)] = None,
               since: date | None = None,
               status: Literal["open", "resolved"] | None = None,
               limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[ViolationPublic]:
    """Stored violations with their resolution, newest first."""
    found = workspace.violations_view(kind=kind, user=user, since=since, status=status,
                                      limit=limit)
    return [_public(v) for v in found]


@router.get("/access/violations/{ident}", response_model=ViolationPublic,
            responses=responses(404))
def violation(ident: ViolationId, _: Officer, workspace: WorkspaceDep) -> ViolationPublic:
    """One violation, the events behind it and its resolution."""
    return _public(workspace.violation(ident))


@router.post("/access/violations/{ident}/resolve", response_model=ViolationPublic,
             responses=responses(404, 409))
def resolve(ident: ViolationId, body: ViolationResolve, user: Officer,
            workspace: WorkspaceDep) -> ViolationPublic:
    """Record how a violation was resolved (once). Audited
    (`access.violation.resolve`)."""
    return _public(workspace.violation_resolve(ident, body.resolution, body.note,
                                               actor=user.name))


@router.get("/holds", response_model=list[HoldPublic])
def holds(_: Officer, workspace: WorkspaceDep,
          person: Annotated[str | None, Query(max_length=200)] = None,
          include_released: Annotated[bool, Query(alias="all")] = False
          ) -> list[HoldPublic]:
    """Standing legal holds (`all`: released ones too), by id."""
    found = workspace.holds(person=person, released=include_released)
    return [HoldPublic.model_validate(h) for h in found]


@router.post("/holds", response_model=HoldPublic, status_code=201)
def place(body: HoldCreate, user: Officer, workspace: WorkspaceDep) -> HoldPublic:
    """Place a legal hold on a person's data over a span of days. Audited
    (`hold.place`)."""
    made = workspace.hold_add(body.person, body.since, body.reason, actor=user.name,
                              until=body.until, case_ref=body.case_ref)
    return HoldPublic.model_validate(made)


@router.post("/holds/from-case", response_model=list[HoldPublic], status_code=201,
             responses=responses(403, 404))
def from_case(body: HoldFromCase, user: Officer,
              workspace: WorkspaceDep) -> list[HoldPublic]:
    """One hold per person of a case the caller may open, from the day of its first
    alert. Audited (`hold.place` each)."""
    made = workspace.hold_from_case(workspace.case_viewer(user.name), body.case_id,
                                    body.reason, until=body.until)
    return [HoldPublic.model_validate(h) for h in made]


@router.post("/holds/{ident}/release", response_model=HoldPublic,
             responses=responses(404, 409))
def release(ident: PathId, user: Officer, workspace: WorkspaceDep) -> HoldPublic:
    """Release a hold: later purges may remove what it kept. Audited
    (`hold.release`)."""
    return HoldPublic.model_validate(workspace.hold_release(ident, actor=user.name))
