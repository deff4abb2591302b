"""Access violations (with their resolution) and legal holds: one model per purpose,
built from the facade's frozen dataclasses."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from watchkeeper.api.schemas.fields import Request, RowId

Resolution = Literal["remediated", "authorized", "false_positive"]


class Public(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ResolutionPublic(Public):
    resolution: Resolution
    note: str
    resolved_by: str
    resolved_at: datetime


class ViolationPublic(BaseModel):
    id: str
    kind: str = Field(description="no_grant, expired_grant, cross_region, volume, "
                                  "leaver or movement.")
    user: str
    dataset: str | None = Field(description="The store (src -> dst for a movement).")
    day: date
    first_time: datetime
    last_time: datetime
    events: int
    records: int
    severity: str
    title: str
    detail: str
    event_refs: list[str] = Field(description="The data-store events behind it.")
    state: Literal["open", "resolved"]
    resolution: ResolutionPublic | None


class ViolationResolve(Request):
    resolution: Resolution
    note: str = Field(min_length=1, max_length=2000)


class HoldPublic(Public):
    id: int
    person: str
    since: date
    until: date | None
    reason: str
    case_ref: str | None
    placed_by: str
    created_at: datetime
    released_at: datetime | None
    released_by: str | None
    active: bool


class HoldCreate(Request):
    person: str = Field(min_length=1, max_length=200,
                        description="A user id, as the lake's events carry it.")
    since: date
    until: date | None = Field(None, description="Last day held (none: until released).")
    reason: str = Field(min_length=1, max_length=1000)
    case_ref: str | None = Field(None, min_length=1, max_length=200)


class HoldFromCase(Request):
    case_id: RowId
    reason: str = Field(min_length=1, max_length=1000)
    until: date | None = Field(None, description="Last day held (none: until released).")
