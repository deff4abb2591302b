"""`/api/v1/access/entitlements`, `/access/reviews/…` and `/access/report`: who can
reach which user data, review campaigns, the transparency report (docs/access.md).

Auditors and admins read entitlements and the report; leads and admins run campaigns
and decide items as the employee their account is linked to (never their own
entitlements). The report holds counts only.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from watchkeeper.api.deps import WorkspaceDep, requires
from watchkeeper.api.routes.access import employee_of
from watchkeeper.api.schemas.access_review import (
    EntitlementsPublic,
    ReviewCreate,
    ReviewDecide,
    ReviewDetailPublic,
    ReviewItemPublic,
    ReviewPublic,
    TransparencyReportPublic,
    UnusedGrantPublic,
)
from watchkeeper.api.schemas.errors import AUTHENTICATED, responses
from watchkeeper.api.schemas.fields import PathId
from watchkeeper.security.roles import Permission, Principal

router = APIRouter(tags=["access"], responses=AUTHENTICATED)

Reviewer = Annotated[Principal, Depends(requires(Permission.GRANT_ACCESS))]
Auditor = Annotated[Principal, Depends(requires(Permission.READ_AUDIT))]


@router.get("/access/entitlements", response_model=EntitlementsPublic, responses=responses())
def entitlements(
    _: Auditor, workspace: WorkspaceDep, region: Annotated[str | None, Query(max_length=100)] = None
) -> EntitlementsPublic:
    """Who can reach which user data now, through which policy or grant; each person's
    reach against their peers'; the grants in force never used."""
    return EntitlementsPublic.model_validate(workspace.access_entitlements(region=region))


@router.get("/access/unused-grants", response_model=list[UnusedGrantPublic], responses=responses())
def unused(
    _: Auditor,
    workspace: WorkspaceDep,
    period: Annotated[
        str | None, Query(min_length=1, max_length=64, description="2025-03, 2025-Q1 or FROM..TO.")
    ] = None,
) -> list[UnusedGrantPublic]:
    """Grants (overlapping `period`; default all) never used: no allowing decision and
    no matching data-store event inside their window."""
    from watchkeeper.ops.period import parse_period

    found = workspace.access_unused_grants(parse_period(period, "period"))
    return [UnusedGrantPublic.model_validate(u) for u in found]


@router.get("/access/report", response_model=TransparencyReportPublic, responses=responses())
def report(
    _: Auditor,
    workspace: WorkspaceDep,
    period: Annotated[
        str, Query(min_length=1, max_length=64, description="2025-03, 2025-Q1 or FROM..TO.")
    ],
) -> TransparencyReportPublic:
    """The transparency report of `period` by region pair: counts only."""
    from watchkeeper.ops.period import Period

    found = workspace.access_report(Period.parse(period, "period"))
    return TransparencyReportPublic.model_validate(found)


@router.post(
    "/access/reviews", response_model=ReviewPublic, status_code=201, responses=responses(403)
)
def start(body: ReviewCreate, user: Reviewer, workspace: WorkspaceDep) -> ReviewPublic:
    """Start a campaign over today's entitlements. Audited (`access.review.start`)."""
    employee_of(workspace, user)
    made = workspace.access_review_start(
        body.name, actor=user.name, scope=body.scope, region=body.region
    )
    return ReviewPublic.model_validate(made)


@router.get("/access/reviews", response_model=list[ReviewPublic])
def reviews(
    _: Reviewer, workspace: WorkspaceDep, status: Literal["open", "closed", "all"] = "all"
) -> list[ReviewPublic]:
    """Campaigns and their progress, oldest first."""
    found = workspace.access_reviews(None if status == "all" else status)
    return [ReviewPublic.model_validate(r) for r in found]


@router.get("/access/reviews/{ident}", response_model=ReviewDetailPublic, responses=responses(404))
def review(
    ident: PathId, _: Reviewer, workspace: WorkspaceDep, pending: bool = False
) -> ReviewDetailPublic:
    """One campaign and its items (`pending`: only those without an outcome)."""
    return ReviewDetailPublic.model_validate(workspace.access_review(ident, pending=pending))


@router.post(
    "/access/reviews/{ident}/items/{item}/decide",
    response_model=ReviewItemPublic,
    responses=responses(403, 404, 409),
)
def decide(
    ident: PathId, item: PathId, body: ReviewDecide, user: Reviewer, workspace: WorkspaceDep
) -> ReviewItemPublic:
    """Keep or revoke one entitlement as the account's employee (never one's own);
    revoking a grant's revokes the grant. Audited (`access.review.decide`)."""
    done = workspace.access_review_decide(
        ident,
        item,
        body.outcome,
        reviewer=employee_of(workspace, user),
        actor=user.name,
        reason=body.reason,
    )
    return ReviewItemPublic.model_validate(done)


@router.post(
    "/access/reviews/{ident}/close", response_model=ReviewPublic, responses=responses(404, 409)
)
def close(ident: PathId, user: Reviewer, workspace: WorkspaceDep) -> ReviewPublic:
    """Close a campaign once every item has an outcome. Audited."""
    return ReviewPublic.model_validate(workspace.access_review_close(ident, actor=user.name))
