"""Cases and what hangs off them: events (the timeline), tasks, notes, links, access."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from watchkeeper.store.models.base import Base, utcnow

CASE = "cases.id"
CASCADE = "CASCADE"
LINK_KINDS = ("person", "host", "observable")


class Case(Base):
    """An investigation. A `restricted` case is visible only to the accounts in
    `case_access` (and the roles the security package says may see all)."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(32), index=True)
    severity: Mapped[int] = mapped_column(index=True)
    priority: Mapped[str | None] = mapped_column(String(32))
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), index=True)
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL"), index=True)
    verdict: Mapped[str | None] = mapped_column(String(64))
    restricted: Mapped[bool] = mapped_column(default=False)
    summary: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow,
                                                 index=True)


class CaseEvent(Base):
    """One change to a case, for its timeline: who did what, the values before and after."""

    __tablename__ = "case_events"
    __table_args__ = (Index(None, "case_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey(CASE, ondelete=CASCADE))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]


class CaseTask(Base):
    __tablename__ = "case_tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey(CASE, ondelete=CASCADE), index=True)
    title: Mapped[str] = mapped_column(Text)
    done: Mapped[bool] = mapped_column(default=False)
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None]


class CaseNote(Base):
    """A note in Markdown."""

    __tablename__ = "case_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey(CASE, ondelete=CASCADE), index=True)
    author: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CaseLink(Base):
    """A person, host or observable a case is about; indexed so a person's cases list fast."""

    __tablename__ = "case_links"
    __table_args__ = (UniqueConstraint("case_id", "kind", "value"),
                      Index(None, "kind", "value"),
                      CheckConstraint("kind IN ('person', 'host', 'observable')",
                                      name="kind"))

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey(CASE, ondelete=CASCADE))
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(1000))


class CaseAccess(Base):
    """An account allowed to see a restricted case."""

    __tablename__ = "case_access"

    case_id: Mapped[int] = mapped_column(ForeignKey(CASE, ondelete=CASCADE),
                                         primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete=CASCADE),
                                            primary_key=True, index=True)
