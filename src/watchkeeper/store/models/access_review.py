"""Entitlement reviews in the store: a campaign is a snapshot of who could reach which
user data, and through what (a policy or a grant), taken when it started; a reviewer
keeps or revokes each entitlement. Revoking a grant's entitlement revokes the grant in
the same transaction; a policy's entitlement cannot be revoked person by person, so its
"revoke" is recorded as a policy change to make (`effect`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from watchkeeper.store.models.base import Base, utcnow

REVIEW_STATUSES = ("open", "closed")
VIA = ("policy", "grant")
OUTCOMES = ("keep", "revoke")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class AccessReview(Base):
    """One review campaign: its name, scope, who started and closed it."""

    __tablename__ = "access_reviews"
    __table_args__ = (CheckConstraint(_one_of("status", REVIEW_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    scope: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), index=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_by: Mapped[str] = mapped_column(String(200))
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(200))


class AccessReviewItem(Base):
    """One entitlement of a campaign and, once reviewed, the outcome and who gave it."""

    __tablename__ = "access_review_items"
    __table_args__ = (
        Index(None, "review_id", "principal"),
        CheckConstraint(_one_of("via", VIA), name="via"),
        CheckConstraint("outcome IS NULL OR " + _one_of("outcome", OUTCOMES), name="outcome"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("access_reviews.id", ondelete="CASCADE"))
    principal: Mapped[str] = mapped_column(String(200))
    principal_region: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(16))
    resource: Mapped[str] = mapped_column(String(500))
    resource_region: Mapped[str] = mapped_column(String(100))
    via: Mapped[str] = mapped_column(String(16))
    grant_id: Mapped[int | None] = mapped_column(Integer)
    policies: Mapped[str] = mapped_column(Text)
    unused: Mapped[bool] = mapped_column(Boolean, default=False)
    outlier: Mapped[bool] = mapped_column(Boolean, default=False)
    outcome: Mapped[str | None] = mapped_column(String(16))
    effect: Mapped[str | None] = mapped_column(Text)
    reviewer: Mapped[str | None] = mapped_column(String(200))
    reviewed_by: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None]
