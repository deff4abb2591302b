"""Counts kept up to date as alerts arrive and change, so the dashboard's overview reads
a few hundred rows instead of every alert.

`AlertRollup` holds, per day (the alert's event time, UTC), severity, source and region
(``""`` for an alert without one: a primary key holds no NULL), how many alerts there
are, how many are still open (a waiting status, not suppressed) and how many are
suppressed. `cases.rollups` keeps it right in the transactions that write alerts.

`MetricsRollup` and `DetectRollup` serve the operations metrics (`ops.metrics`), per
day the alerts were *received* (UTC) and region (``""``: none; an alert whose region is
the empty text is kept as ``" "``, which no scope names either): the first, per facet
(``rule``, ``source``, ``severity``) and its key, how many alerts were received, how
many are suppressed, in a case, and with a known detection time; the second, how many
of them took a detection time in each bucket of `cases.metricsrollup.BUCKETS_PER_DOUBLING`
buckets per doubling.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from watchkeeper.store.models.base import Base


class MetricsRollup(Base):
    __tablename__ = "metrics_rollups"

    day: Mapped[date] = mapped_column(primary_key=True)
    region: Mapped[str] = mapped_column(String(100), primary_key=True)
    facet: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(500), primary_key=True)
    alerts: Mapped[int] = mapped_column(default=0)
    suppressed: Mapped[int] = mapped_column(default=0)
    in_cases: Mapped[int] = mapped_column(default=0)
    timed: Mapped[int] = mapped_column(default=0)


class DetectRollup(Base):
    __tablename__ = "detect_rollups"

    day: Mapped[date] = mapped_column(primary_key=True)
    region: Mapped[str] = mapped_column(String(100), primary_key=True)
    bucket: Mapped[int] = mapped_column(primary_key=True)
    alerts: Mapped[int] = mapped_column(default=0)


class AlertRollup(Base):
    __tablename__ = "alert_rollups"

    day: Mapped[date] = mapped_column(primary_key=True)
    severity: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(200), primary_key=True)
    region: Mapped[str] = mapped_column(String(100), primary_key=True)
    alerts: Mapped[int] = mapped_column(default=0)
    open: Mapped[int] = mapped_column(default=0)
    suppressed: Mapped[int] = mapped_column(default=0)
