"""Playbook runs and their steps: what a playbook triggered on, each step's attempts,
last error, next attempt and result. A run is queued in the transaction that stored
what triggered it (an alert, a case, an SLA breach, a watchlist entry), so it is never
lost; a step that failed for good stays ``failed`` with its error."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from watchkeeper.store.models.base import Base, utcnow

RUN_STATUSES = ("pending", "running", "succeeded", "failed")
STEP_STATUSES = ("pending", "succeeded", "failed", "skipped")
SET_NULL = "SET NULL"


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class PlaybookRun(Base):
    """One run of a playbook on one trigger; `key` (``alert:12``, ``case:4``,
    ``sla:4:acknowledge``, ``watchlist:9``) runs a playbook once per trigger."""

    __tablename__ = "playbook_runs"
    __table_args__ = (UniqueConstraint("playbook", "key"),
                      CheckConstraint(_one_of("status", RUN_STATUSES), name="status"),
                      Index(None, "status", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    playbook: Mapped[str] = mapped_column(String(100))
    version: Mapped[str] = mapped_column(String(64))
    trigger: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(200))
    alert_id: Mapped[int | None] = mapped_column(
        ForeignKey("alerts.id", ondelete=SET_NULL), index=True)
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id", ondelete=SET_NULL), index=True)
    person: Mapped[str | None] = mapped_column(String(200))
    context: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]


class PlaybookStep(Base):
    """One step of a run, as the playbook said when the run was queued (`spec`); its
    `attempts`, `last_error`, the time of its next attempt (`due_at`) and `output`."""

    __tablename__ = "playbook_steps"
    __table_args__ = (UniqueConstraint("run_id", "position"),
                      CheckConstraint(_one_of("status", STEP_STATUSES), name="status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("playbook_runs.id", ondelete="CASCADE"))
    position: Mapped[int]
    action: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    spec: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=1)
    due_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    output: Mapped[dict[str, Any] | None]
    finished_at: Mapped[datetime | None]
