"""Access governance: authorization questions and answers, access requests, grants and
the decision log; one model per purpose, built from the facade's frozen dataclasses."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from watchkeeper.api.schemas.fields import Request

Action = Literal["read", "export", "delete"]
Employee = Field(min_length=1, max_length=200, pattern=r"^\S(.*\S)?$",
                 description="An employee: an HR user id of the people history.")
BATCH_MAX = 1000


class Public(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class AuthorizeRequest(Request):
    principal: str = Employee
    action: Action
    resource: str = Field(min_length=1, max_length=500,
                          description="A data asset of the catalogue.")
    purpose: str = Field("", max_length=50, description="A purpose code (empty: none).")
    ticket: str = Field("", max_length=200)


class AuthorizeBatch(Request):
    queries: list[AuthorizeRequest] = Field(min_length=1, max_length=BATCH_MAX)


class DecisionPublic(Public):
    principal: str
    action: str
    resource: str
    purpose: str
    ticket: str
    decision: Literal["allow", "deny"]
    policies: list[str] = Field(description="The @id of each policy that decided.")
    reasons: list[str] = Field(description="Why, in words (the policies' @reason).")
    grant_id: int | None = Field(description="The grant the decision's context held.")
    risk: str = Field(description="The person's risk level: normal, elevated, unknown.")
    at: datetime


class DecisionBatchPublic(BaseModel):
    decisions: list[DecisionPublic]


class DecisionLogPublic(Public):
    id: int
    at: datetime
    principal: str
    action: str
    resource: str
    purpose: str | None
    ticket: str | None
    decision: str
    policies: list[str]
    reasons: list[str]
    grant_id: int | None
    risk: str
    caller: str


class AccessRequestCreate(Request):
    principal: str = Field(min_length=1, max_length=200, alias="for",
                           description="Who the grant is for (HR user id).")
    action: Action
    resource: str = Field(min_length=1, max_length=500)
    purpose: str = Field(min_length=1, max_length=50)
    justification: str = Field(min_length=1, max_length=2000)
    duration: str = Field(min_length=1, max_length=40,
                          description="30m, 8h, 7d or ISO 8601 such as PT20S.")
    ticket: str | None = Field(None, max_length=200)

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class AccessDeny(Request):
    reason: str = Field(min_length=1, max_length=2000)


class GrantRevoke(Request):
    reason: str = Field("revoked on demand", min_length=1, max_length=2000)


class AccessRequestPublic(Public):
    id: int
    principal: str
    action: str
    resource: str
    purpose: str
    justification: str
    ticket: str | None
    duration_seconds: int
    requester: str = Field(description="The employee who asked.")
    requested_by: str = Field(description="The account or OS user that filed it.")
    approvals_needed: int
    needs_why: str
    approvers: list[str]
    status: str = Field(description="pending, approved or denied.")
    created_at: datetime
    decided_at: datetime | None
    denied_by: str | None
    deny_reason: str | None
    grant_id: int | None


class GrantPublic(Public):
    id: int
    request_id: int
    principal: str
    action: str
    resource: str
    purpose: str
    ticket: str | None
    approvals: int
    needed: int
    starts_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    revoked_by: str | None
    revoke_reason: str | None
    state: str = Field(description="active, expired or revoked.")
