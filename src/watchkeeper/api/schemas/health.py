"""`/healthz` and `/readyz`."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Health(BaseModel):
    status: str


class CheckPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    ok: bool
    detail: str


class ReadyPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    ready: bool
    checks: list[CheckPublic]
