"""Self and peer baselines on the log1p feature scale, and the robust deviations from them.

Self: median and MAD of the person's own active days in the `window_days` calendar days
before the start of the day's baseline step (`baseline_step_days`, weeks starting Monday),
so a burst inside a week is not absorbed by its own baseline; fewer than
`warmup_active_days` such days → no self baseline (NaN).
Peers: median and IQR/1.349 of the same feature the same day over the person's peer group
as of that day (department + team + role from people history) *without the person*,
falling back to department and then everyone when fewer than `min_peers` others are active.
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import numpy as np
import pyarrow as pa
from numpy.lib.stride_tricks import sliding_window_view

from watchkeeper.lake import Lake
from watchkeeper.ueba.config import UebaConfig
from watchkeeper.ueba.grid import F32, F64, I64, Grid, make_grid, median_mad

LEVELS = (("department", "team", "role"), ("department",), ())
MONDAY_SHIFT = 3   # day 0 (1970-01-01) is a Thursday


@dataclass(frozen=True)
class Baselines:
    """Per row and feature: self and peer medians and the combined z-score."""

    self_median: F32    # NaN during warm-up
    peer_median: F32
    z: F32              # combined, clipped, signed


def day_numbers(days: pa.Array) -> I64:
    return np.asarray(days.cast(pa.int32()).to_numpy(zero_copy_only=False), dtype=np.int64)


def step_start(days: I64, step: int) -> I64:
    """First day of each day's baseline step (Monday-aligned weeks for a step of 7)."""
    return np.asarray(days - (days + MONDAY_SHIFT) % step, dtype=np.int64)


@dataclass(frozen=True)
class SelfWindows:
    """Where each row's self-baseline window starts: one window per person and step."""

    grid: Grid
    starts: I64     # grid column of each distinct step start
    block: I64      # per row (of `rows`): index into `starts`
    person: I64     # per row (of `rows`): grid row of the person


def self_windows(users: I64, days: I64, cfg: UebaConfig, rows: I64 | None = None
                 ) -> SelfWindows:
    """The windows of `rows` (all rows when None) over the grid of all rows."""
    grid = make_grid(users, days)
    pick = slice(None) if rows is None else rows
    starts = step_start(days[pick], cfg.baseline_step_days) - grid.first_day
    uniq, block = np.unique(starts, return_inverse=True)
    return SelfWindows(grid, np.asarray(uniq, np.int64), np.asarray(block.reshape(-1), np.int64),
                       np.asarray(grid.person[pick], np.int64))


def self_feature(xf: F64, sw: SelfWindows, cfg: UebaConfig) -> tuple[F64, F64]:
    """Median and MAD per row of one feature over the person's active days in the window
    before the row's step; NaN when fewer than `warmup_active_days` active days."""
    w, grid = cfg.window_days, sw.grid
    pad = w + cfg.baseline_step_days
    m = grid.dense(xf)
    padded = np.concatenate([np.full((m.shape[0], pad), np.nan, np.float32), m], axis=1)
    windows = sliding_window_view(padded, w, axis=1)[:, sw.starts + pad - w]   # (P, K, W)
    fm, fmad, count = median_mad(windows)
    warm = count[sw.person, sw.block] >= cfg.warmup_active_days
    med = np.where(warm, fm[sw.person, sw.block], np.nan)
    mad = np.where(warm, fmad[sw.person, sw.block], np.nan)
    return np.asarray(med, np.float64), np.asarray(mad, np.float64)


def self_baseline(x: F64, users: I64, days: I64, cfg: UebaConfig) -> tuple[F64, F64]:
    """`self_feature` for every column of `x`."""
    sw = self_windows(users, days, cfg)
    pairs = [self_feature(x[:, f], sw, cfg) for f in range(x.shape[1])]
    return (np.column_stack([p[0] for p in pairs]) if pairs else np.empty_like(x),
            np.column_stack([p[1] for p in pairs]) if pairs else np.empty_like(x))


def peer_groups(lake: Lake, keys: pa.Table) -> pa.Table:
    """(user, day, department, team, role) as of each day; nulls without history."""
    k = ibis.memtable(keys.select(["user", "day"]).append_column(
        "wk_row", pa.array(np.arange(keys.num_rows))))
    if lake.rows("people") == 0:
        out = k.mutate(department=ibis.null("string"), team=ibis.null("string"),
                       role=ibis.null("string"))
    else:
        p = lake.table("people")
        cond = [k.user == p.user, p.valid_from <= k.day,
                p.valid_to.isnull() | (k.day < p.valid_to)]
        j = k.left_join(p, cond)
        out = j.select("wk_row", "department", "team", "role")
        out = out.group_by("wk_row").aggregate(
            department=out.department.max(), team=out.team.max(), role=out.role.max())
    res = lake.ibis().to_pyarrow(out.select("wk_row", "department", "team", "role"))
    return res.sort_by("wk_row")


def group_ids(days: I64, groups: pa.Table, level: tuple[str, ...]) -> I64:
    """Dense ids of (day, *level) groups per row."""
    parts = [np.asarray(days)]
    for col in level:
        codes = groups[col].fill_null("").dictionary_encode().combine_chunks().indices
        parts.append(np.asarray(codes.to_numpy(zero_copy_only=False), dtype=np.int64))
    _, gid = np.unique(np.stack(parts, axis=1), axis=0, return_inverse=True)
    return np.asarray(gid.reshape(-1), dtype=np.int64)


def peer_group_ids(days: I64, groups: pa.Table, min_peers: int) -> I64:
    """Each row's peer group: the finest level with at least `min_peers` other people."""
    final = np.full(days.shape[0], -1, dtype=np.int64)
    for n, level in enumerate(LEVELS):
        gid = group_ids(days, groups, level)
        sizes = np.bincount(gid)
        use = (final < 0) & ((sizes[gid] - 1 >= min_peers) | (n == len(LEVELS) - 1))
        final[use] = gid[use] + n * (days.shape[0] + 1)
    return np.asarray(np.unique(final, return_inverse=True)[1].reshape(-1), dtype=np.int64)


@dataclass(frozen=True)
class PeerOrder:
    """Rows grouped by peer group: group sizes, starts and each row's group."""

    gid: I64
    sizes: I64
    starts: I64


def peer_order(gid: I64) -> PeerOrder:
    sizes = np.bincount(gid)
    return PeerOrder(gid, sizes, np.concatenate([[0], np.cumsum(sizes)[:-1]]))


def leave_one_out_quantiles(v: F64, po: PeerOrder, qs: tuple[float, ...]) -> list[F64]:
    """Quantiles (linear interpolation) of each row's group without the row; NaN alone.

    One sort by (group, value); removing the row at rank r shifts the ranks above it down
    by one, so the k-th smallest of the others is the (k + [k >= r])-th of the group.
    """
    n, gid = v.shape[0], po.gid
    span = float(np.nanmax(np.abs(v), initial=0.0)) * 2.0 + 1.0
    order = np.argsort(gid * span + v, kind="stable")
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n) - po.starts[gid[order]]
    s = v[order]
    m = po.sizes[gid] - 1                                   # others in the group
    base = po.starts[gid]
    out = []
    for q in qs:
        pos = q * np.maximum(m - 1, 0)
        j = np.floor(pos).astype(np.int64)
        frac = pos - j
        j1 = np.minimum(j + 1, np.maximum(m - 1, 0))
        lo = s[np.minimum(base + j + (j >= rank), n - 1)]
        hi = s[np.minimum(base + j1 + (j1 >= rank), n - 1)]
        out.append(np.where(m > 0, lo * (1 - frac) + hi * frac, np.nan))
    return out


def peer_feature(xf: F64, po: PeerOrder) -> tuple[F64, F64]:
    """Same-day median and IQR/1.349 of one feature over the row's peers (without it)."""
    m, q1, q3 = leave_one_out_quantiles(xf, po, (0.5, 0.25, 0.75))
    return m, (q3 - q1) / 1.349


def deviations(x: F64, self_m: F64, self_mad: F64, peer_m: F64, peer_s: F64,
               cfg: UebaConfig) -> tuple[F64, F64, F64]:
    """Self z (NaN in warm-up), peer z, and combined z: the mean of both (the peer z
    alone during warm-up), clipped to ±`z_clip`."""
    z_self = (x - self_m) / np.maximum(1.4826 * np.nan_to_num(self_mad), cfg.z_floor)
    z_peer = np.nan_to_num((x - peer_m) / np.maximum(np.nan_to_num(peer_s), cfg.z_floor))
    z = np.where(np.isnan(z_self), z_peer, (np.nan_to_num(z_self) + z_peer) / 2.0)
    return z_self, z_peer, np.clip(z, -cfg.z_clip, cfg.z_clip)


def compute_baselines(x: F64, users: I64, days: I64, gid: I64, cfg: UebaConfig,
                      rows: I64 | None = None) -> Baselines:
    """Self and peer medians and the combined z, one feature at a time (bounded memory).

    With `rows` (whole days: peers are compared within a day) only those rows are
    computed; the others hold NaN medians and z 0. Every row's values still serve as
    self history.
    """
    pick = np.arange(x.shape[0]) if rows is None else rows
    sw, po = self_windows(users, days, cfg, pick), peer_order(dense_ids(gid[pick]))
    out = Baselines(np.full(x.shape, np.nan, np.float32), np.full(x.shape, np.nan, np.float32),
                    np.zeros(x.shape, np.float32))
    for f in range(x.shape[1]):
        sm, smad = self_feature(x[:, f], sw, cfg)
        xs = x[pick, f]
        pm, ps = peer_feature(xs, po)
        out.self_median[pick, f], out.peer_median[pick, f] = sm, pm
        out.z[pick, f] = deviations(xs, sm, smad, pm, ps, cfg)[2]
    return out


def dense_ids(gid: I64) -> I64:
    """Group ids renumbered 0..n-1 (a subset of rows leaves gaps)."""
    return np.asarray(np.unique(gid, return_inverse=True)[1].reshape(-1), dtype=np.int64)
