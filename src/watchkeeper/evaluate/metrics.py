"""Ranking metrics with numpy, tie-aware: ROC AUC, average precision, top-k detection."""

from __future__ import annotations

import math

import numpy as np


def roc_auc(labels: np.ndarray, scores: np.ndarray) -> float | None:
    """Probability that a random positive outranks a random negative (ties count half).

    None when one class is missing.
    """
    y = np.asarray(labels, dtype=bool)
    s = np.asarray(scores, dtype=np.float64)
    pos, neg = int(y.sum()), int((~y).sum())
    if pos == 0 or neg == 0:
        return None
    ranks = _average_ranks(s)
    return float((ranks[y].sum() - pos * (pos + 1) / 2) / (pos * neg))


def _average_ranks(s: np.ndarray) -> np.ndarray:
    order = np.argsort(s, kind="mergesort")
    sorted_s = s[order]
    ranks = np.empty(len(s))
    bounds = np.flatnonzero(np.diff(sorted_s)) + 1
    starts = np.concatenate([[0], bounds])
    ends = np.concatenate([bounds, [len(s)]])
    for lo, hi in zip(starts, ends, strict=True):
        ranks[order[lo:hi]] = (lo + hi + 1) / 2.0
    return ranks


def average_precision(labels: np.ndarray, scores: np.ndarray) -> float | None:
    """Area under precision-recall as sklearn computes it: tied scores form one threshold."""
    y = np.asarray(labels, dtype=bool)
    s = np.asarray(scores, dtype=np.float64)
    pos = int(y.sum())
    if pos == 0:
        return None
    order = np.argsort(-s, kind="mergesort")
    ys, ss = y[order], s[order]
    last = np.r_[np.flatnonzero(np.diff(ss)), len(ss) - 1]
    tp = np.cumsum(ys)[last]
    precision = tp / (last + 1)
    recall_gain = np.diff(np.r_[0, tp]) / pos
    return float(np.sum(precision * recall_gain))


def detection_at(labels: np.ndarray, scores: np.ndarray, share: float) -> float | None:
    """Share of positives among the top `share` of items (ceil), expected over tie orders."""
    y = np.asarray(labels, dtype=bool)
    s = np.asarray(scores, dtype=np.float64)
    pos = int(y.sum())
    if pos == 0:
        return None
    k = math.ceil(share * len(s))
    if k == 0:
        return 0.0
    cut = np.sort(s)[::-1][k - 1]
    above = s > cut
    tied = s == cut
    room = k - int(above.sum())
    found = float(y[above].sum()) + room * float(y[tied].sum()) / int(tied.sum())
    return found / pos
