"""Early warning: probability that a person is alerted in the next days.

A logistic model is refitted every `retrain_every_days` on the history known so far: a past
day t is a training row once its label (did a risk alert fire on t+1..t+H?) is fully
observed, i.e. t + H <= the training day. No answer key is used: the target is the
workspace's own alerts, and the weights are learned from its own history. Until enough
positive rows exist, a fixed prior on the current score stands in for the model.

The inputs are what precedes an alert in the cases the scenarios describe (docs/risk.md,
"Early warning"): where the score is and where it is going, fresh evidence, notice
given (`leaving`), job search and other precursor kinds seen recently, HR and analyst
watchlists (disgruntlement markers such as HR actions), a sustained drift (days with
fresh evidence over four weeks) and whether the person is inside an alert episode
already (an alerted person's next alert is a re-alert, not news).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from watchkeeper.risk.config import ForecastConfig

PRECURSORS = ("notice", "job_search", "after_hours", "usb", "hacking_tool", "other_region")
FEATURE_NAMES = ("score", "max_recent", "trend_7d", "new_7d", "signal_days", "leaving",
                 "privileged", *(f"kind_{k}" for k in PRECURSORS), "watched",
                 "drift_28d", "alerted_recent")
MAX_STEP = 4.0    # largest change of one standardised weight per Newton step
DRIFT_DAYS = 28   # a sustained drift: four weeks, two of the forecast's 14-day horizons


@dataclass(frozen=True)
class Trajectory:
    """Per person-day inputs of the forecast (arrays users x days), all known that day."""

    score: np.ndarray
    new: np.ndarray
    signal_days: np.ndarray
    leaving: np.ndarray
    privileged: np.ndarray
    precursors: dict[str, np.ndarray]
    present: np.ndarray
    fired: np.ndarray | None = None     # alert days; None: days the score crossed
    watched: np.ndarray | None = None   # on an HR or analyst watchlist that day


def _rolling_sum(a: np.ndarray, width: int) -> np.ndarray:
    c = np.cumsum(a, axis=1, dtype=np.float64)
    out = c.copy()
    out[:, width:] = c[:, width:] - c[:, :-width]
    return out


def _rolling_max(a: np.ndarray, width: int) -> np.ndarray:
    out = a.astype(np.float64).copy()
    for k in range(1, width):
        out[:, k:] = np.maximum(out[:, k:], a[:, :-k])
    return out


def _lag(a: np.ndarray, k: int) -> np.ndarray:
    out = np.zeros_like(a, dtype=np.float64)
    out[:, k:] = a[:, :-k]
    return out


def design(t: Trajectory, threshold: float, lookback: int) -> np.ndarray:
    """Feature cube users x days x features (see FEATURE_NAMES)."""
    s = t.score / threshold
    cols = [s, _rolling_max(s, lookback), s - _lag(s, 7), _rolling_sum(t.new, 7),
            _rolling_sum(t.signal_days.astype(np.float64), lookback),
            t.leaving.astype(np.float64), t.privileged.astype(np.float64)]
    cols += [np.minimum(_rolling_sum(t.precursors[k].astype(np.float64), lookback), 1.0)
             for k in PRECURSORS]
    zero = np.zeros_like(s)
    cols.append(t.watched.astype(np.float64) if t.watched is not None else zero)
    cols.append(_rolling_sum((t.new > 0).astype(np.float64), DRIFT_DAYS) / DRIFT_DAYS)
    cols.append(np.minimum(_rolling_sum(_alert_days(t, threshold), lookback), 1.0))
    return np.stack(cols, axis=2)


def _alert_days(t: Trajectory, threshold: float) -> np.ndarray:
    if t.fired is not None:
        return t.fired.astype(np.float64)
    return (t.score >= threshold).astype(np.float64)


def labels(score: np.ndarray, threshold: float, horizon: int,
           fired: np.ndarray | None = None) -> np.ndarray:
    """1 where an alert fires (`fired`; without it: the score is at or above the
    threshold) on one of the next `horizon` days."""
    above = (fired if fired is not None else score >= threshold).astype(np.float64)
    ahead = np.zeros_like(above)
    for k in range(1, horizon + 1):
        ahead[:, :-k] = np.maximum(ahead[:, :-k], above[:, k:])
    return ahead


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-np.clip(z, -35, 35))))


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float, iters: int = 20,
                 weight: np.ndarray | None = None, start: np.ndarray | None = None
                 ) -> np.ndarray:
    """L2-penalised (weighted) logistic regression by Newton steps; bias first. `start`:
    initial weights (the previous refit's: a few steps then suffice)."""
    xb = np.hstack([np.ones((x.shape[0], 1)), x])
    sw = np.ones(x.shape[0]) if weight is None else weight
    w = np.zeros(xb.shape[1]) if start is None else start.copy()
    penalty = np.full(xb.shape[1], l2)
    penalty[0] = 0.0
    for _ in range(iters):
        p = _sigmoid(xb @ w)
        grad = xb.T @ (sw * (p - y)) + penalty * w
        hess = (xb * (sw * p * (1 - p))[:, None]).T @ xb + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hess, grad)
        # a damped step: with (near) separable rows a full Newton step overshoots
        step /= max(1.0, float(np.max(np.abs(step))) / MAX_STEP)
        w -= step
        if float(np.max(np.abs(step))) < 1e-6:
            break
    return w


def _thin(x: np.ndarray, y: np.ndarray, limit: int
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keep every positive and every k-th negative (weighted k) to bound the fit's cost."""
    keep, weight = _thin_rows(y, limit)
    return x[keep], y[keep], weight


def _thin_rows(y: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray]:
    """The rows `_thin` keeps, and their weights."""
    negatives = np.flatnonzero(y == 0)
    stride = max(1, int(np.ceil(len(negatives) / max(limit - int(y.sum()), 1))))
    keep = np.sort(np.concatenate([np.flatnonzero(y == 1), negatives[::stride]]))
    return keep, np.where(y[keep] == 1, 1.0, float(stride))


def prior(x: np.ndarray) -> np.ndarray:
    """Cold start: a fixed curve on the score relative to the threshold (column 0)."""
    return _sigmoid(4.0 * x[..., 0] + 1.5 * x[..., 2] - 4.0)


def forecast(t: Trajectory, threshold: float, config: ForecastConfig) -> np.ndarray:
    """Probability per person-day of reaching the threshold within the horizon."""
    cube = design(t, threshold, config.lookback_days)
    y = labels(t.score, threshold, config.horizon_days, t.fired)
    out = prior(cube)
    days = t.score.shape[1]
    # present person-days in user then day order, as a mask over the grid gives them;
    # a refit's training rows are those before `usable`, thinned before they are copied
    ui, di = np.nonzero(t.present)
    x_all, y_all = cube[ui, di], y[ui, di]
    w: np.ndarray | None = None
    for start in range(0, days, config.retrain_every_days):
        usable = start - config.horizon_days + 1
        if usable <= 0:
            continue
        rows = np.flatnonzero(di < usable)
        target = y_all[rows]
        if target.sum() < config.min_positives or target.sum() == len(target):
            continue
        keep, weight = _thin_rows(target, config.max_training_rows)
        x, target = x_all[rows[keep]], target[keep]
        mean, std = x.mean(axis=0), x.std(axis=0)
        # a column constant so far carries no weight, and must not blow up later values
        std = np.where(std > 1e-9, std, 1.0)
        # the thinning weights restore the class balance; their scale would only weaken
        # the penalty (n rows weigh like the full history's), so they average 1
        w = fit_logistic((x - mean) / std, target, config.l2,
                         weight=weight / weight.mean(), start=w)
        block = cube[:, start:start + config.retrain_every_days]
        out[:, start:start + config.retrain_every_days] = _sigmoid(
            w[0] + ((block - mean) / std) @ w[1:])
    return np.asarray(out)
