"""Entitlement reviews and the transparency report: one model per purpose, built from
the facade's frozen dataclasses (`access.review`, `access.review_store`,
`access.report`)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from watchkeeper.api.schemas.fields import Request


class Public(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class EntitlementPublic(Public):
    principal: str
    principal_region: str
    action: str
    resource: str
    resource_region: str
    via: Literal["policy", "grant"]
    policies: list[str] = Field(description="The permitting policies' @id (via policy).")
    grant_id: int | None
    purpose: str | None
    expires_at: datetime | None


class ReachPublic(Public):
    principal: str
    region: str
    team: str
    role: str
    peer_group: str = Field(
        description="team / role, role, or everyone: the smallest with enough peers."
    )
    peers: int
    entitlements: int
    via_policy: int
    via_grant: int
    assets: int
    regions: list[str]
    peer_median: float
    peer_scale: float
    z: float = Field(description="Robust z of the reach among the peers.")
    outlier: bool


class UnusedGrantPublic(Public):
    grant_id: int
    principal: str
    action: str
    resource: str
    purpose: str
    start: datetime
    end: datetime
    revoked: bool


class EntitlementsPublic(Public):
    at: datetime
    entitlements: list[EntitlementPublic]
    reach: list[ReachPublic]
    unused: list[UnusedGrantPublic]


class ReviewCreate(Request):
    name: str = Field(min_length=1, max_length=200)
    scope: Literal["all", "grants"] = "all"
    region: str | None = Field(None, min_length=1, max_length=100)


class ReviewDecide(Request):
    outcome: Literal["keep", "revoke"]
    reason: str = Field("", max_length=2000, description="Needed to revoke.")


class ReviewPublic(Public):
    id: int
    name: str
    scope: str
    status: Literal["open", "closed"]
    started_at: datetime
    started_by: str
    closed_at: datetime | None
    closed_by: str | None
    items: int
    kept: int
    revoked: int
    pending: int


class ReviewItemPublic(Public):
    id: int
    principal: str
    principal_region: str
    action: str
    resource: str
    resource_region: str
    via: Literal["policy", "grant"]
    grant_id: int | None
    policies: list[str]
    unused: bool
    outlier: bool
    outcome: Literal["keep", "revoke"] | None
    effect: str | None
    reviewer: str | None
    reviewed_by: str | None
    reason: str | None
    decided_at: datetime | None


class ReviewDetailPublic(Public):
    review: ReviewPublic
    items: list[ReviewItemPublic]


class PairCountsPublic(Public):
    from_region: str
    to_region: str
    cross_region: bool
    employees: int
    events: int
    decided_employees: int
    allowed: int
    denied: int
    requests: int
    approved: int
    requests_denied: int
    pending: int
    grants_expired: int
    grants_revoked: int
    violations: int
    violations_resolved: int


class PurposeCountsPublic(Public):
    from_region: str
    to_region: str
    purpose: str
    decisions: int
    employees: int
    grants: int


class KindCountsPublic(Public):
    kind: str
    found: int
    resolved: int


class TransparencyReportPublic(Public):
    period: str
    start: datetime | None
    end: datetime | None
    generated_at: datetime
    cross_region_employees: int
    pairs: list[PairCountsPublic]
    purposes: list[PurposeCountsPublic]
    violations: list[KindCountsPublic]
