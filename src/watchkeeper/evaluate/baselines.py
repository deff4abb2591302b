"""Naive baselines scored on the same people as the analysis, so its figures have a floor.

- **after-hours logons**: each person's maximum, over the days analysed, of successful
  logons outside their working hours in a day (`logon_after_hours + logon_weekend` of the
  behaviour features: weekends count as after hours). Working hours are those the
  behaviour analytics use: the workspace's `[ueba] work_start_minute`/`work_end_minute`
  in the person's local time until they have `learn_hours_days` active weekdays, then
  their own hours learned from those days (docs/ueba.md). A score an analyst could get
  from logons alone.
- **left the company**: 1 for a person whose `end_date` falls in the period, else 0.
  Among leavers it ties everyone, so its leavers AUC is 0.5 by construction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from watchkeeper.evaluate.metrics import roc_auc

AFTER_HOURS_COLUMNS = ("logon_after_hours", "logon_weekend")


@dataclass(frozen=True)
class Baseline:
    """A naive score's person-level ROC AUC, over everyone and among leavers."""

    name: str
    person_auc: float | None
    leavers_auc: float | None


def after_hours_max(features: pa.Table) -> dict[str, float]:
    """Per person, the most after-hours (incl. weekend) logons in one day."""
    cols = [c for c in AFTER_HOURS_COLUMNS if c in features.column_names]
    if not cols or not features.num_rows:
        return {}
    total = np.zeros(features.num_rows)
    for c in cols:
        total += np.nan_to_num(features[c].to_numpy(zero_copy_only=False).astype(float))
    out: dict[str, float] = {}
    for user, value in zip(features["user"].to_pylist(), total.tolist(), strict=True):
        if value > out.get(user, -1.0):
            out[user] = value
    return out


def _auc(users: list[str], scores: dict[str, float], positives: set[str]) -> float | None:
    y = np.array([u in positives for u in users], dtype=bool)
    return roc_auc(y, np.array([scores.get(u, 0.0) for u in users]))


def baselines(
    features: pa.Table | None, users: list[str], insiders: set[str], leavers: list[str]
) -> list[Baseline]:
    """The two baselines (the after-hours one only when features are given)."""
    left = {u: 1.0 for u in leavers}
    out = [Baseline("left the company", _auc(users, left, insiders), _auc(leavers, left, insiders))]
    if features is not None:
        hours = after_hours_max(features)
        out.insert(
            0,
            Baseline(
                "max after-hours logons in a day",
                _auc(users, hours, insiders),
                _auc(leavers, hours, insiders),
            ),
        )
    return out
