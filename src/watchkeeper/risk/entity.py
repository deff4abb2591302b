"""Entity risk: per-source decayed sums with caps, and alert episodes with re-arming."""

from __future__ import annotations

import numpy as np


def decay_rate(half_life_days: float) -> float:
    """The factor one day of decay multiplies risk by: half of it is gone after a half-life."""
    return float(0.5 ** (1.0 / half_life_days))


def decayed_sum(new: np.ndarray, half_life_days: float, cap: float) -> np.ndarray:
    """Risk of one source per person-day: yesterday's decayed value plus today's, capped.

    The cap applies to the running value itself, so a source that fires every day holds
    at the cap and starts decaying from it as soon as it stops.
    """
    rate = decay_rate(half_life_days)
    out = np.empty_like(new, dtype=np.float64)
    acc = np.zeros(new.shape[0])
    for j in range(new.shape[1]):
        acc = np.minimum(acc * rate + new[:, j], cap)
        out[:, j] = acc
    return out


def alert_days(score: np.ndarray, threshold: float, rearm: float) -> np.ndarray:
    """True on the person-days that open an alert episode.

    An episode opens when the score reaches `threshold` while armed; the person is armed
    again only after the score falls below `rearm`.
    """
    fired = np.zeros(score.shape, dtype=bool)
    armed = np.ones(score.shape[0], dtype=bool)
    for j in range(score.shape[1]):
        fire = armed & (score[:, j] >= threshold)
        fired[:, j] = fire
        armed = (armed & ~fire) | (score[:, j] < rearm)
    return fired
