"""Early-warning metrics and the naive baselines on hand-made histories (exact values)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest

from watchkeeper.evaluate.answers import Incident
from watchkeeper.evaluate.baselines import after_hours_max, baselines
from watchkeeper.evaluate.warning import (
    early_warning,
    in_episode,
    lead_days,
    onsets,
    warned_mask,
)

D0 = dt.date(2025, 1, 1)
DAYS = 20


def _day(n: int) -> dt.date:
    return D0 + dt.timedelta(days=n)


def _incident(user: str, scenario: str, start: int, end: int) -> Incident:
    return Incident(
        "s",
        scenario,
        "d",
        user,
        dt.datetime.combine(_day(start), dt.time(9)),
        dt.datetime.combine(_day(end), dt.time(17)),
    )


WARNED = {"AAA": {2, 3, 4, 8, 9}, "BBB": {13}, "CCC": {5, 6, 12}, "DDD": {5}}
ALERTS = {"AAA": 10, "CCC": 12, "DDD": 6}
INCIDENTS = [
    _incident("AAA", "1", 10, 11),
    _incident("BBB", "2", 15, 16),
    _incident("DDD", "2", 5, 5),
]


def _history() -> pa.Table:
    rows = [
        {
            "user": u,
            "day": _day(n),
            "score": 0.1,
            "alert": ALERTS.get(u) == n,
            "scenario": None,
            "p_alert_14d": 0.9 if n in WARNED[u] else 0.0,
        }
        for u in WARNED
        for n in range(DAYS)
    ]
    return pa.Table.from_pylist(rows)


def test_leads_and_onsets() -> None:
    assert onsets([_day(2), _day(3), _day(4), _day(8)]) == [_day(2), _day(8)]
    assert lead_days(INCIDENTS[0], [_day(2), _day(8)]) == 8
    assert lead_days(INCIDENTS[2], [_day(5)]) == 0  # on the start day: lead 0
    assert lead_days(INCIDENTS[1], [_day(0)]) is None  # more than 14 days before


def test_early_warning_figures() -> None:
    w = early_warning(_history(), INCIDENTS, people=4, n_days=DAYS, per_1000=500)
    assert w is not None
    # AAA lead 8, BBB lead 2, DDD warned on its start day only (lead 0: not warned)
    assert w.overall.warned_1d == pytest.approx(2 / 3)
    assert w.overall.warned_7d == pytest.approx(1 / 3)
    assert w.overall.median_lead_days == 5.0
    assert (w.per_scenario["1"].warned_1d, w.per_scenario["1"].median_lead_days) == (1.0, 8.0)
    assert (w.per_scenario["2"].warned_1d, w.per_scenario["2"].warned_7d) == (0.5, 0.0)
    # onsets: AAA days 2 and 8, BBB 13, DDD 5 (true), CCC 5 (false); CCC's day 12 is
    # its alert day: in an alert episode, no warning
    assert (w.warnings, w.false_warnings) == (5, 1)
    assert w.false_warnings_per_day_per_1000 == pytest.approx(1 / 20 / 4 * 1000)


def test_reliability_table() -> None:
    w = early_warning(_history(), INCIDENTS, people=4, n_days=DAYS, per_1000=500)
    assert w is not None
    bins = {b.low: b for b in w.reliability}
    # days 0..5 have a whole horizon (day + 14 <= 19): 24 person-days
    assert sum(b.days for b in w.reliability) == 24
    top, low = bins[0.9], bins[0.0]
    assert top.days == 5 and top.mean_forecast == pytest.approx(0.9)
    assert low.mean_forecast == 0.0
    assert top.alerted_within == 1.0 and top.incident_within == pytest.approx(3 / 5)
    assert low.days == 19
    assert low.alerted_within == pytest.approx(13 / 19)
    assert low.incident_within == pytest.approx(13 / 19)
    assert bins[0.5].days == 0 and bins[0.5].mean_forecast is None


def test_daily_list_keeps_the_highest_per_1000() -> None:
    days = np.repeat([0, 1], 400)
    probs = np.r_[np.linspace(0.001, 0.4, 400), np.zeros(399), [0.3]]
    mask = warned_mask(days, probs, per_1000=5)
    # day 0: 400 people -> the 2 highest; day 1: only one nonzero forecast
    assert mask[:400].sum() == 2 and mask[398] and mask[399]
    assert mask[400:].sum() == 1 and mask[-1]
    fit = warned_mask(np.zeros(4, dtype=np.int64), np.array([0.2, 0.5, 0.5, 0.1]), 500)
    assert fit.tolist() == [False, True, True, False]  # two tied at the cut, two places


def test_a_tie_that_overfills_the_list_is_left_off() -> None:
    # regression: ties at the cut were all warned; with the people table hidden
    # (`--by-source`, "- LDAP/HR") most forecasts were equal and 17 false warnings a day
    # per 1,000 came out of a list of 5
    days = np.zeros(1000, dtype=np.int64)
    probs = np.r_[np.full(997, 0.04), [0.5, 0.6, 0.7]]
    assert np.flatnonzero(warned_mask(days, probs, per_1000=5)).tolist() == [997, 998, 999]
    same = warned_mask(days, np.full(1000, 0.04), per_1000=5)
    assert not same.any()


def test_alert_episode_days_are_no_warning() -> None:
    users = ["A", "A", "A", "A", "B"]
    days = [_day(0), _day(1), _day(15), _day(16), _day(1)]
    assert in_episode(users, days, [False, True, False, False, False]).tolist() == [
        False,
        True,
        True,
        False,
        False,
    ]


def test_no_forecast_column_gives_none() -> None:
    assert early_warning(_history().drop_columns(["p_alert_14d"]), INCIDENTS, 4, DAYS) is None


def _features() -> pa.Table:
    rows = [
        ("AAA", 0, 1, 0),
        ("AAA", 1, 2, 3),
        ("BBB", 0, 1, 0),
        ("CCC", 0, 3, 0),
        ("CCC", 1, 0, 1),
        ("DDD", 0, 0, 0),
    ]
    return pa.Table.from_pylist(
        [
            {"user": u, "day": _day(d), "logon_after_hours": a, "logon_weekend": w}
            for u, d, a, w in rows
        ]
    )


def test_after_hours_baseline_counts_weekends() -> None:
    assert after_hours_max(_features()) == {"AAA": 5.0, "BBB": 1.0, "CCC": 3.0, "DDD": 0.0}


def test_baselines_auc() -> None:
    users = ["AAA", "BBB", "CCC", "DDD"]
    hours, left = baselines(_features(), users, {"AAA", "BBB"}, ["BBB", "CCC"])
    # after hours: AAA 5 > CCC 3, DDD 0; BBB 1 < CCC 3, > DDD 0 -> 3 of 4 pairs
    assert hours.person_auc == 0.75 and hours.leavers_auc == 0.0
    # left: BBB 1, CCC 1, AAA 0, DDD 0 -> pairs 0 + 0.5 + 0.5 + 1 of 4
    assert left.name == "left the company"
    assert left.person_auc == 0.5 and left.leavers_auc == 0.5
    assert [b.name for b in baselines(None, users, {"AAA"}, [])] == ["left the company"]
