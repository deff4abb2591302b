"""Decay arithmetic, per-source caps and alert episodes (exact values)."""

from __future__ import annotations

import numpy as np
import pytest

from watchkeeper.risk.entity import alert_days, decay_rate, decayed_sum


def test_half_life_halves_risk() -> None:
    new = np.zeros((1, 15))
    new[0, 0] = 1.0
    out = decayed_sum(new, half_life_days=7.0, cap=10.0)
    assert out[0, 0] == 1.0
    assert out[0, 7] == pytest.approx(0.5, abs=1e-12)
    assert out[0, 14] == pytest.approx(0.25, abs=1e-12)
    assert decay_rate(1.0) == 0.5


def test_sums_add_with_decay() -> None:
    new = np.array([[1.0, 0.0, 1.0]])
    out = decayed_sum(new, half_life_days=1.0, cap=10.0)
    assert out.tolist() == [[1.0, 0.5, 1.25]]


def test_cap_holds_a_noisy_source_and_decays_from_it() -> None:
    new = np.array([[3.0, 3.0, 0.0, 0.0]])
    out = decayed_sum(new, half_life_days=1.0, cap=2.0)
    assert out.tolist() == [[2.0, 2.0, 1.0, 0.5]]


def test_alert_once_per_episode_and_rearm_below_level() -> None:
    score = np.array([[0.5, 1.2, 1.5, 0.8, 1.3, 0.4, 1.1]])
    fired = alert_days(score, threshold=1.0, rearm=0.5)
    # 1.3 on day 4 is the same episode: the score never fell below 0.5 before it
    assert np.flatnonzero(fired[0]).tolist() == [1, 6]
