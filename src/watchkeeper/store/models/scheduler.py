"""The scheduler's state: one row per job (schedule, outcome, lease), and the files
drop folders have taken in (so a file is read once)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from watchkeeper.store.models.base import Base


class SchedulerJob(Base):
    """One job: when it last ran and how that went, when it runs next, and who holds it.

    `lease_holder` and `lease_expires` are the lease: a scheduler runs the job only after
    taking it in one conditional UPDATE (free, or expired), so two schedulers on one store
    never run it at once; a crashed holder's lease runs out. `attempts` counts failures in
    a row (the back-off grows with it); `cursor` is the job's own bookmark (what it has
    already done)."""

    __tablename__ = "scheduler_jobs"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    next_run: Mapped[datetime] = mapped_column(index=True)
    last_start: Mapped[datetime | None]
    last_end: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(16))
    summary: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    runs: Mapped[int] = mapped_column(default=0)
    failures: Mapped[int] = mapped_column(default=0)
    lease_holder: Mapped[str | None] = mapped_column(String(200))
    lease_expires: Mapped[datetime | None]
    cursor: Mapped[dict[str, Any]] = mapped_column(default=dict)


class IngestedFile(Base):
    """A file a drop folder took in (or refused), as it was then: a file whose size or
    modification time changes is taken in again; one that stays the same is not re-read."""

    __tablename__ = "ingested_files"

    path: Mapped[str] = mapped_column(String(1000), primary_key=True)
    folder: Mapped[str] = mapped_column(String(1000), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    mtime_ns: Mapped[int] = mapped_column(BigInteger)
    seen_at: Mapped[datetime]
    outcome: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(Text)
    commit: Mapped[int | None]
