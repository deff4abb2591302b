"""What the case repository returns: frozen dataclasses, never ORM rows or dicts of Any."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from watchkeeper.cases.model import AlertIn, Observable, Severity
from watchkeeper.store.models import Alert, Case, CaseEvent, CaseLink, CaseNote, CaseTask

JsonValue = str | int | float | bool | None | list["JsonValue"] | dict[str, "JsonValue"]


@dataclass(frozen=True)
class CaseView:
    """One case's own fields; people and teams by name."""

    id: int
    title: str
    status: str
    severity: int
    priority: str | None
    assignee: str | None
    team: str | None
    verdict: str | None
    restricted: bool
    summary: str
    created_at: dt.datetime
    updated_at: dt.datetime

    @property
    def severity_name(self) -> str:
        return Severity(self.severity).name.lower() if 0 <= self.severity <= 6 else "other"


@dataclass(frozen=True)
class TaskView:
    id: int
    title: str
    done: bool
    assignee: str | None
    created_at: dt.datetime
    done_at: dt.datetime | None


@dataclass(frozen=True)
class NoteView:
    id: int
    author: str
    body: str
    created_at: dt.datetime


@dataclass(frozen=True)
class LinkView:
    """A person (lake user id), host or observable (``type:value``) the case is about."""

    kind: str
    value: str


@dataclass(frozen=True)
class EventView:
    """One change: who, when, what, and the values before and after."""

    at: dt.datetime
    actor: str
    action: str
    before: Mapping[str, JsonValue] | None
    after: Mapping[str, JsonValue] | None


@dataclass(frozen=True)
class AlertView:
    """An alert of the case, as the queue stored it."""

    id: int
    source: str
    source_ref: str
    title: str
    severity: int
    status: str
    rule: str | None
    event_time: dt.datetime
    subjects: tuple[str, ...]
    hosts: tuple[str, ...]
    finding_ids: tuple[str, ...]
    first_seen: dt.datetime | None = None
    last_seen: dt.datetime | None = None
    rule_id: str | None = None
    description: str | None = None
    observables: tuple[tuple[str, str], ...] = ()

    def alert_in(self) -> AlertIn:
        """The alert in the intake model (for the timeline and the summary)."""
        return AlertIn(
            source=self.source, source_ref=self.source_ref, title=self.title,
            severity=Severity(self.severity) if 0 <= self.severity <= 6 else Severity(0),
            event_time=self.event_time, raw="", status=self.status, rule=self.rule,
            rule_id=self.rule_id, description=self.description, subjects=self.subjects,
            hosts=self.hosts, observables=tuple(Observable(t, v) for t, v in self.observables),
            first_seen=self.first_seen, last_seen=self.last_seen,
            finding_ids=self.finding_ids)


@dataclass(frozen=True)
class CaseRecord:
    """A case with everything the state store holds about it."""

    case: CaseView
    alerts: tuple[AlertView, ...] = ()
    tasks: tuple[TaskView, ...] = ()
    notes: tuple[NoteView, ...] = ()
    links: tuple[LinkView, ...] = ()
    events: tuple[EventView, ...] = ()
    access: tuple[str, ...] = field(default=())  # account names of a restricted case


def case_view(row: Case, names: Mapping[int, str], teams: Mapping[int, str]) -> CaseView:
    return CaseView(
        id=row.id, title=row.title, status=row.status, severity=row.severity,
        priority=row.priority,
        assignee=names.get(row.assignee_id) if row.assignee_id is not None else None,
        team=teams.get(row.team_id) if row.team_id is not None else None,
        verdict=row.verdict, restricted=row.restricted, summary=row.summary,
        created_at=row.created_at, updated_at=row.updated_at)


def task_view(row: CaseTask, names: Mapping[int, str]) -> TaskView:
    return TaskView(row.id, row.title, row.done,
                    names.get(row.assignee_id) if row.assignee_id is not None else None,
                    row.created_at, row.done_at)


def note_view(row: CaseNote) -> NoteView:
    return NoteView(row.id, row.author, row.body, row.created_at)


def link_view(row: CaseLink) -> LinkView:
    return LinkView(row.kind, row.value)


def event_view(row: CaseEvent) -> EventView:
    return EventView(row.at, row.actor, row.action, row.before, row.after)


def alert_view(row: Alert) -> AlertView:
    return AlertView(
        id=row.id, source=row.source, source_ref=row.source_ref, title=row.title,
        severity=row.severity, status=row.status, rule=row.rule, event_time=row.event_time,
        subjects=tuple(sorted(s.subject for s in row.subjects)),
        hosts=tuple(sorted(h.host for h in row.hosts)),
        finding_ids=tuple(sorted(f.finding_id for f in row.findings)),
        first_seen=row.first_seen, last_seen=row.last_seen, rule_id=row.rule_id,
        description=row.description,
        observables=tuple(sorted((o.type, o.value) for o in row.observables)))


__all__ = ["AlertView", "CaseRecord", "CaseView", "EventView", "JsonValue", "LinkView",
           "NoteView", "TaskView"]
