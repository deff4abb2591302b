"""Exact median and 90th percentile of a column of seconds, computed by the store.

Both are the linear interpolation between the two closest ranks (PostgreSQL's
``percentile_cont``, NumPy's default, `statistics.median` for the median): for `n`
sorted values the quantile `q` sits at position (n - 1) q. PostgreSQL computes it with
``percentile_cont``. SQLite has no such aggregate: it computes the durations and Python
picks the order statistics from them. A window numbering the sorted values in SQLite
(``row_number() OVER (ORDER BY x)``, returning only the rows either side of the
positions) took 0.79 s per 100,000 durations where reading them and sorting in Python
took 0.30 s (docs/benchmarks.md, "Metrics").

`seconds(later, earlier)` is the difference of two time columns in seconds on either
store (SQLite keeps UTC wall times as text: ``julianday``, rounded to the millisecond
its double precision holds).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Float, Select, cast, func, literal_column, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

QUANTILES = (0.5, 0.9)


@dataclass(frozen=True)
class Spread:
    """How many values, their median and 90th percentile (None without values)."""

    count: int
    median: float | None
    p90: float | None


def seconds(dialect: str, later: Any, earlier: Any) -> ColumnElement[float]:
    """`later - earlier` in seconds, as a SQL expression of `dialect`."""
    if dialect == "postgresql":
        return cast(func.extract("epoch", later - earlier), Float)
    # literal constants, not bound parameters: SQLite uses an index on this expression
    # (``ix_alerts_detect``) only when the query spells it the same way
    return func.round((func.julianday(later) - func.julianday(earlier))
                      * literal_column("86400.0"), literal_column("3"))


def spread(session: Session, values: Select[Any]) -> Spread:
    """The spread of the single column `values` selects (NULLs left out)."""
    inner = values.subquery()
    x = inner.c[0]
    if session.get_bind().dialect.name == "postgresql":
        row = session.execute(select(func.count(x), *(
            func.percentile_cont(q).within_group(x) for q in QUANTILES))).one()
        n = int(row[0])
        return Spread(n, *(float(v) if v is not None else None for v in row[1:]))
    found = sorted(float(v) for v in session.scalars(select(x).where(x.is_not(None))))
    return of_values(found, ordered=True)


def ranked(session: Session, values: Select[Any], x: ColumnElement[Any],
           count: int | None = None) -> Spread:
    """The spread of `x` over the rows `values` selects (NULLs left out), when an index
    serves `values` in order of `x`: the count (`count` when the caller knows it), then
    at each quantile's position the two values either side (``ORDER BY x LIMIT 2
    OFFSET k``), walked in the index rather than read and sorted. The same figures as
    `spread`."""
    if session.get_bind().dialect.name == "postgresql":
        return spread(session, values.with_only_columns(x))
    present = values.where(x.is_not(None))
    n = count if count is not None else int(
        session.scalar(present.with_only_columns(func.count())) or 0)
    if n == 0:
        return Spread(0, None, None)
    found: list[float] = []
    for q in QUANTILES:
        pos = (n - 1) * q
        low = math.floor(pos)
        pair = [float(v) for v in session.scalars(
            present.with_only_columns(x).order_by(x).limit(2).offset(low))]
        above = pair[1] if len(pair) > 1 else pair[0]
        found.append(pair[0] + (above - pair[0]) * (pos - low))
    return Spread(n, *found)


def _at(ordered: list[float], n: int, q: float) -> float:
    pos = (n - 1) * q
    low = math.floor(pos)
    below = ordered[low]
    above = ordered[low + 1] if low + 1 < n else below
    return below + (above - below) * (pos - low)


def of_values(values: list[float], *, ordered: bool = False) -> Spread:
    """The same spread of values in memory (`ordered`: sorted already)."""
    if not values:
        return Spread(0, None, None)
    ordered_values = values if ordered else sorted(values)
    n = len(ordered_values)
    return Spread(n, *(_at(ordered_values, n, q) for q in QUANTILES))


__all__ = ["QUANTILES", "Spread", "of_values", "ranked", "seconds", "spread"]
