"""Ranking metrics on tiny hand-made examples (exact values)."""

from __future__ import annotations

import numpy as np
import pytest

from watchkeeper.evaluate import average_precision, detection_at, roc_auc

Y = np.array([1, 0, 1, 0], dtype=bool)
S = np.array([0.9, 0.9, 0.5, 0.1])


def test_auc_counts_ties_half() -> None:
    # pairs: (0.9 vs 0.9) 0.5, (0.9 vs 0.1) 1, (0.5 vs 0.9) 0, (0.5 vs 0.1) 1
    assert roc_auc(Y, S) == 0.625
    assert roc_auc(Y, np.ones(4)) == 0.5
    assert roc_auc(np.array([1, 1], dtype=bool), np.array([1.0, 2.0])) is None


def test_average_precision_treats_a_tie_as_one_threshold() -> None:
    # threshold 0.9: precision 1/2, recall 1/2; threshold 0.5: precision 2/3, recall 1
    assert average_precision(Y, S) == pytest.approx(0.5 * 0.5 + 0.5 * 2 / 3)
    assert average_precision(np.array([1, 0], dtype=bool), np.array([2.0, 1.0])) == 1.0


def test_top_k_detection_is_expected_over_tie_orders() -> None:
    assert detection_at(Y, S, 0.5) == 0.5     # top 2 = the 0.9 tie holding one positive
    assert detection_at(Y, S, 0.25) == 0.25   # one slot among the tie: half a positive
    assert detection_at(Y, S, 0.75) == 1.0
    assert detection_at(np.zeros(3, dtype=bool), np.ones(3), 0.1) is None
