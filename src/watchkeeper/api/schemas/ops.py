"""Operations: what a post of events did (`EventsAcceptedPublic`) and the scheduler's
jobs (`JobPublic`), built from the facade's frozen dataclasses."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from watchkeeper.api.schemas.fields import Public


class EventsAcceptedPublic(Public):
    accepted: int = Field(description="Events in the post, all checked and spooled.")
    classes: dict[str, int] = Field(description="Events per lake class (web, file, …).")
    batch: str = Field(description="The spool file holding them until the `events` job "
                                   "commits them to the lake.")


class JobPublic(Public):
    name: str
    description: str
    enabled: bool
    disabled_why: str | None
    every_seconds: float
    timeout_seconds: float
    follows: list[str] = Field(description="Jobs whose new data makes this one due.")
    running: bool = Field(description="A scheduler holds its lease now.")
    lease_holder: str | None = Field(description="host:pid:id of the scheduler running it.")
    lease_expires: datetime | None
    next_run: datetime | None = Field(description="When it is due (after a failure: the "
                                                  "retry).")
    last_start: datetime | None
    last_end: datetime | None
    outcome: str | None = Field(description="ok, warning, failed; null: never ran.")
    summary: str | None = Field(description="What the last run did, in one line.")
    error: str | None = Field(description="The last failure's one-line error.")
    attempts: int = Field(description="Failures in a row.")
    runs: int
    failures: int
