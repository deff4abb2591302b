"""Access governance in the store: requests for access to user data, their approvals,
the grants approvals made, and the log of every authorization decision.

A request names who it is for (`principal`, an HR user id), one action on one resource,
a purpose, a justification, a ticket and a duration; it is pending until enough
approvers other than its requester approve it (it then becomes a grant) or one denies
it. A grant runs from its approval for the request's duration; revoking it early keeps
the row (who, when, why). A decision row is what `authorize` answered, with the policies
that decided and the grant it used; rows are written in batches.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from watchkeeper.store.models.base import Base, utcnow

ACTIONS = ("read", "export", "delete")
REQUEST_STATUSES = ("pending", "approved", "denied")
DECISIONS = ("allow", "deny")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class AccessRequest(Base):
    """A request for one action on one resource, for a purpose and a while."""

    __tablename__ = "access_requests"
    __table_args__ = (CheckConstraint(_one_of("action", ACTIONS), name="action"),
                      CheckConstraint(_one_of("status", REQUEST_STATUSES), name="status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    principal: Mapped[str] = mapped_column(String(200), index=True)
    action: Mapped[str] = mapped_column(String(16))
    resource: Mapped[str] = mapped_column(String(500))
    purpose: Mapped[str] = mapped_column(String(100))
    justification: Mapped[str] = mapped_column(Text)
    ticket: Mapped[str | None] = mapped_column(String(200))
    duration_seconds: Mapped[int] = mapped_column(Integer)
    requester: Mapped[str] = mapped_column(String(200))
    requested_by: Mapped[str] = mapped_column(String(200))
    approvals_base: Mapped[int] = mapped_column(Integer)
    approvals_needed: Mapped[int] = mapped_column(Integer)
    needs_why: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(16), index=True)
    decided_at: Mapped[datetime | None]
    denied_by: Mapped[str | None] = mapped_column(String(200))
    deny_reason: Mapped[str | None] = mapped_column(Text)


class AccessApproval(Base):
    """One approver's yes to a request: the employee and the account or OS user."""

    __tablename__ = "access_approvals"
    __table_args__ = (Index(None, "request_id", "approver", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("access_requests.id",
                                                       ondelete="CASCADE"))
    approver: Mapped[str] = mapped_column(String(200))
    approved_by: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class AccessGrant(Base):
    """What an approved request allows, from `starts_at` until `expires_at` or its
    revocation, whichever comes first."""

    __tablename__ = "access_grants"
    __table_args__ = (Index(None, "principal", "action", "resource"),
                      CheckConstraint(_one_of("action", ACTIONS), name="action"))

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("access_requests.id",
                                                       ondelete="CASCADE"), unique=True)
    principal: Mapped[str] = mapped_column(String(200))
    principal_region: Mapped[str | None] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(16))
    resource: Mapped[str] = mapped_column(String(500))
    purpose: Mapped[str] = mapped_column(String(100))
    ticket: Mapped[str | None] = mapped_column(String(200))
    approvals: Mapped[int] = mapped_column(Integer)
    needed: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[str | None] = mapped_column(String(200))
    revoke_reason: Mapped[str | None] = mapped_column(Text)
    ended_audited: Mapped[bool] = mapped_column(default=False)


class AccessDecision(Base):
    """One answer of `authorize`: who asked for what, allow or deny, and why."""

    __tablename__ = "access_decisions"
    __table_args__ = (Index(None, "principal", "at"), Index(None, "resource", "at"),
                      CheckConstraint(_one_of("decision", DECISIONS), name="decision"))

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    principal: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(16))
    resource: Mapped[str] = mapped_column(String(500))
    purpose: Mapped[str | None] = mapped_column(String(100))
    ticket: Mapped[str | None] = mapped_column(String(200))
    decision: Mapped[str] = mapped_column(String(8))
    policies: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    grant_id: Mapped[int | None]
    risk: Mapped[str] = mapped_column(String(16))
    caller: Mapped[str] = mapped_column(String(200))
