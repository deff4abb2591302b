"""Planner statistics for the embedded SQLite store.

SQLite picks among a table's indexes by the statistics that only ``ANALYZE`` writes
(``sqlite_stat1``). Without them every index looks equally selective: the alert queue
filtered by a rare rule and a common status may walk the status index through a
million alerts instead of the rule's few. PostgreSQL's autovacuum keeps its statistics
up to date; SQLite has nobody to, so `refresh` runs ``ANALYZE`` when a store is opened
with at least `MIN_ALERTS` alerts and no statistics, or with twice or half as many as
when they were taken (about two seconds for a million alerts, so rarely).
"""

from __future__ import annotations

from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

MIN_ALERTS = 10_000   # below this any plan lists a page in milliseconds
STAT_OF = "SELECT stat FROM sqlite_stat1 WHERE tbl = 'alerts' AND idx = 'ix_alerts_queue'"


def refresh(engine: Engine) -> bool:
    """ANALYZE the SQLite store if its alert statistics are missing or stale; whether it
    did. A store that is locked or read-only keeps the statistics it has."""
    try:
        with engine.connect() as conn:
            alerts = conn.scalar(text("SELECT max(id) FROM alerts")) or 0
            if alerts < MIN_ALERTS:
                return False
            has_table = conn.scalar(text("SELECT count(*) FROM sqlite_master "
                                         "WHERE name = 'sqlite_stat1'"))
            stat = conn.scalar(text(STAT_OF)) if has_table else None
            counted = int(str(stat).split()[0]) if stat else 0
            if counted and counted / 2 <= alerts <= counted * 2:
                return False
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
            return True
    except OperationalError:
        return False
