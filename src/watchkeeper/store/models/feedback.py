"""Analyst feedback kept in the store: watchlists and allow-list proposals.

A watchlist entry puts a person on a named list, from a day and until a day (inclusive;
None: until removed), with its origin (``hr`` or ``analyst``), who and why; removing
one keeps the row (``removed_at``), so what risk scored on remains explainable. An
allow-list proposal is what a false-positive verdict suggests (a rule and a person or
host to stop alerting on); a lead accepts it (it becomes a suppression with an expiry)
or rejects it. Nothing here takes effect without a person's decision.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from watchkeeper.store.models.base import Base, utcnow

ORIGINS = ("hr", "analyst")
PROPOSAL_FIELDS = ("subject", "host")
PROPOSAL_STATUSES = ("pending", "accepted", "rejected")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class WatchlistEntry(Base):
    """A person on a watchlist: a risk modifier from `since` to `until` (inclusive)."""

    __tablename__ = "watchlist_entries"
    __table_args__ = (Index(None, "person", "watchlist"),
                      CheckConstraint(_one_of("origin", ORIGINS), name="origin"))

    id: Mapped[int] = mapped_column(primary_key=True)
    person: Mapped[str] = mapped_column(String(200))
    watchlist: Mapped[str] = mapped_column(String(100))
    origin: Mapped[str] = mapped_column(String(16))
    added_by: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    since: Mapped[date]
    until: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    removed_at: Mapped[datetime | None]
    removed_by: Mapped[str | None] = mapped_column(String(200))


class AllowProposal(Base):
    """An allow-list entry a false-positive verdict proposed: stop alerting on `rule`
    for one `field` value (a person or host) once a lead accepts it."""

    __tablename__ = "allow_proposals"
    __table_args__ = (CheckConstraint(_one_of("field", PROPOSAL_FIELDS), name="field"),
                      CheckConstraint(_one_of("status", PROPOSAL_STATUSES), name="status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id", ondelete="SET NULL"), index=True)
    rule: Mapped[str] = mapped_column(String(500))
    field: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(1000))
    reason: Mapped[str] = mapped_column(Text)
    proposer: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(16), index=True)
    reviewer: Mapped[str | None] = mapped_column(String(200))
    reviewed_at: Mapped[datetime | None]
    review_note: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime | None]
    suppression_id: Mapped[int | None] = mapped_column(
        ForeignKey("suppressions.id", ondelete="SET NULL"))
