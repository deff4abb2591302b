"""Early-warning metrics of the 14-day forecast (`p_alert_14d` of the risk history).

A person is *warned* on a day when their forecast is among the day's `WARNINGS_PER_1000`
highest per 1,000 people (the early-warning list an analyst can follow up each day; ties
at the cut are warned when they all fit in the list, else none of them; a zero
forecast never is). The forecast is a calibrated
probability of an alert within 14 days; alerts are rare, so the people most likely to be
alerted seldom reach even 0.5, and a fixed level would warn by the base rate of alerts
rather than by the analysts' capacity. A warning counts
for an incident when it falls in the forecast's horizon before the start (start − 14 days
to the start day); its *lead* is the start day minus the first such warning day. A
warning *onset* is a warned day whose day before was not warned (a run of warned days is
one warning, as an alert episode is one alert); an onset is *false* when it is not in
[start − 14 days, end + 7 days] of an incident of that person.

The reliability table bins every person-day's forecast (tenths) and gives, per bin, the
mean forecast, the share of those days followed by a risk alert within the horizon (what
the forecast predicts; days whose horizon runs past the history are left out) and the
share followed by the start of an incident within the horizon.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from watchkeeper.evaluate.answers import Incident

WARNINGS_PER_1000 = 5  # people on the daily early-warning list per 1,000 (capacity)
WARNING_HORIZON_DAYS = 14
WARNING_AFTER_END_DAYS = 7
BINS = 10


@dataclass(frozen=True)
class WarningMetrics:
    """Early warning of one set of incidents."""

    incidents: int
    warned_1d: float | None  # share warned >= 1 day before the start
    warned_7d: float | None  # share warned >= 7 days before the start
    median_lead_days: float | None  # over the incidents warned >= 1 day before


@dataclass(frozen=True)
class ReliabilityBin:
    """One bin of the reliability table: forecasts in [low, high)."""

    low: float
    high: float
    days: int
    mean_forecast: float | None
    alerted_within: float | None  # share followed by a risk alert within the horizon
    incident_within: float | None  # share followed by an incident start within it


@dataclass(frozen=True)
class EarlyWarning:
    """All early-warning figures of an evaluation."""

    overall: WarningMetrics
    per_scenario: dict[str, WarningMetrics]
    warnings: int
    false_warnings: int
    false_warnings_per_day_per_1000: float | None
    reliability: list[ReliabilityBin]


def warned_mask(days: np.ndarray, probs: np.ndarray, per_1000: float) -> np.ndarray:
    """True for the rows whose forecast is among the `per_1000` highest per 1,000 rows
    of their day (at least one a day; zero never). Rows tied at the cut are all on the
    list when they fit in it, else none of them: a tie that would overfill the list
    (everyone at the prior's value, say) says nothing about who to warn."""
    order = np.lexsort((-probs, days))
    d, p = days[order], probs[order]
    starts = np.r_[0, np.flatnonzero(d[1:] != d[:-1]) + 1]
    sizes = np.diff(np.r_[starts, len(d)])
    k = np.maximum(1, np.ceil(sizes * per_1000 / 1000)).astype(np.int64)
    cut = np.repeat(p[starts + k - 1], sizes)  # the k-th highest forecast of each day
    day_of = np.repeat(np.arange(len(starts)), sizes)
    at_least = np.bincount(day_of, weights=p >= cut, minlength=len(starts))
    fits = np.repeat(at_least <= k, sizes)
    mask = np.zeros(len(d), dtype=bool)
    mask[order] = ((p > cut) | ((p == cut) & fits)) & (p > 0)
    return mask


def in_episode(users: list[str], days: list[dt.date], alerts: list[bool]) -> np.ndarray:
    """True for the rows of a person alerted on that day or the `WARNING_HORIZON_DAYS`
    before: they are on the analysts' desk already, a warning would be no news."""
    last: dict[str, dt.date] = {}
    out = np.zeros(len(users), dtype=bool)
    for k in sorted(range(len(users)), key=lambda i: (users[i], days[i])):
        if alerts[k]:
            last[users[k]] = days[k]
        seen = last.get(users[k])
        out[k] = seen is not None and (days[k] - seen).days <= WARNING_HORIZON_DAYS
    return out


def _warned_days(history: pa.Table, per_1000: float) -> dict[str, list[dt.date]]:
    days = np.asarray(history["day"].to_numpy(zero_copy_only=False), dtype="datetime64[D]")
    probs = np.nan_to_num(history["p_alert_14d"].to_numpy(zero_copy_only=False).astype(np.float64))
    probs[
        in_episode(
            history["user"].to_pylist(), history["day"].to_pylist(), history["alert"].to_pylist()
        )
    ] = 0.0
    mask = warned_mask(days.astype(np.int64), probs, per_1000)
    out: dict[str, list[dt.date]] = defaultdict(list)
    users, when = history["user"].to_pylist(), history["day"].to_pylist()
    for k in np.flatnonzero(mask).tolist():
        out[users[k]].append(when[k])
    return {u: sorted(d) for u, d in out.items()}


def lead_days(incident: Incident, warned: list[dt.date]) -> int | None:
    """Days from the first warning in the horizon before the start to the start day."""
    lo = incident.start_day - dt.timedelta(days=WARNING_HORIZON_DAYS)
    hits = [d for d in warned if lo <= d <= incident.start_day]
    return (incident.start_day - hits[0]).days if hits else None


def warning_metrics(incidents: list[Incident], warned: dict[str, list[dt.date]]) -> WarningMetrics:
    leads = [lead_days(i, warned.get(i.user, [])) for i in incidents]
    ahead = [x for x in leads if x is not None and x >= 1]
    n = len(incidents)
    return WarningMetrics(
        n,
        len(ahead) / n if n else None,
        sum(x >= 7 for x in ahead) / n if n else None,
        float(np.median(ahead)) if ahead else None,
    )


def onsets(days: list[dt.date]) -> list[dt.date]:
    """The first day of each run of consecutive warned days."""
    return [d for k, d in enumerate(days) if k == 0 or (d - days[k - 1]).days > 1]


def _is_true_warning(day: dt.date, incidents: list[Incident]) -> bool:
    return any(
        i.start_day - dt.timedelta(days=WARNING_HORIZON_DAYS)
        <= day
        <= i.end_day + dt.timedelta(days=WARNING_AFTER_END_DAYS)
        for i in incidents
    )


def _reliability(history: pa.Table, by_user: dict[str, list[Incident]]) -> list[ReliabilityBin]:
    users, days = history["user"].to_pylist(), history["day"].to_pylist()
    probs = history["p_alert_14d"].to_numpy(zero_copy_only=False).astype(np.float64)
    alerts = history["alert"].to_pylist()
    alert_days: dict[str, list[dt.date]] = defaultdict(list)
    for user, day, alert in zip(users, days, alerts, strict=True):
        if alert:
            alert_days[user].append(day)
    last = max(days) if days else dt.date.min
    horizon = dt.timedelta(days=WARNING_HORIZON_DAYS)
    keep, alerted, started = [], [], []
    for k, (user, day) in enumerate(zip(users, days, strict=True)):
        if day + horizon > last:
            continue  # its horizon is not fully observed
        keep.append(k)
        alerted.append(any(day < a <= day + horizon for a in alert_days.get(user, ())))
        started.append(any(day < i.start_day <= day + horizon for i in by_user.get(user, ())))
    p = probs[keep] if keep else np.zeros(0)
    a, s = np.array(alerted, dtype=bool), np.array(started, dtype=bool)
    which = np.minimum((p * BINS).astype(np.int64), BINS - 1)
    out = []
    for b in range(BINS):
        mask = which == b
        n = int(mask.sum())
        out.append(
            ReliabilityBin(
                b / BINS,
                (b + 1) / BINS,
                n,
                float(p[mask].mean()) if n else None,
                float(a[mask].mean()) if n else None,
                float(s[mask].mean()) if n else None,
            )
        )
    return out


def early_warning(
    history: pa.Table,
    incidents: list[Incident],
    people: int,
    n_days: int,
    per_1000: float = WARNINGS_PER_1000,
) -> EarlyWarning | None:
    """The early-warning figures (`per_1000`: the daily list's size per 1,000 people);
    None when the history has no forecast."""
    if "p_alert_14d" not in history.column_names:
        return None
    warned = _warned_days(history, per_1000)
    by_user: dict[str, list[Incident]] = defaultdict(list)
    by_scenario: dict[str, list[Incident]] = defaultdict(list)
    for inc in incidents:
        by_user[inc.user].append(inc)
        by_scenario[inc.scenario].append(inc)
    starts = [(u, d) for u, days in warned.items() for d in onsets(days)]
    false = sum(not _is_true_warning(d, by_user.get(u, [])) for u, d in starts)
    return EarlyWarning(
        warning_metrics(incidents, warned),
        {k: warning_metrics(v, warned) for k, v in by_scenario.items()},
        len(starts),
        false,
        false / n_days / (people / 1000) if n_days and people else None,
        _reliability(history, by_user),
    )
