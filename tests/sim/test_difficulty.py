"""The realistic profile is hard: each scenario's trace is there, no simple feature finds
the insiders on its own (person-level ROC AUC <= 0.75 over all insiders)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from watchkeeper.sim import SimConfig, SimResult, simulate
from watchkeeper.sim.difficulty import FEATURES, auc, measure

LIMIT = 0.75


def test_auc_counts_ties_half() -> None:
    assert auc(np.array([3.0, 4.0]), np.array([1.0, 2.0])) == 1.0
    assert auc(np.array([1.0]), np.array([1.0, 1.0])) == 0.5
    assert auc(np.array([2.0]), np.array([1.0, 2.0, 3.0])) == 0.5


def test_features_of_a_small_run(full_run: SimResult) -> None:
    report = measure(full_run.out)
    assert set(report.auc) == set(FEATURES)
    assert not report.missing_signals, report.missing_signals


def _check(out: Path) -> None:
    report = measure(out)
    print(f"\n{report.profile} seed {report.seed}, {report.people} people, "
          f"{len(report.insiders)} insiders\n{report.markdown()}")
    assert not report.missing_signals, report.missing_signals
    too_good = {k: round(v, 3) for k, v in report.auc.items() if v > LIMIT}
    assert not too_good, too_good


def test_a_year_of_200_people_is_hard(tmp_path: Path) -> None:
    """The fast variant (seed 1): fewer insiders, so the bound is a regression check."""
    _check(simulate(SimConfig(users=200, days=365, seed=1), tmp_path).out)


@pytest.mark.slow
def test_a_year_of_1000_people_is_hard(tmp_path: Path) -> None:
    """The issue's check: 1,000 people, a year, seed 7 (docs/simulator.md)."""
    _check(simulate(SimConfig(users=1000, days=365, seed=7), tmp_path).out)


def test_classic_profile_has_no_genai(tmp_path: Path) -> None:
    result = simulate(SimConfig(users=100, days=30, seed=2, profile="classic"), tmp_path)
    http = (result.out / "http.csv").read_text(encoding="utf-8")
    assert "chatgpt.com" not in http and "claude.ai" not in http
    assert "9." not in (result.out / "answers" / "scenarios.txt").read_text()
