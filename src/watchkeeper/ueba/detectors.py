"""Anomaly detectors: robust deviation score, ECOD (PyOD) on past data, rank fusion.

Every score of a day uses only rows of that day and earlier days.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from watchkeeper.ueba.config import UebaConfig

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


def robust_score(z: F64, k: int = 3, scale: float = 10.0) -> F64:
    """Sum of the k largest positive deviations, squashed to [0, 1)."""
    pos = np.clip(z, 0.0, None)
    k = min(k, pos.shape[1])
    if k == 0:
        return np.zeros(pos.shape[0])
    top = -np.partition(-pos, k - 1, axis=1)[:, :k]
    return np.asarray(1.0 - np.exp(-top.sum(axis=1) / scale))


def ecod_score(z: F64, days: I64, cfg: UebaConfig) -> F64:
    """ECOD outlier scores as a percentile of the fit data's scores, per block of days.

    Each block of `model_block_days` is scored by a model fit on the `model_history_days`
    before it; the first block (no history yet) is fit on itself.
    """
    from pyod.models.ecod import ECOD

    out = np.zeros(z.shape[0])
    live = np.flatnonzero(z.std(axis=0) > 0)
    if z.shape[0] == 0 or live.size == 0:
        return out
    x = z[:, live]
    first = int(days.min())
    for lo in range(first, int(days.max()) + 1, cfg.model_block_days):
        block = (days >= lo) & (days < lo + cfg.model_block_days)
        if not block.any():
            continue
        past = (days < lo) & (days >= lo - cfg.model_history_days)
        train = x[past] if past.sum() >= 50 else x[block]
        model = ECOD()
        model.fit(train)
        ref = np.sort(np.asarray(model.decision_scores_, dtype=np.float64))
        scores = np.asarray(model.decision_function(x[block]), dtype=np.float64)
        out[block] = np.searchsorted(ref, scores, side="right") / max(len(ref), 1)
    return out


def trailing_percentile(values: F64, days: I64, window: int) -> F64:
    """Percentile of each value among all values of its day and the `window`-1 days before."""
    out = np.zeros(values.shape[0])
    order = np.argsort(days, kind="stable")
    sd = days[order]
    for d in np.unique(sd):
        lo, hi = np.searchsorted(sd, [d - window + 1, d + 1])
        pool = np.sort(values[order[lo:hi]])
        today = order[np.searchsorted(sd, d):hi]
        out[today] = np.searchsorted(pool, values[today], side="right") / len(pool)
    return out


def fuse(robust: F64, model: F64, days: I64, window: int) -> F64:
    """Rank fusion: the mean of both scores' trailing percentiles, in [0, 1]."""
    return (trailing_percentile(robust, days, window)
            + trailing_percentile(model, days, window)) / 2.0
