"""The playbook language: a pydantic schema for one YAML file (trigger, conditions,
steps). docs/operations.md ("Playbooks") has the language with examples.

A step is a mapping with one action key (``enrich``, ``group``, ``set``, ``assign``,
``watchlist``, ``task``, ``suppress``, ``webhook``) and, optionally, ``name`` and
``retries``. What a trigger offers limits the steps: a case step (``set``, ``assign``,
``task``) on an alert trigger needs a ``group`` step before it, a watchlist trigger has
no case nor alert. The checks name the field (``steps.2.set``), and `loader` adds the
file and line.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from watchkeeper.cases.model import Severity
from watchkeeper.config import Duration

ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,99}")
TRIGGERS = ("alert", "case", "sla-breach", "watchlist")
ACTIONS = ("enrich", "group", "set", "assign", "watchlist", "task", "suppress", "webhook")
CASE_STEPS = frozenset({"set", "assign", "task"})
FIELDS = ("severity", "rule", "source", "region", "person", "title", "priority",
          "status", "team", "sla", "watchlist")
PRIORITIES = ("low", "medium", "high", "critical")
Text = Annotated[str, Field(min_length=1, max_length=1000)]
Name = Annotated[str, Field(min_length=1, max_length=200)]


def _severity(value: object) -> object:
    """``high`` or 4 (OCSF severity_id, 0-6)."""
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return int(text)
        found = Severity.from_name(text)
        if found is Severity.UNKNOWN and text.lower() != "unknown":
            raise ValueError(f"{value!r}: expected informational, low, medium, high, "
                             "critical, fatal or 0-6")
        return int(found)
    return value


SeverityId = Annotated[int, BeforeValidator(_severity), Field(ge=0, le=6)]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, ser_json_timedelta="float")


class Trigger(Model):
    """What starts a run: one kind of event, narrowed by severity, rule and watchlist."""

    on: Literal["alert", "case", "sla-breach", "watchlist"]
    severity_at_least: SeverityId | None = None
    rules: tuple[Annotated[str, Field(min_length=1, max_length=500)], ...] = ()
    watchlists: tuple[Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,99}$")], ...] = ()
    sla: tuple[Literal["acknowledge", "resolve"], ...] = ()

    @model_validator(mode="after")
    def _fits(self) -> Trigger:
        if self.sla and self.on != "sla-breach":
            raise ValueError("sla: only for on: sla-breach")
        if self.on == "watchlist" and (self.rules or self.severity_at_least is not None):
            raise ValueError("a watchlist trigger has no rule nor severity: use watchlists")
        return self


class Condition(Model):
    """One test of a field of the event; exactly one operator. A field with several
    values (rule, source, region, person) passes when one of them does (``not_in``:
    when none is in the list)."""

    field: Literal["severity", "rule", "source", "region", "person", "title", "priority",
                   "status", "team", "sla", "watchlist"]
    equals: str | int | None = None
    in_: tuple[str | int, ...] | None = Field(None, alias="in")
    not_in: tuple[str | int, ...] | None = None
    matches: str | None = None
    at_least: SeverityId | None = None
    at_most: SeverityId | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True,
                              ser_json_timedelta="float")

    @model_validator(mode="after")
    def _one_operator(self) -> Condition:
        given = [n for n in ("equals", "in_", "not_in", "matches", "at_least", "at_most")
                 if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of equals, in, not_in, matches, at_least, "
                             f"at_most (got {len(given)})")
        if given[0] in ("at_least", "at_most") and self.field != "severity":
            raise ValueError(f"{given[0].rstrip('_')}: only for field severity")
        if self.matches is not None:
            try:
                re.compile(self.matches)
            except re.error as exc:
                raise ValueError(f"matches: not a regular expression: {exc}") from None
        return self


class Enrich(Model):
    """Add to the run what the case's analyst would look up first."""

    hr: bool = True                 # the HR record as known on the event's day
    risk: bool = True               # the person's risk on that day and why
    events_hours: int = Field(24, ge=0, le=24 * 30)  # recent lake events (0: none)


class Group(Model):
    """Put the alert in a case: the newest open case about one of its people opened
    within `window`, else a new case."""

    window: Duration = timedelta(days=7)
    title: Annotated[str, Field(min_length=1, max_length=500)] | None = None


class SetFields(Model):
    severity: SeverityId | None = None
    priority: Literal["low", "medium", "high", "critical"] | None = None

    @model_validator(mode="after")
    def _something(self) -> SetFields:
        if self.severity is None and self.priority is None:
            raise ValueError("give severity, priority or both")
        return self


class Assign(Model):
    team: Name | None = None
    assignee: Name | None = None

    @model_validator(mode="after")
    def _something(self) -> Assign:
        if self.team is None and self.assignee is None:
            raise ValueError("give team, assignee or both")
        return self


class Watch(Model):
    """Put the event's person on an analyst watchlist for `days` (default: the
    workspace's ``[feedback] watchlist_days``)."""

    list: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,99}$")] = "insider-watch"
    days: int | None = Field(None, ge=1, le=3650)
    reason: Text


class Task(Model):
    title: Text
    assignee: Name | None = None


class Suppress(Model):
    """Suppress further alerts like this one (its rule, and its person or host) for
    `for_` (``7d``)."""

    for_: Duration = Field(alias="for")
    match: tuple[Literal["rule", "person", "host", "source"], ...] = ("rule", "person")
    reason: Text

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True,
                              ser_json_timedelta="float")

    @field_validator("for_")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0) or value > timedelta(days=3650):
            raise ValueError("must be longer than 0 s and at most 3650 days")
        return value

    @field_validator("match")
    @classmethod
    def _some(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("name at least one of rule, person, host, source")
        return value


class Webhook(Model):
    """POST the run's event (people as pseudonyms) as JSON to `url`; it must be on the
    workspace's ``[playbooks] webhook_allow`` list."""

    url: Annotated[str, Field(min_length=1, max_length=2000)]

    @field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not re.fullmatch(r"https?://[^/\s]+(/\S*)?", value):
            raise ValueError(f"{value!r}: expected an http or https URL")
        return value


class Step(Model):
    """One step: exactly one action, with an optional name and retries."""

    name: Name | None = None
    retries: int | None = Field(None, ge=0, le=20)
    enrich: Enrich | None = None
    group: Group | None = None
    set: SetFields | None = None
    assign: Assign | None = None
    watchlist: Watch | None = None
    task: Task | None = None
    suppress: Suppress | None = None
    webhook: Webhook | None = None

    @model_validator(mode="before")
    @classmethod
    def _empty_action(cls, data: Any) -> Any:
        """``- enrich:`` (no options) means the defaults."""
        if isinstance(data, dict):
            return {k: ({} if k in ("enrich", "group") and v is None else v)
                    for k, v in data.items()}
        return data

    @model_validator(mode="after")
    def _one_action(self) -> Step:
        given = [a for a in ACTIONS if getattr(self, a) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one action of {', '.join(ACTIONS)} "
                             f"(got {', '.join(given) or 'none'})")
        return self

    @property
    def action(self) -> str:
        return next(a for a in ACTIONS if getattr(self, a) is not None)

    @property
    def options(self) -> BaseModel:
        found: BaseModel = getattr(self, self.action)
        return found

    @property
    def label(self) -> str:
        return self.name or self.action


class Playbook(Model):
    """One playbook file."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,99}$")]
    title: Annotated[str, Field(min_length=1, max_length=200)]
    description: Annotated[str, Field(max_length=5000)] = ""
    enabled: bool = True
    trigger: Trigger
    conditions: tuple[Condition, ...] = ()
    steps: tuple[Step, ...] = Field(min_length=1, max_length=50)

    @model_validator(mode="after")
    def _steps_fit_trigger(self) -> Playbook:
        on, grouped = self.trigger.on, False
        for i, step in enumerate(self.steps):
            action = step.action
            if action == "group" and on != "alert":
                raise StepError(i, action, "only an alert trigger can group (a case "
                                "trigger has its case)")
            if on == "watchlist" and action in CASE_STEPS | {"suppress"}:
                raise StepError(i, action, "a watchlist trigger has no case nor alert")
            if on == "alert" and action in CASE_STEPS and not grouped:
                raise StepError(i, action, "an alert trigger needs a group step before a "
                                "case step")
            grouped = grouped or action == "group"
        return self


class StepError(ValueError):
    """A step that does not fit the trigger; `index` places it (``steps.2.set``)."""

    def __init__(self, index: int, action: str, reason: str) -> None:
        self.index, self.action = index, action
        super().__init__(f"steps.{index}.{action}: {reason}")


__all__ = ["ACTIONS", "CASE_STEPS", "FIELDS", "ID", "TRIGGERS", "Condition", "Playbook",
           "Step", "StepError", "Trigger"]
