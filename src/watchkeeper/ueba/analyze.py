"""`analyze_behaviour`: features → baselines → detectors → explanations, one call."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.lake import Lake
from watchkeeper.ueba.baselines import (
    Baselines,
    compute_baselines,
    day_numbers,
    peer_group_ids,
    peer_groups,
)
from watchkeeper.ueba.catalog import Catalog
from watchkeeper.ueba.config import UebaConfig
from watchkeeper.ueba.detectors import model_score, squash, surprise, weighted_sum
from watchkeeper.ueba.explain import EVIDENCE_TYPE, TOP_TYPE, explanations
from watchkeeper.ueba.features import FeatureSet, build_features
from watchkeeper.ueba.weekly import week_deviations
from watchkeeper.ueba.weights import feature_weights

ANOMALY_SCHEMA = pa.schema([
    ("user", pa.string()), ("day", pa.date32()), ("score", pa.float64()),
    ("robust", pa.float64()), ("model", pa.float64()),
    ("top_features", pa.list_(TOP_TYPE)), ("evidence", pa.list_(EVIDENCE_TYPE)),
    ("week_score", pa.float64()),
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
    return max(cfg.window_days + cfg.baseline_step_days,
               cfg.week_history_days + 7,
               cfg.model_history_days + cfg.model_block_days) + 1


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


def family_codes(fs: FeatureSet) -> npt.NDArray[np.int64]:
    """A code per column: the index of its family."""
    names = list(fs.families)
    cat = Catalog(fs.families)
    return np.asarray([names.index(cat.family_of(c)) for c in fs.columns], dtype=np.int64)


@dataclass(frozen=True)
class Deviations:
    """The day and week deviation matrices of a feature set, and what they need."""

    raw: npt.NDArray[np.float64]
    days: npt.NDArray[np.int64]
    base: Baselines
    week_z: npt.NDArray[np.float32]
    weights: npt.NDArray[np.float64]
    relevant: list[int]


def deviations_of(lake: Lake, fs: FeatureSet, cfg: UebaConfig) -> Deviations:
    """Self, peer and week deviations of every row of a (non-empty) feature set."""
    t = fs.table
    raw = np.clip(np.column_stack([t[c].to_numpy() for c in fs.columns]), 0.0, None)
    users = np.asarray(t["user"].combine_chunks().dictionary_encode().indices.to_numpy(),
                       dtype=np.int64)
    days = day_numbers(t["day"].combine_chunks())
    gid = peer_group_ids(days, peer_groups(lake, t.select(["user", "day"])), cfg.min_peers)
    base = compute_baselines(np.log1p(raw), users, days, gid, cfg)
    weights = np.asarray(feature_weights(fs.columns, cfg.feature_weights, cfg.default_weight))
    relevant = [i for i, w in enumerate(weights) if w >= cfg.week_min_weight]
    week_z = week_deviations(raw, users, days, gid, cfg, relevant)
    return Deviations(raw.astype(np.float64), days, base, week_z, weights, relevant)


def detect(fs: FeatureSet, d: Deviations, cfg: UebaConfig) -> list[pa.Array]:
    """The score, robust, model and week_score columns."""
    robust = squash(weighted_sum(d.base.z, d.weights, family_codes(fs), cfg.score_top_k,
                                 cfg.score_z_cap), cfg.robust_scale)
    day = surprise(d.base.z, d.days, d.weights, cfg)
    week = surprise(d.week_z, d.days, d.weights[d.relevant], cfg)
    model = model_score(d.base.z, d.days, day.total, cfg)
    fused = squash(day.weighted + week.weighted, cfg.score_scale)
    return [pa.array(a) for a in (fused, robust, model, squash(week.weighted, cfg.score_scale))]


def score(lake: Lake, fs: FeatureSet, cfg: UebaConfig, timings: dict[str, float]) -> pa.Table:
    """The anomalies table for every row of a feature set."""
    t = fs.table
    if t.num_rows == 0:
        return ANOMALY_SCHEMA.empty_table()
    tick = time.perf_counter()
    d = deviations_of(lake, fs, cfg)
    timings["baselines"] = time.perf_counter() - tick
    tick = time.perf_counter()
    fused, robust, model, week = detect(fs, d, cfg)
    timings["detectors"] = time.perf_counter() - tick
    tick = time.perf_counter()
    top, evidence = explanations(
        Catalog(fs.families), fs.columns, t["user"].to_pylist(), t["day"].to_pylist(),
        fs.zones, d.raw, d.base.self_median, d.base.peer_median, d.base.z, d.weights, cfg)
    timings["explanations"] = time.perf_counter() - tick
    return pa.table([t["user"], t["day"], fused, robust, model, top, evidence, week],
                    schema=ANOMALY_SCHEMA)
