"""Keeping the metrics rollups (`MetricsRollup`, `DetectRollup`) right as alerts arrive
and change, and rebuilding them from the alerts: what `ops.metrics` reads for the whole
days of a period instead of every alert received in them.

Per UTC day of receipt and region: for each rule, source and severity, the alerts
received, suppressed, in a case and with a known detection time; and a histogram of
detection times (`received_at` minus the first event, for an alert whose first event
is before its arrival). The histogram has `BUCKETS_PER_DOUBLING` buckets per doubling
of the time: bucket 0 holds times under a second, bucket k >= 1 the times in
[2^((k-1)/B), 2^(k/B)) seconds. A quantile read from it (`quantile`) is, as the exact
one, between the values ranked either side of its position, each estimated in its own
bucket (the bucket's values spread evenly over it): each off by less than its bucket's
width, 2^(1/B) - 1 of its lower edge, so the quantile is off by less than that share
of the exact value (2.2% at B = 32), or a second for times under a second.

`cases.rollups.Deltas` notes each alert row's state before and after a change and
`cases.rollups.apply` adds the differences here too, in the writer's transaction, one
upsert per table. The writers: the intake (new alerts, an alert sent again with changed
content), marking alerts suppressed, and putting alerts in a case
(`cases.records.attach_alerts`). Nothing else changes these columns of an alert, and
nothing deletes alerts; a case's status and team live on the case (the metrics read
those from the cases).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, date, datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import Table, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from watchkeeper.store.models import Alert, DetectRollup, MetricsRollup

BUCKETS_PER_DOUBLING = 32
FACETS = ("rule", "source", "severity")
METRICS = cast(Table, MetricsRollup.__table__)
DETECT = cast(Table, DetectRollup.__table__)
COUNTS = ("alerts", "suppressed", "in_cases", "timed")
COLUMNS = ("received_at", "region", "rule_id", "rule", "source", "severity",
           "suppressed_by", "case_id", "first_seen", "event_time")
CHUNK = 50_000   # alerts read at a time by `rebuild`

FacetKey = tuple[date, str, str, str]      # day, region, facet, key
BucketKey = tuple[date, str, int]          # day, region, bucket


def bucket(seconds: float) -> int:
    """The histogram bucket of a detection time."""
    if seconds < 1.0:
        return 0
    return 1 + math.floor(math.log2(seconds) * BUCKETS_PER_DOUBLING)


def bounds(index: int) -> tuple[float, float]:
    """[low, high) seconds of a bucket."""
    if index <= 0:
        return 0.0, 1.0
    return (2.0 ** ((index - 1) / BUCKETS_PER_DOUBLING),
            2.0 ** (index / BUCKETS_PER_DOUBLING))


def region_key(region: str | None) -> str:
    """The rollup's region: ``""`` for none, ``" "`` for the empty text."""
    if region is None:
        return ""
    return region or " "


def rule_key(rule_id: str | None, rule: str | None) -> str:
    """The rule an alert counts for: its rule id, else its rule name, else ``""``."""
    return (rule if rule_id is None else rule_id) or ""


def detect_seconds(values: Mapping[str, Any]) -> float | None:
    """An alert's detection time, None when unknown (no first event before arrival)."""
    origin = values["first_seen"] if values["first_seen"] is not None \
        else values["event_time"]
    received = values["received_at"]
    if origin is None or received is None or not received > origin:
        return None
    return float((received - origin).total_seconds())


def _utc_day(when: datetime) -> date:
    return (when.astimezone(UTC) if when.tzinfo else when).date()


class MetricDeltas:
    """Metrics rollup changes not applied yet."""

    def __init__(self) -> None:
        self.facets: dict[FacetKey, list[int]] = {}
        self.buckets: dict[BucketKey, int] = {}

    def alert(self, values: Mapping[str, Any], sign: int = 1) -> None:
        """Add (or, `sign` -1, take away) an alert with these column values."""
        day = _utc_day(values["received_at"])
        region = region_key(values["region"])
        took = detect_seconds(values)
        counts = (sign, sign * (values["suppressed_by"] is not None),
                  sign * (values["case_id"] is not None), sign * (took is not None))
        for facet, key in (("rule", rule_key(values["rule_id"], values["rule"])),
                           ("source", values["source"]),
                           ("severity", str(int(values["severity"])))):
            sums = self.facets.setdefault((day, region, facet, key), [0, 0, 0, 0])
            for i, n in enumerate(counts):
                sums[i] += n
        if took is not None:
            at = (day, region, bucket(took))
            self.buckets[at] = self.buckets.get(at, 0) + sign

    def clear(self) -> None:
        self.facets.clear()
        self.buckets.clear()


def values_of(row: Any, **changed: Any) -> dict[str, Any]:
    """The columns the rollups need, of an `Alert`, a result row or a mapping, with
    `changed` put over them."""
    if isinstance(row, Mapping):
        found = {name: row.get(name) for name in COLUMNS}
    elif hasattr(row, "_mapping"):
        found = {name: row._mapping.get(name) for name in COLUMNS}
    else:
        found = {name: getattr(row, name) for name in COLUMNS}
    found.update(changed)
    return found


def apply(session: Session, deltas: MetricDeltas) -> int:
    """Add `deltas` to the rollups in `session`'s transaction (one upsert per table).
    Returns the rows touched."""
    facets = [{"day": k[0], "region": k[1], "facet": k[2], "key": k[3],
               **dict(zip(COUNTS, v, strict=True))}
              for k, v in sorted(deltas.facets.items()) if any(v)]
    buckets = [{"day": k[0], "region": k[1], "bucket": k[2], "alerts": n}
               for k, n in sorted(deltas.buckets.items()) if n]
    dialect = session.get_bind().dialect.name
    for name, rows in (("metrics", facets), ("detect", buckets)):
        if rows:
            session.connection().execute(_upsert(dialect, name), rows)
    deltas.clear()
    return len(facets) + len(buckets)


@cache
def _upsert(dialect: str, name: str) -> Any:
    """The upsert into the `name` rollup, built once per dialect (building one costs
    more than running it, and `apply` runs in every intake transaction)."""
    table, index, counts = {
        "metrics": (METRICS, ["day", "region", "facet", "key"], COUNTS),
        "detect": (DETECT, ["day", "region", "bucket"], ("alerts",))}[name]
    ins = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    return ins.on_conflict_do_update(
        index_elements=index,
        set_={c: table.c[c] + ins.excluded[c] for c in counts})


def rebuild(session: Session) -> int:
    """Recompute both rollups from the alerts in `session`'s transaction (the alerts
    read `CHUNK` at a time). Returns the alerts counted."""
    session.execute(delete(METRICS))
    session.execute(delete(DETECT))
    deltas = MetricDeltas()
    counted = 0
    result = session.execute(select(*(getattr(Alert, n) for n in COLUMNS))
                             .execution_options(yield_per=CHUNK))
    for part in result.partitions():
        for row in part:
            deltas.alert(dict(zip(COLUMNS, row, strict=True)))
        counted += len(part)
    apply(session, deltas)
    return counted


def quantile(histogram: Mapping[int, int], q: float) -> float | None:
    """Quantile `q` of the times counted in `histogram` (bucket -> how many), defined as
    `ops.quantiles` does (between the values ranked either side of (n - 1) q), each of
    those two values placed evenly among its bucket's (see the module text for the
    error)."""
    counts = sorted((b, n) for b, n in histogram.items() if n > 0)
    n = sum(c for _, c in counts)
    if n == 0:
        return None
    pos = (n - 1) * q
    low = math.floor(pos)
    below, above = _ranked(counts, low), _ranked(counts, min(low + 1, n - 1))
    return below + (above - below) * (pos - low)


def _ranked(counts: list[tuple[int, int]], rank: int) -> float:
    """The value ranked `rank` (from 0), the bucket's values spread evenly over it."""
    seen = 0
    for index, count in counts:
        if rank < seen + count:
            low, high = bounds(index)
            return low + (high - low) * (rank - seen + 0.5) / count
        seen += count
    return bounds(counts[-1][0])[1]


__all__ = ["BUCKETS_PER_DOUBLING", "FACETS", "MetricDeltas", "apply", "bounds", "bucket",
           "detect_seconds", "quantile", "rebuild", "region_key", "rule_key", "values_of"]
