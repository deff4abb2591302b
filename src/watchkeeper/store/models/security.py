"""Accounts, teams, credentials and the records the security package keeps: the keyed
hash-chained audit log, its checkpoints, and pseudonym reveals."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from watchkeeper.store.models.base import Base, utcnow

ACCOUNT = "accounts.id"
TEAM = "teams.id"
CASCADE = "CASCADE"


class Account(Base):
    """A person or service that signs in; `password_hash` is None for token-only accounts.
    `person` is the lake user id of the human behind it (recusal: security.recusal)."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    role: Mapped[str] = mapped_column(String(32))
    password_hash: Mapped[str | None] = mapped_column(String(500))
    disabled: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    person: Mapped[str | None] = mapped_column(String(200), index=True)


class Team(Base):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TeamMember(Base):
    __tablename__ = "team_members"

    team_id: Mapped[int] = mapped_column(ForeignKey(TEAM, ondelete=CASCADE),
                                         primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey(ACCOUNT, ondelete=CASCADE),
                                            primary_key=True, index=True)


class TeamRegion(Base):
    """A region whose alerts and cases a team handles."""

    __tablename__ = "team_regions"

    team_id: Mapped[int] = mapped_column(ForeignKey(TEAM, ondelete=CASCADE),
                                         primary_key=True)
    region: Mapped[str] = mapped_column(String(100), primary_key=True, index=True)


class ApiToken(Base):
    """An API token; only its hash is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey(ACCOUNT, ondelete=CASCADE),
                                            index=True)
    label: Mapped[str] = mapped_column(String(200))
    hash: Mapped[str] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used: Mapped[datetime | None]
    revoked: Mapped[bool] = mapped_column(default=False)


class BrowserSession(Base):
    """A signed-in browser; the cookie's value is never stored, only its hash."""

    __tablename__ = "sessions"

    id_hash: Mapped[str] = mapped_column(String(128), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey(ACCOUNT, ondelete=CASCADE),
                                            index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class AuditEntry(Base):
    """One audited action. `seq` is assigned by the audit log (no gaps), `hash` is the
    keyed hash over the entry and `prev_hash`."""

    __tablename__ = "audit_entries"
    __table_args__ = (Index(None, "object_type", "object_id"),)

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(200), index=True)
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str | None] = mapped_column(String(200))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prev_hash: Mapped[str] = mapped_column(String(128))
    hash: Mapped[str] = mapped_column(String(128))


class AuditCheckpoint(Base):
    """The chain's hash at `seq`, recorded so a truncated log is detected."""

    __tablename__ = "audit_checkpoints"

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    hash: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Reveal(Base):
    """Who saw the real identity behind a pseudonym, whose, and why."""

    __tablename__ = "reveals"

    id: Mapped[int] = mapped_column(primary_key=True)
    who: Mapped[str] = mapped_column(String(200), index=True)
    whom: Mapped[str] = mapped_column(String(200), index=True)
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)
