"""Self and peer baselines on the log1p feature scale, and the robust deviations from them.

Self: median and MAD of the person's own active days in the trailing `window_days` days,
today excluded; fewer than `warmup_active_days` such days → no self baseline (NaN).
Peers: median and IQR of the same feature the same day over the person's peer group as of
that day (department + team + role from people history), falling back to department and
then everyone when a group has fewer than `min_peers` people that day.
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import numpy as np
import numpy.typing as npt
import pyarrow as pa

from watchkeeper.lake import Lake
from watchkeeper.ueba.config import UebaConfig

F64 = npt.NDArray[np.float64]
LEVELS = (("department", "team", "role"), ("department",), ())


@dataclass(frozen=True)
class Baselines:
    """Per row and feature: medians, scales (NaN self = warm-up) and z-scores."""

    self_median: F64
    self_scale: F64
    peer_median: F64
    peer_scale: F64
    z: F64          # combined, clipped, signed


def day_numbers(days: pa.Array) -> npt.NDArray[np.int64]:
    return np.asarray(days.cast(pa.int32()).to_numpy(zero_copy_only=False), dtype=np.int64)


def self_baseline(x: F64, users: npt.NDArray[np.int64], days: npt.NDArray[np.int64],
                  cfg: UebaConfig, chunk: int = 8192) -> tuple[F64, F64]:
    """Trailing median and MAD per row (rows sorted by user, day), NaN during warm-up."""
    n, f = x.shape
    w = cfg.window_days
    med = np.full((n, f), np.nan)
    mad = np.full((n, f), np.nan)
    lags = np.arange(1, w + 1)
    x32 = x.astype(np.float32)
    for lo in range(0, n, chunk):
        rows = np.arange(lo, min(n, lo + chunk))
        idx = rows[:, None] - lags[None, :]
        safe = np.clip(idx, 0, None)
        ok = (idx >= 0) & (users[safe] == users[rows, None]) & (days[safe] >= days[rows, None] - w)
        count = ok.sum(axis=1)
        warm = count >= cfg.warmup_active_days
        if not warm.any():
            continue
        rows, safe, ok, count = rows[warm], safe[warm], ok[warm], count[warm]
        # (rows, features, window) with the window last (contiguous) and +inf padding
        vals = np.where(ok[:, None, :], x32[safe].transpose(0, 2, 1), np.float32(np.inf))
        m = _padded_median(vals, count)
        dev = np.where(ok[:, None, :], np.abs(vals - m[:, :, None]), np.float32(np.inf))
        med[rows] = m
        mad[rows] = _padded_median(dev, count)
    return med, mad


def _padded_median(vals: npt.NDArray[np.float32], count: npt.NDArray[np.int64]) -> F64:
    """Median over the last axis of values padded with +inf; `count` real values per row."""
    s = np.sort(vals, axis=2)
    c = np.maximum(count, 1)
    lo = np.take_along_axis(s, ((c - 1) // 2)[:, None, None], axis=2)[:, :, 0]
    hi = np.take_along_axis(s, (c // 2)[:, None, None], axis=2)[:, :, 0]
    return np.asarray((lo.astype(np.float64) + hi) / 2.0)


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


def peer_baseline(lake: Lake, x: F64, days: npt.NDArray[np.int64], groups: pa.Table,
                  cfg: UebaConfig) -> tuple[F64, F64]:
    """Same-day median and IQR/1.349 of each feature over the row's peer group."""
    n, f = x.shape
    med = np.full((n, f), np.nan)
    scale = np.full((n, f), np.nan)
    todo = np.ones(n, dtype=bool)
    for level in LEVELS:
        gid = _group_ids(days, groups, level)
        sizes = np.bincount(gid)
        use = todo & (sizes[gid] >= cfg.min_peers) if level else todo
        if not use.any():
            continue
        m, q1, q3 = _group_quantiles(lake, x, gid)
        med[use] = m[gid[use]]
        scale[use] = (q3 - q1)[gid[use]] / 1.349
        todo &= ~use
    return med, scale


def _group_ids(days: npt.NDArray[np.int64], groups: pa.Table,
               level: tuple[str, ...]) -> npt.NDArray[np.int64]:
    parts = [np.asarray(days)]
    for col in level:
        codes = groups[col].fill_null("").dictionary_encode().combine_chunks().indices
        parts.append(np.asarray(codes.to_numpy(zero_copy_only=False), dtype=np.int64))
    stacked = np.stack(parts, axis=1)
    _, gid = np.unique(stacked, axis=0, return_inverse=True)
    return np.asarray(gid.reshape(-1), dtype=np.int64)


def _group_quantiles(lake: Lake, x: F64, gid: npt.NDArray[np.int64]) -> tuple[F64, F64, F64]:
    """Median, first and third quartile of each feature per group (x >= 0, log1p scale).

    One float sort per feature: the key ``gid * SPAN + x`` orders by group, then value.
    """
    span = float(np.nanmax(x, initial=0.0)) + 1.0
    gs = np.sort(gid)
    sizes = np.bincount(gid)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    out = []
    sorted_cols = [np.sort(gid * span + x[:, i]) - gs * span for i in range(x.shape[1])]
    for q in (0.5, 0.25, 0.75):
        pos = starts + (np.maximum(sizes, 1) - 1) * q
        lo, frac = np.floor(pos).astype(np.int64), pos - np.floor(pos)
        hi = np.minimum(lo + 1, starts + np.maximum(sizes, 1) - 1)
        cols = [c[lo] * (1 - frac) + c[hi] * frac for c in sorted_cols]
        out.append(np.column_stack(cols))
    return out[0], out[1], out[2]


def deviations(x: F64, self_m: F64, self_mad: F64, peer_m: F64, peer_s: F64,
               cfg: UebaConfig) -> F64:
    """Combined z: mean of self and peer z where the self baseline exists, else peer z."""
    z_self = (x - self_m) / np.maximum(1.4826 * np.nan_to_num(self_mad), cfg.z_floor)
    z_peer = (x - peer_m) / np.maximum(np.nan_to_num(peer_s), cfg.z_floor)
    z_peer = np.nan_to_num(z_peer)
    z = np.where(np.isnan(z_self), z_peer, (np.nan_to_num(z_self) + z_peer) / 2.0)
    return np.clip(z, -cfg.z_clip, cfg.z_clip)


def compute_baselines(lake: Lake, x: F64, users: npt.NDArray[np.int64],
                      days: npt.NDArray[np.int64], keys: pa.Table,
                      cfg: UebaConfig) -> Baselines:
    sm, smad = self_baseline(x, users, days, cfg)
    pm, ps = peer_baseline(lake, x, days, peer_groups(lake, keys), cfg)
    return Baselines(sm, smad, pm, ps, deviations(x, sm, smad, pm, ps, cfg))
