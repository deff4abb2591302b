"""Playbooks and their runs: one model per purpose, built from the facade's frozen
dataclasses (people as pseudonyms already). Times are UTC."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Public(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class PlaybookPublic(Public):
    id: str
    title: str
    enabled: bool
    trigger: str = Field(description="alert, case, sla-breach or watchlist.")
    severity_at_least: int | None = Field(description="OCSF severity_id, 0-6.")
    rules: list[str] = Field(description="Rule name or id globs.")
    watchlists: list[str]
    conditions: int = Field(description="How many conditions it has.")
    steps: list[str] = Field(description="Its actions, in order.")
    version: str = Field(description="Hash of the file's text; a run records it.")


class PlaybookListPublic(Public):
    playbooks: list[PlaybookPublic]
    errors: list[str] = Field(description="Files in error (file:line field: why); "
                                          "they start nothing.")
    warnings: list[str]


class PlaybookStepPublic(Public):
    position: int
    action: str
    name: str
    status: str = Field(description="pending, retrying, succeeded, failed or skipped.")
    attempts: int
    max_attempts: int
    next_attempt: datetime | None
    last_error: str | None
    output: dict[str, Any] | None
    finished_at: datetime | None


class PlaybookRunPublic(Public):
    id: int
    playbook: str
    version: str
    trigger: str
    key: str
    alert_id: int | None
    case_id: int | None
    status: str = Field(description="pending, running, succeeded or failed.")
    created_at: datetime
    finished_at: datetime | None
    steps: list[PlaybookStepPublic]
