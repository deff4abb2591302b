"""Exact baseline, week and detector values on hand-made arrays."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from watchkeeper.ueba.baselines import (
    leave_one_out_quantiles,
    peer_group_ids,
    peer_order,
    self_baseline,
)
from watchkeeper.ueba.config import UebaConfig
from watchkeeper.ueba.detectors import tail_surprise, weighted_sum
from watchkeeper.ueba.grid import make_grid, trailing_sum
from watchkeeper.ueba.weekly import week_deviations

# day numbers count from 1970-01-01, a Thursday: day 4 is a Monday


def test_self_baseline_is_the_window_before_the_days_week() -> None:
    x = np.arange(18, dtype=np.float64)[:, None]       # value = day number
    users = np.zeros(18, dtype=np.int64)
    med, mad = self_baseline(x, users, np.arange(18), UebaConfig(warmup_active_days=4))
    assert np.isnan(med[:4, 0]).all()                  # week of day 0: no earlier days
    assert (med[4:11, 0] == 1.5).all() and (mad[4:11, 0] == 1.0).all()  # days 0-3
    assert (med[11:, 0] == 5.0).all()                  # days 0-10


def test_self_baseline_warm_up_counts_active_days_only() -> None:
    days = np.array([0, 2, 4, 11])                     # 3 active days before day 11's week
    x = np.ones((4, 1))
    med, _ = self_baseline(x, np.zeros(4, np.int64), days, UebaConfig(warmup_active_days=4))
    assert np.isnan(med[:, 0]).all()
    med, _ = self_baseline(x, np.zeros(4, np.int64), days, UebaConfig(warmup_active_days=3))
    assert np.isnan(med[:3, 0]).all() and med[3, 0] == 1.0


def test_peer_quantiles_leave_the_person_out() -> None:
    v = np.array([1.0, 2.0, 3.0, 10.0, 7.0])
    gid = np.array([0, 0, 0, 0, 1])
    med, q1, q3 = leave_one_out_quantiles(v, peer_order(gid), (0.5, 0.25, 0.75))
    assert med.tolist()[:4] == [3.0, 3.0, 2.0, 2.0]
    assert (q1[3], q3[3]) == (1.5, 2.5)
    assert np.isnan(med[4])                            # alone in its group


def test_small_peer_groups_fall_back_to_department_then_everyone() -> None:
    groups = pa.table({"department": ["D"] * 4 + ["E"],
                       "team": ["T1", "T1", "T2", "T2", "T3"],
                       "role": ["R"] * 5})
    gid = peer_group_ids(np.zeros(5, np.int64), groups, min_peers=1)
    assert gid[0] == gid[1] != gid[2] == gid[3]       # teams have one other person
    gid = peer_group_ids(np.zeros(5, np.int64), groups, min_peers=3)
    assert len(set(gid[:4].tolist())) == 1 and gid[4] != gid[0]   # D, then everyone


def test_trailing_sum_over_seven_days() -> None:
    m = np.ones((1, 10), np.float32)
    m[0, 2] = np.nan                                   # a day without a row counts 0
    assert trailing_sum(m, 7)[0].tolist() == [1, 2, 2, 3, 4, 5, 6, 6, 6, 7]


def test_week_z_rises_when_a_habit_grows() -> None:
    users = np.repeat(np.arange(6), 70)
    days = np.tile(np.arange(70), 6)
    raw = np.ones((420, 1))
    raw[(users == 0) & (days >= 63), 0] = 5.0           # person 0, last week: 5 a day
    z = week_deviations(raw, users, days, np.asarray(days), UebaConfig(), [0])[:, 0]
    last = (days == 69)
    assert z[last & (users == 0)][0] > 3 and np.allclose(z[last & (users != 0)], 0.0)


def test_tail_surprise_counts_reference_rows_at_or_above() -> None:
    ref = np.array([[0.0], [0.0], [0.0], [1.0]])
    s = tail_surprise(ref, np.array([[1.0], [2.0]]), np.array([1.0]), floor=0.5)
    assert np.allclose(s.total, [-np.log10(2 / 5), -np.log10(1 / 5)])
    assert np.allclose(s.weighted, np.clip(s.total - 0.5, 0, None))


def test_weighted_sum_takes_one_feature_per_family() -> None:
    z = np.array([[4.0, 3.0, 2.0, 30.0]])
    family = np.array([0, 0, 1, 2])
    w = np.array([1.0, 1.0, 0.5, 1.0])
    assert weighted_sum(z, w, family, k=2, cap=8.0)[0] == 4.0 + 8.0


def test_grid_places_rows_by_person_and_day() -> None:
    g = make_grid(np.array([0, 1, 1]), np.array([10, 10, 12]))
    assert g.shape == (2, 3) and g.first_day == 10
    dense = g.dense(np.array([1.0, 2.0, 3.0]))
    assert dense[1].tolist()[::2] == [2.0, 3.0] and np.isnan(dense[0, 1])


def test_feature_weights_prefer_overrides_then_relevance() -> None:
    from watchkeeper.ueba.weights import feature_weights
    cols = ("web_leak", "web_news", "logon_count")
    assert feature_weights(cols, {"logon_count": 0.7}, 0.25) == [1.0, 0.25, 0.7]
