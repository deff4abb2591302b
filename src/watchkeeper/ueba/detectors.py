"""Anomaly detectors over the deviation matrices; every score of a day uses only rows of
that day and earlier days.

- surprise: per feature, how rare a row's deviation is among all person-days of the
  `model_history_days` before its block of `model_block_days` (−log10 of the right-tail
  probability, add-one smoothed; the first block is compared with itself). The day and
  week scores sum the weighted surprise above `surprise_floor` over all features.
- robust: the k most deviating families' largest weighted z.
- model: the unweighted surprise sum as a percentile among the history rows' own sums.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from watchkeeper.ueba.config import UebaConfig
from watchkeeper.ueba.grid import F64, I64, Floats

Mask = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Surprise:
    """Per row: weighted surprise above the floor, and the unweighted surprise sum."""

    weighted: F64
    total: F64


def weighted_sum(z: Floats, weights: F64, family: I64, k: int, cap: float) -> F64:
    """Sum over the k most deviating families of each family's largest weighted positive
    z (each z capped at `cap`): several kinds of unusual behaviour outweigh one feature
    far off, and features counting the same events are not counted twice."""
    if z.shape[0] == 0 or z.shape[1] == 0:
        return np.zeros(z.shape[0])
    pos = np.clip(z, 0.0, cap) * weights[None, :]
    n_fam = int(family.max()) + 1
    per_family = np.zeros((z.shape[0], n_fam))
    for g in range(n_fam):
        cols = np.flatnonzero(family == g)
        if cols.size:
            per_family[:, g] = pos[:, cols].max(axis=1)
    k = min(k, n_fam)
    return np.asarray(-np.partition(-per_family, k - 1, axis=1)[:, :k].sum(axis=1))


def squash(s: F64, scale: float) -> F64:
    """Map a non-negative sum to [0, 1)."""
    return np.asarray(1.0 - np.exp(-np.clip(s, 0.0, None) / scale))


def blocks(days: I64, cfg: UebaConfig, keep: Mask | None = None
           ) -> Iterator[tuple[Mask, Mask]]:
    """(rows of a block, its reference rows): blocks aligned to absolute day numbers, the
    reference the `model_history_days` before (the block itself when under 50 rows).
    With `keep`, only the kept rows of blocks holding any."""
    block = days // cfg.model_block_days
    for b in np.unique(block if keep is None else block[keep]):
        rows = block == b
        lo = int(b) * cfg.model_block_days
        past = (days < lo) & (days >= lo - cfg.model_history_days)
        ref = past if past.sum() >= 50 else rows
        yield (rows if keep is None else rows & keep), ref


def needed_rows(days: I64, cfg: UebaConfig, keep: Mask) -> Mask:
    """The kept rows and every reference row their scores need (whole days)."""
    out = keep.copy()
    for _, ref in blocks(days, cfg, keep):
        out |= ref
    return out


def tail_surprise(ref: Floats, x: Floats, weights: F64, floor: float) -> Surprise:
    """Surprise of the rows `x` against the reference rows `ref`, feature by feature."""
    n = ref.shape[0]
    weighted = np.zeros(x.shape[0])
    total = np.zeros(x.shape[0])
    for f in range(x.shape[1]):
        col = np.sort(ref[:, f])
        above = n - np.searchsorted(col, x[:, f], side="left")
        s = -np.log10((above + 1.0) / (n + 1.0))
        total += s
        if weights[f] > 0:
            weighted += weights[f] * np.clip(s - floor, 0.0, None)
    return Surprise(weighted, total)


def surprise(z: Floats, days: I64, weights: F64, cfg: UebaConfig,
             keep: Mask | None = None) -> Surprise:
    """`tail_surprise` of every (kept) row against its block's reference rows."""
    weighted = np.zeros(z.shape[0])
    total = np.zeros(z.shape[0])
    for rows, ref in blocks(days, cfg, keep):
        s = tail_surprise(z[ref], z[rows], weights, cfg.surprise_floor)
        weighted[rows], total[rows] = s.weighted, s.total
    return Surprise(weighted, total)


def model_score(z: Floats, days: I64, total: F64, cfg: UebaConfig,
                keep: Mask | None = None) -> F64:
    """Each (kept) row's unweighted surprise as a percentile among its reference rows' own
    surprise (against the same reference), [0, 1]."""
    out = np.zeros(z.shape[0])
    none = np.zeros(z.shape[1])
    for rows, ref in blocks(days, cfg, keep):
        own = np.sort(tail_surprise(z[ref], z[ref], none, cfg.surprise_floor).total)
        out[rows] = np.searchsorted(own, total[rows], side="right") / max(len(own), 1)
    return out
