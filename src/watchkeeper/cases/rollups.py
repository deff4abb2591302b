"""Keeping `AlertRollup` (alerts, open, suppressed per day, severity, source and region)
right in the transactions that write alerts, and rebuilding it from the alerts.

Whatever writes an alert notes each row's state before and after in a `Deltas`
(`Deltas.add`); `apply` then adds the differences to the rollup in one upsert
statement (``INSERT .. ON CONFLICT DO UPDATE``, both stores), in the writer's
transaction: the counts move with the alerts or not at all. The intake
(`cases.alerts`) and marking alerts suppressed (`cases.suppression.mark_alerts`) do so;
a case's status lives on the case, not its alerts, so resolving one moves no count.
`rebuild` recomputes the table from the alerts (`watchkeeper db rollups --rebuild`,
and the migration that adds it).

`Deltas.alert` and `apply` keep the metrics rollups (`cases.metricsrollup`) in the
same step: a writer that notes an alert's state before and after through `Deltas.alert`
keeps both right with that one call and one `apply`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import Table, delete, func, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from watchkeeper.cases import metricsrollup
from watchkeeper.cases.metricsrollup import MetricDeltas, values_of
from watchkeeper.store.models import Alert, AlertRollup

OPEN_STATUSES = ("new", "in_progress", "unknown", "other")
ROLLUPS = cast(Table, AlertRollup.__table__)
RollupKey = tuple[date, int, str, str]   # day, severity, source, region ("" for none)


@dataclass(frozen=True)
class RollupStats:
    """The rollup's rows, the alerts they count, the alerts stored (equal unless
    something wrote alerts past the intake), and whether it was rebuilt just now."""

    rows: int
    alerts: int
    stored: int
    rebuilt: bool = False


def key_of(event_time: datetime, severity: int, source: str,
           region: str | None) -> RollupKey:
    when = event_time.astimezone(UTC) if event_time.tzinfo else event_time
    return (when.date(), int(severity), source, region or "")


def state_of(status: str, suppressed_by: int | None) -> tuple[int, int, int]:
    """(alerts, open, suppressed) one alert adds."""
    suppressed = suppressed_by is not None
    return (1, int(not suppressed and status in OPEN_STATUSES), int(suppressed))


class Deltas:
    """Count changes not applied yet, by rollup key."""

    def __init__(self) -> None:
        self.by_key: dict[RollupKey, list[int]] = {}
        self.metrics = MetricDeltas()

    def add(self, key: RollupKey, state: tuple[int, int, int], sign: int = 1) -> None:
        counts = self.by_key.setdefault(key, [0, 0, 0])
        for i, n in enumerate(state):
            counts[i] += sign * n

    def alert(self, row: Any, sign: int = 1, **changed: Any) -> None:
        """Add (or, `sign` -1, take away) an alert row (an `Alert`, a row with its
        columns or a mapping of them), with the columns `changed` put over it, to
        this rollup and the metrics rollups."""
        values = values_of(row, status=_get(row, "status"), **changed)
        self.add(key_of(values["event_time"], values["severity"], values["source"],
                        values["region"]),
                 state_of(values["status"], values["suppressed_by"]), sign)
        self.metrics.alert(values, sign)

    def rows(self) -> list[dict[str, Any]]:
        return [{"day": k[0], "severity": k[1], "source": k[2], "region": k[3],
                 "alerts": a, "open": o, "suppressed": s}
                for k, (a, o, s) in sorted(self.by_key.items()) if a or o or s]


def _get(row: Any, name: str) -> Any:
    if isinstance(row, Mapping):
        return row.get(name)
    return getattr(row, name)


def apply(session: Session, deltas: Deltas) -> int:
    """Add `deltas` to the rollup and the metrics rollups in `session`'s transaction:
    one statement a table. Returns the rows touched."""
    touched = metricsrollup.apply(session, deltas.metrics)
    values = deltas.rows()
    if not values:
        return touched
    session.connection().execute(_upsert(session.get_bind().dialect.name), values)
    deltas.by_key.clear()
    return touched + len(values)


@cache
def _upsert(dialect: str) -> Any:
    """The upsert of `apply`, built once per dialect: building it (its ``excluded``
    alias copies every column) cost more than running it, once per intake transaction."""
    ins = postgresql.insert(ROLLUPS) if dialect == "postgresql" else sqlite.insert(ROLLUPS)
    return ins.on_conflict_do_update(
        index_elements=["day", "severity", "source", "region"],
        set_={name: ROLLUPS.c[name] + ins.excluded[name]
              for name in ("alerts", "open", "suppressed")})


def rebuild(session: Session) -> RollupStats:
    """Recompute the rollup from the alerts, in `session`'s transaction (one aggregate
    insert after emptying the table), and the metrics rollups."""
    dialect = session.get_bind().dialect.name
    session.execute(delete(ROLLUPS))
    session.execute(text(rebuild_sql(dialect)))
    metricsrollup.rebuild(session)
    found = stats(session)
    return RollupStats(found.rows, found.alerts, found.stored, rebuilt=True)


def stats(session: Session) -> RollupStats:
    """The rollup's size and the alerts it counts, against the alerts stored."""
    rows, alerts = session.execute(
        select(func.count(), func.coalesce(func.sum(ROLLUPS.c.alerts), 0))).one()
    stored = session.scalar(select(func.count(Alert.id))) or 0
    return RollupStats(int(rows), int(alerts), int(stored))


def rebuild_sql(dialect: str) -> str:
    """One ``INSERT .. SELECT`` filling an empty rollup from the alerts (the migration
    runs it too)."""
    day = ("CAST((event_time AT TIME ZONE 'UTC') AS DATE)" if dialect == "postgresql"
           else "date(event_time)")
    waiting = ", ".join(f"'{s}'" for s in OPEN_STATUSES)
    return (
        "INSERT INTO alert_rollups (day, severity, source, region, alerts, open, "
        "suppressed) "
        f"SELECT {day}, severity, source, COALESCE(region, ''), COUNT(*), "
        f"SUM(CASE WHEN suppressed_by IS NULL AND status IN ({waiting}) THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN suppressed_by IS NOT NULL THEN 1 ELSE 0 END) "
        f"FROM alerts GROUP BY {day}, severity, source, COALESCE(region, '')")


def counts(session: Session) -> dict[RollupKey, tuple[int, int, int]]:
    """The rollup as it stands (rows with anything counted), for tests and checks."""
    found: dict[RollupKey, tuple[int, int, int]] = {}
    for r in session.scalars(select(AlertRollup)):
        if r.alerts or r.open or r.suppressed:
            day = r.day if isinstance(r.day, date) else date.fromisoformat(str(r.day)[:10])
            found[(day, r.severity, r.source, r.region)] = (r.alerts, r.open, r.suppressed)
    return found


def alert_rows(session: Session, ids: Iterable[int]) -> list[Any]:
    """The columns the rollups' keys and states need, of alerts `ids`."""
    wanted = sorted(set(ids))
    return list(session.execute(
        select(Alert.event_time, Alert.severity, Alert.source, Alert.region,
               Alert.status, *(getattr(Alert, n) for n in metricsrollup.COLUMNS
                               if n not in ("event_time", "severity", "source", "region")))
        .where(Alert.id.in_(wanted))))


__all__ = ["OPEN_STATUSES", "Deltas", "RollupKey", "RollupStats", "alert_rows", "apply",
           "counts", "key_of", "rebuild", "rebuild_sql", "state_of",
           "stats"]
