"""Counts kept up to date as alerts arrive and change, so the dashboard's overview reads
a few hundred rows instead of every alert.

`AlertRollup` holds, per day (the alert's event time, UTC), severity, source and region
(``""`` for an alert without one: a primary key holds no NULL), how many alerts there
are, how many are still open (a waiting status, not suppressed) and how many are
suppressed. `cases.rollups` keeps it right in the transactions that write alerts.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from watchkeeper.store.models.base import Base


class AlertRollup(Base):
    __tablename__ = "alert_rollups"

    day: Mapped[date] = mapped_column(primary_key=True)
    severity: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(200), primary_key=True)
    region: Mapped[str] = mapped_column(String(100), primary_key=True)
    alerts: Mapped[int] = mapped_column(default=0)
    open: Mapped[int] = mapped_column(default=0)
    suppressed: Mapped[int] = mapped_column(default=0)
