"""`analyze_behaviour`: features → baselines → detectors → explanations, one call."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.lake import Lake
from watchkeeper.ueba.baselines import compute_baselines, day_numbers
from watchkeeper.ueba.catalog import Catalog
from watchkeeper.ueba.config import UebaConfig
from watchkeeper.ueba.detectors import ecod_score, fuse, robust_score
from watchkeeper.ueba.explain import EVIDENCE_TYPE, TOP_TYPE, explanations
from watchkeeper.ueba.features import FeatureSet, build_features

ANOMALY_SCHEMA = pa.schema([
    ("user", pa.string()), ("day", pa.date32()), ("score", pa.float64()),
    ("robust", pa.float64()), ("model", pa.float64()),
    ("top_features", pa.list_(TOP_TYPE)), ("evidence", pa.list_(EVIDENCE_TYPE)),
])


@dataclass(frozen=True)
class BehaviourResult:
    """Features and anomaly scores per person-day, and what could not be computed."""

    features: pa.Table
    anomalies: pa.Table
    skipped: dict[str, str]
    notes: dict[str, str] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)


def lookback_days(cfg: UebaConfig) -> int:
    """Days before `since` read back so baselines and scores of `since` are complete."""
    return max(cfg.window_days, cfg.score_reference_days, cfg.model_history_days) + 1


def analyze_behaviour(lake: Lake, *, since: date | None = None,
                      config: UebaConfig | None = None) -> BehaviourResult:
    """Score every person-day (only local days >= `since` when given).

    With `since`, features are computed from `since` minus the look-back window, so the
    days returned are the same as in a full run as long as the second detector's history
    fits in the look-back.
    """
    cfg = config or UebaConfig()
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    start = since - timedelta(days=lookback_days(cfg)) if since is not None else None
    fs = build_features(lake, cfg, start)
    timings["features"] = time.perf_counter() - t0
    anomalies = score(lake, fs, cfg, timings)
    features = fs.table
    if since is not None:
        keep = pc.greater_equal(features["day"], pa.scalar(since, pa.date32()))
        features = features.filter(keep)
        anomalies = anomalies.filter(
            pc.greater_equal(anomalies["day"], pa.scalar(since, pa.date32())))
    return BehaviourResult(features, anomalies, fs.skipped, fs.notes, timings)


def score(lake: Lake, fs: FeatureSet, cfg: UebaConfig, timings: dict[str, float]) -> pa.Table:
    """The anomalies table for every row of a feature set."""
    t = fs.table
    if t.num_rows == 0:
        return ANOMALY_SCHEMA.empty_table()
    tick = time.perf_counter()
    raw = np.column_stack([t[c].to_numpy() for c in fs.columns]).astype(np.float64)
    x = np.log1p(np.clip(raw, 0.0, None))
    users = np.asarray(t["user"].combine_chunks().dictionary_encode().indices.to_numpy(),
                       dtype=np.int64)
    days = day_numbers(t["day"].combine_chunks())
    base = compute_baselines(lake, x, users, days, t.select(["user", "day"]), cfg)
    timings["baselines"] = time.perf_counter() - tick
    tick = time.perf_counter()
    robust = robust_score(base.z)
    model = ecod_score(base.z, days, cfg)
    fused = fuse(robust, model, days, cfg.score_reference_days)
    timings["detectors"] = time.perf_counter() - tick
    tick = time.perf_counter()
    top, evidence = explanations(
        Catalog(fs.families), fs.columns, t["user"].to_pylist(), t["day"].to_pylist(),
        fs.zones, raw, base.self_median, base.peer_median, base.z, cfg)
    timings["explanations"] = time.perf_counter() - tick
    return pa.table([t["user"], t["day"], pa.array(fused), pa.array(robust), pa.array(model),
                     top, evidence], schema=ANOMALY_SCHEMA)
