"""Legal holds: a person's data over a span of days that retention must not remove.

A hold names a person (user id), the first and last day it covers (inclusive; no last
day: open-ended), why, who placed it and, once a case sets holds, the case. Releasing a
hold keeps the row (who, when): a purge after the release may then remove the data.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from watchkeeper.store.models.base import Base, utcnow


class LegalHold(Base):
    """Keep `person`'s lake rows from `since` to `until` (inclusive) out of every purge."""

    __tablename__ = "legal_holds"
    __table_args__ = (Index(None, "person", "released_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person: Mapped[str] = mapped_column(String(200))
    since: Mapped[date]
    until: Mapped[date | None]
    reason: Mapped[str] = mapped_column(Text)
    case_ref: Mapped[str | None] = mapped_column(String(200))
    placed_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    released_at: Mapped[datetime | None]
    released_by: Mapped[str | None] = mapped_column(String(200))
