"""What was known about a person on each day: HR status, role, watchlists, data touched.

Everything here reads the people *history*: the row valid on a day carries only the facts
HR knew that day (a notice date shows from the day it was recorded). As a second guard a
notice date later than the day is ignored, so a future date can never raise risk.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from watchkeeper.risk.config import RiskConfig
from watchkeeper.risk.feedback import Watch, watch_factors


@dataclass(frozen=True)
class Grid:
    """The person-day grid every array is laid on: users by consecutive days."""

    users: tuple[str, ...]
    first: dt.date
    days: int

    def index(self) -> dict[str, int]:
        return {u: i for i, u in enumerate(self.users)}

    def day(self, i: int) -> dt.date:
        return self.first + dt.timedelta(days=i)

    def col(self, day: dt.date) -> int:
        return (day - self.first).days

    def span(self, start: dt.date | None, stop: dt.date | None) -> slice:
        """Columns of [start, stop) clipped to the grid (None = open end)."""
        lo = 0 if start is None else min(max(self.col(start), 0), self.days)
        hi = self.days if stop is None else min(max(self.col(stop), 0), self.days)
        return slice(lo, max(lo, hi))


@dataclass(frozen=True)
class PersonContext:
    """Per person-day flags and modifier factors (arrays of shape users x days)."""

    present: np.ndarray
    leaving: np.ndarray
    privileged: np.ndarray
    watch_factor: np.ndarray
    notices: dict[str, dt.date]

    def factor(self, config: RiskConfig) -> np.ndarray:
        """The product of HR, role and watchlist modifiers."""
        out = np.where(self.leaving, config.leaving_factor, 1.0)
        out = out * np.where(self.privileged, config.privileged_factor, 1.0)
        return np.asarray(out * self.watch_factor, dtype=np.float64)


def person_context(people: pa.Table, grid: Grid, config: RiskConfig,
                   watches: Sequence[Watch] = ()) -> PersonContext:
    """Flags and factors per person-day from the people history and the watchlist
    entries (HR's and the analysts', `watchkeeper.risk.feedback`)."""
    shape = (len(grid.users), grid.days)
    known = people.num_rows > 0
    ctx = PersonContext(np.full(shape, not known), np.zeros(shape, bool),
                        np.zeros(shape, bool),
                        watch_factors(watches, grid.users, grid.first, grid.days, config), {})
    index = grid.index()
    role_re = re.compile("|".join(config.privileged_roles) or "(?!)", re.IGNORECASE)
    for row in people.to_pylist():
        i = index.get(row["user"])
        if i is not None:
            _apply_row(ctx, grid, i, row, role_re, config)
    return ctx


def _apply_row(ctx: PersonContext, grid: Grid, i: int, row: dict[str, Any],
               role_re: re.Pattern[str], config: RiskConfig) -> None:
    valid = grid.span(row["valid_from"], row["valid_to"])
    start, end = row.get("employment_start"), row.get("end_date")
    employed = grid.span(start if start and start > row["valid_from"] else row["valid_from"],
                         min(end + dt.timedelta(days=1), row["valid_to"] or dt.date.max)
                         if end else row["valid_to"])
    ctx.present[i, employed] = True
    if row.get("role") and role_re.search(row["role"]):
        ctx.privileged[i, valid] = True
    notice = row.get("notice_date")
    if notice is not None:
        seen = max(notice, row["valid_from"])
        ctx.leaving[i, grid.span(seen, row["valid_to"])] = True
        if row["user"] not in ctx.notices or seen < ctx.notices[row["user"]]:
            ctx.notices[row["user"]] = seen
    if end is not None:
        soon = end - dt.timedelta(days=config.leaving_soon_days)
        lo = max(soon, row["valid_from"])
        hi = min(end + dt.timedelta(days=1), row["valid_to"] or dt.date.max)
        ctx.leaving[i, grid.span(lo, hi)] = True


def sensitivity_factor(touched: pa.Table | None, grid: Grid, config: RiskConfig) -> np.ndarray:
    """Per person-day factor of the most sensitive data touched (1.0 when none)."""
    out = np.ones((len(grid.users), grid.days))
    if touched is None or touched.num_rows == 0:
        return out
    index = grid.index()
    names, inverse = np.unique(np.asarray(touched["user"].fill_null("").to_pylist(),
                                          dtype=object), return_inverse=True)
    at = np.asarray([index.get(u, -1) for u in names], dtype=np.int64)[inverse.reshape(-1)]
    days = np.asarray(touched["day"].cast(pa.int32()).to_numpy(zero_copy_only=False),
                      dtype=np.int64)
    col = days - (grid.first - dt.date(1970, 1, 1)).days
    levels = touched["sensitivity"].to_pylist()
    factor = np.asarray([config.sensitivity_factors.get(v.lower(), 1.0) if v else 1.0
                         for v in levels], dtype=np.float64)
    ok = (at >= 0) & (col >= 0) & (col < grid.days)
    np.maximum.at(out, (at[ok], col[ok]), factor[ok])
    return out
