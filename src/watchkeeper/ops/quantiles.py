"""Exact median and 90th percentile of a column of seconds, computed by the store.

Both are the linear interpolation between the two closest ranks (PostgreSQL's
``percentile_cont``, NumPy's default, `statistics.median` for the median): for `n`
sorted values the quantile `q` sits at position (n - 1) q. PostgreSQL computes it with
``percentile_cont``; SQLite, which has no such aggregate, numbers the sorted values
with a window and returns only the (at most four) rows either side of the positions.
Nothing but those rows leaves the store.

`seconds(later, earlier)` is the difference of two time columns in seconds on either
store (SQLite keeps UTC wall times as text: ``julianday``, rounded to the millisecond
its double precision holds).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Float, Integer, Select, cast, func, or_, select
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
    return func.round((func.julianday(later) - func.julianday(earlier)) * 86400.0, 3)


def spread(session: Session, values: Select[Any]) -> Spread:
    """The spread of the single column `values` selects (NULLs left out)."""
    inner = values.subquery()
    x = inner.c[0]
    if session.get_bind().dialect.name == "postgresql":
        row = session.execute(select(func.count(x), *(
            func.percentile_cont(q).within_group(x) for q in QUANTILES))).one()
        n = int(row[0])
        return Spread(n, *(float(v) if v is not None else None for v in row[1:]))
    ranked = select(x.label("x"), func.row_number().over(order_by=x).label("rn"),
                    func.count().over().label("n")).where(x.is_not(None)).subquery()
    rows = session.execute(select(ranked.c.rn, ranked.c.x, ranked.c.n)
                           .where(_near(ranked.c.rn, ranked.c.n))).all()
    if not rows:
        return Spread(0, None, None)
    n = int(rows[0][2])
    by_rank = {int(rn) - 1: float(v) for rn, v, _ in rows}
    return Spread(n, *(_at(by_rank, n, q) for q in QUANTILES))


def _near(rn: ColumnElement[int], n: ColumnElement[int]) -> ColumnElement[bool]:
    """Rows at 0-based positions floor((n-1)q) and the one after, for each quantile."""
    positions = [cast((n - 1) * q, Integer) for q in QUANTILES]
    return or_(*(rn - 1 == p for p in positions), *(rn - 1 == p + 1 for p in positions))


def _at(by_rank: dict[int, float], n: int, q: float) -> float:
    pos = (n - 1) * q
    low = math.floor(pos)
    below = by_rank[low]
    above = by_rank.get(low + 1, below)
    return below + (above - below) * (pos - low)


def of_values(values: list[float]) -> Spread:
    """The same spread of values already in memory (a few hundred at most)."""
    if not values:
        return Spread(0, None, None)
    ordered = sorted(values)
    n = len(ordered)
    by_rank = dict(enumerate(ordered))
    return Spread(n, *(_at(by_rank, n, q) for q in QUANTILES))


__all__ = ["QUANTILES", "Spread", "of_values", "seconds", "spread"]
