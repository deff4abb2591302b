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


def alert_days(score: np.ndarray, threshold: float, rearm: float, *,
               escalation_factor: float = 0.0, escalation_window_days: int = 14,
               escalation_min_gap_days: int = 7,
               new_scenario: np.ndarray | None = None,
               fresh: np.ndarray | None = None) -> np.ndarray:
    """True on the person-days that raise a risk alert.

    An episode opens when the score reaches `threshold` while armed; the person is armed
    again only after the score falls below `rearm`. Inside an episode a new alert is
    raised on *escalation* only:

    - the score reaches `threshold` and at least `escalation_factor` times its maximum
      over the `escalation_window_days` days before (0 turns this off), provided the
      last alert is at least `escalation_min_gap_days` old, or
    - a scenario template starts boosting the person (`new_scenario` True that day), or
    - the day's new evidence alone (`fresh`: the day's new risk events, with that day's
      modifiers) reaches `threshold` and is at least half of the day's score, provided
      the last alert is at least `escalation_min_gap_days` old: what would open an
      episode on its own, and outweighs what is left of the old one, is news even if
      risk never fell below `rearm`.
    """
    fired = np.zeros(score.shape, dtype=bool)
    armed = np.ones(score.shape[0], dtype=bool)
    since_alert = np.full(score.shape[0], np.iinfo(np.int64).max // 2, dtype=np.int64)
    users, days = score.shape
    for j in range(days):
        over = score[:, j] >= threshold
        fire = armed & over
        if j and (escalation_factor > 0 or new_scenario is not None or fresh is not None):
            held = ~armed & over
            esc = np.zeros(users, dtype=bool)
            if escalation_factor > 0:
                recent = score[:, max(0, j - escalation_window_days):j].max(axis=1)
                esc |= (score[:, j] >= escalation_factor * recent) & \
                    (since_alert + 1 >= escalation_min_gap_days)
            if new_scenario is not None:
                esc |= new_scenario[:, j]
            if fresh is not None:
                news = fresh[:, j]
                esc |= (news >= threshold) & (2 * news >= score[:, j]) & \
                    (since_alert + 1 >= escalation_min_gap_days)
            fire |= held & esc
        fired[:, j] = fire
        since_alert = np.where(fire, 0, since_alert + 1)
        armed = (armed & ~fire) | (score[:, j] < rearm)
    return fired


def new_boosts(which: np.ndarray) -> np.ndarray:
    """True where a scenario template starts boosting a person: the boosting template
    differs from the day before and is one (not "none")."""
    out = which >= 0
    out[:, 1:] &= which[:, 1:] != which[:, :-1]
    return np.asarray(out, dtype=bool)
