"""Cases: one model per purpose. The public models are built from the facade's frozen
dataclasses (`CaseView`, `CaseDetail`, ...), which are pseudonymized already: people
appear as ``P-XXXX-XXXX``."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, JsonValue

from watchkeeper.api.schemas.fields import Public, Request, RowId

PRIORITY = "low, medium, high or critical (OCSF priority_id 1-4)."


class CaseCreate(Request):
    title: str = Field(min_length=1, max_length=500)
    severity: int | None = Field(None, ge=0, le=6, description="OCSF severity_id, 0-6 "
                                 "(default: the highest of its alerts', else medium).")
    priority: str | None = Field(None, description=PRIORITY)
    alerts: list[RowId] = Field(default_factory=list, description="Alert ids to put in it.")
    people: list[str] = Field(default_factory=list,
                              description="People it is about (pseudonyms or user ids).")
    hosts: list[str] = Field(default_factory=list)
    observables: list[str] = Field(default_factory=list, description="TYPE:VALUE each.")
    assignee: str | None = Field(None, description="An account (a lead or admin, or "
                                                   "yourself).")
    team: str | None = None
    restricted_to: list[str] = Field(default_factory=list,
                                     description="Accounts that may open it (you too).")


class CaseUpdate(Request):
    title: str | None = Field(None, min_length=1, max_length=500)
    severity: int | None = Field(None, ge=0, le=6, description="OCSF severity_id, 0-6.")
    priority: str | None = Field(None, description=PRIORITY + ' "" clears it.')
    assignee: str | None = Field(None, description='An account; "" clears it.')
    team: str | None = None
    status: str | None = Field(None, description="new, in_progress, escalated, resolved "
                                                 "(with a verdict) or closed.")
    verdict: str | None = Field(None, description="With status resolved only.")
    summary: str | None = Field(None, description="Replaces the stored summary.")
    restrict_to: list[str] | None = Field(None, description="Restrict to these accounts.")
    unrestrict: bool = Field(False, description="Lift the restriction (lead or admin).")


class CaseResolve(Request):
    verdict: str = Field(min_length=1, description="OCSF verdict: true_positive, "
                                                   "false_positive, benign, ...")
    note: str | None = Field(None, description="A closing note (Markdown).")


class NoteCreate(Request):
    body: str | None = Field(None, description="Markdown.")
    template: bool = Field(False, description="Start from the root-cause template.")


class TaskCreate(Request):
    title: str = Field(min_length=1, max_length=1000)
    assignee: str | None = None


class TaskUpdate(Request):
    done: bool


class LinkChange(Request):
    people: list[str] = Field(default_factory=list, description="Pseudonyms or user ids.")
    hosts: list[str] = Field(default_factory=list)
    observables: list[str] = Field(default_factory=list, description="TYPE:VALUE each.")
    alerts: list[RowId] = Field(default_factory=list, description="Alerts to put in it.")
    remove: bool = Field(False, description="Unlink the people, hosts and observables.")


class Created(BaseModel):
    id: int


class Changed(BaseModel):
    changed: int = Field(description="How many links or alerts changed.")


class CasePublic(Public):
    id: int
    title: str
    status: str
    severity: int
    severity_name: str
    priority: str | None
    assignee: str | None
    team: str | None
    verdict: str | None
    restricted: bool
    summary: str
    created_at: datetime
    updated_at: datetime


class CaseListPublic(Public):
    items: list[CasePublic]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page.")


class AlertPublic(Public):
    id: int
    source: str
    source_ref: str
    title: str
    severity: int
    status: str
    rule: str | None
    rule_id: str | None
    description: str | None
    event_time: datetime
    first_seen: datetime | None
    last_seen: datetime | None
    subjects: list[str]
    hosts: list[str]
    finding_ids: list[str]
    observables: list[tuple[str, str]]


class EventPublic(Public):
    at: datetime
    actor: str
    action: str
    before: dict[str, JsonValue] | None
    after: dict[str, JsonValue] | None


class TaskPublic(Public):
    id: int
    title: str
    done: bool
    assignee: str | None
    created_at: datetime
    done_at: datetime | None


class NotePublic(Public):
    id: int
    author: str
    body: str
    created_at: datetime


class LinkPublic(Public):
    kind: Literal["person", "host", "observable"]
    value: str


class TimelineEventPublic(Public):
    time: datetime
    cls: str
    activity: str
    user: str | None
    host: str | None
    summary: str
    event_id: str
    source: str
    marked: bool


class TimelinePublic(Public):
    start: datetime
    end: datetime
    people: list[str]
    hosts: list[str]
    events: list[TimelineEventPublic]
    counts: dict[str, int]
    limit: int
    truncated: bool


class CaseDetailPublic(Public):
    case: CasePublic
    alerts: list[AlertPublic]
    events: list[EventPublic]
    tasks: list[TaskPublic]
    notes: list[NotePublic]
    links: list[LinkPublic]
    timeline: TimelinePublic
    summary: str = Field(description="The stored summary, else the draft.")
    draft: str = Field(description="The summary generated now from the case's facts.")
    access: list[str] = Field(description="Accounts of a restricted case.")
    people: list[str]
    hosts: list[str]


ExportFormat = Literal["markdown", "json", "ocsf"]
