"""What the state store knows of an access violation: whether it was resolved.

Violations themselves are findings in the lake (`access.violations_store`), written once
and never changed; their resolution (who, when, how, a note) is state, kept here by the
violation's id. A violation with no row is open.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from watchkeeper.store.models.base import Base

RESOLUTIONS = ("remediated", "authorized", "false_positive")


class ViolationResolution(Base):
    """The resolution of violation `violation_id`: `resolution` (one of `RESOLUTIONS`),
    who and when, and a note."""

    __tablename__ = "access_violation_resolutions"
    __table_args__ = (CheckConstraint(
        f"resolution IN ({', '.join(repr(r) for r in RESOLUTIONS)})", name="resolution"),)

    violation_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    resolution: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text)
    resolved_by: Mapped[str] = mapped_column(String(200))
    resolved_at: Mapped[datetime]
