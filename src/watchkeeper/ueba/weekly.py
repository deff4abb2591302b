"""Person-week deviations: trailing 7-day sums against the person's earlier weeks and peers.

Slow scenarios (a habit growing over weeks or months) hardly move one day's features, but
they move a week's totals. For each person-day the trailing 7-day sum of every feature
(log1p) is compared with the same sums `week_gap_days`, +7, … `week_history_days` days
earlier (the gap keeps a growing trend out of its own baseline) and with the same-day
sums of the person's peers (without the person).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from watchkeeper.ueba.baselines import (
    PeerOrder,
    dense_ids,
    deviations,
    peer_feature,
    peer_order,
)
from watchkeeper.ueba.config import UebaConfig
from watchkeeper.ueba.grid import F32, F64, I64, Grid, make_grid, median_mad, trailing_sum

WEEK = 7


def week_lags(cfg: UebaConfig) -> I64:
    return np.arange(cfg.week_gap_days, cfg.week_history_days + 1, WEEK, dtype=np.int64)


@dataclass(frozen=True)
class WeekHistory:
    """Flat grid indices of each row's day and earlier weeks; NaN mask before the
    person's first complete active week."""

    grid: Grid
    today: I64          # (rows,)
    earlier: I64        # (rows, lags), -1 where outside the grid
    before_first: npt.NDArray[np.bool_]   # (P, D) cells before the first active week


def week_history(users: I64, days: I64, cfg: UebaConfig, rows: I64 | None = None,
                 first_day: I64 | None = None) -> WeekHistory:
    """The week history of `rows` (all when None) over the grid of all rows.

    `first_day` (per user code, day number) is each person's first active day when the
    rows do not reach back to it (an incremental run's look-back window)."""
    grid = make_grid(users, days)
    width = grid.shape[1]
    pick = slice(None) if rows is None else rows
    person, column = grid.person[pick], grid.column[pick]
    today = person * width + column
    lags = week_lags(cfg)
    cols = column[:, None] - lags[None, :]
    earlier = np.where(cols >= 0, person[:, None] * width + cols, -1)
    first = np.full(grid.shape[0], width, dtype=np.int64)
    np.minimum.at(first, grid.person, grid.column)
    if first_day is not None and first.size:
        first = np.minimum(first, first_day[:first.size] - grid.first_day)
    before = np.arange(width)[None, :] < first[:, None] + WEEK - 1
    return WeekHistory(grid, today, earlier, before)


def week_feature(raw_f: F64, wh: WeekHistory, po: PeerOrder,
                 cfg: UebaConfig) -> F64:
    """Combined week z of one feature: its trailing 7-day sum (log1p) against the
    person's earlier sums and the peers' sums the same day."""
    s7 = np.log1p(trailing_sum(wh.grid.dense(raw_f, fill=0.0), WEEK))
    s7[wh.before_first] = np.nan
    flat = s7.reshape(-1)
    x = flat[wh.today].astype(np.float64)
    hist = np.where(wh.earlier >= 0, flat[np.maximum(wh.earlier, 0)], np.float32(np.nan))
    med, mad, count = median_mad(hist)
    warm = count >= cfg.week_warmup
    sm = np.where(warm, med, np.nan).astype(np.float64)
    smad = np.where(warm, mad, np.nan).astype(np.float64)
    pm, ps = peer_feature(np.nan_to_num(x), po)
    return deviations(np.nan_to_num(x), sm, smad, pm, ps, cfg)[2]


def week_deviations(raw: F64, users: I64, days: I64, gid: I64, cfg: UebaConfig,
                    only: list[int], rows: I64 | None = None,
                    first_day: I64 | None = None) -> F32:
    """Combined week z per row of the features `only` (columns in that order); with
    `rows` (whole days) only those rows, the others 0. `first_day`: see `week_history`."""
    pick = np.arange(raw.shape[0]) if rows is None else rows
    wh = week_history(users, days, cfg, pick, first_day)
    po = peer_order(dense_ids(gid[pick]))
    out = np.zeros((raw.shape[0], len(only)), dtype=np.float32)
    for i, f in enumerate(only):
        out[pick, i] = week_feature(raw[:, f], wh, po, cfg)
    return out
