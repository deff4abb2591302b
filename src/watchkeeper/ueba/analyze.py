"""`analyze_behaviour`: features → baselines → detectors → explanations, one call."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
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
from watchkeeper.ueba.change import with_change
from watchkeeper.ueba.config import UebaConfig
from watchkeeper.ueba.detectors import (
    model_score,
    needed_rows,
    squash,
    surprise,
    weighted_sum,
)
from watchkeeper.ueba.exfil import LONGEST_WINDOW, add_windows
from watchkeeper.ueba.explain import EVIDENCE_TYPE, TOP_TYPE, explanations
from watchkeeper.ueba.features import FeatureSet, FeatureState, build_features
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
    state: FeatureState | None = None      # whole-history aggregates for the next run
    zcache: pa.Table | None = None         # deviations of the last days, for the next run


def lookback_days(cfg: UebaConfig) -> int:
    """Days before `since` whose features the scores of `since` depend on: the detectors
    compare a day with the rows of the `model_history_days` before its block (which may
    have started `model_block_days` - 1 days earlier), and each of those rows needs its
    own self window and week history."""
    return (cfg.model_block_days - 1 + cfg.model_history_days
            + max(cfg.window_days + cfg.baseline_step_days, cfg.week_history_days + 7) + 1
            + max(LONGEST_WINDOW - 1,   # and each of those rows its exfiltration windows
                  cfg.change_recent_days + cfg.change_trailing_days))   # change windows


def analyze_behaviour(lake: Lake, *, since: date | None = None,
                      config: UebaConfig | None = None,
                      previous: BehaviourResult | None = None) -> BehaviourResult:
    """Score every person-day (only local days >= `since` when given).

    With `since`, the baselines and detectors of the days returned need the look-back
    window before it (`lookback_days`). With `previous` (an earlier run's result holding
    its `state` and the features of that window, same columns) only events from `since`
    on are read and the look-back features are taken from `previous`; otherwise features
    are computed from `since` minus the look-back. Either way the days returned are the
    same as in a full run over the same events.
    """
    cfg = config or UebaConfig()
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    fs: FeatureSet | None = None
    first_seen: dict[str, int] | None = None
    zcache: pa.Table | None = None
    if since is not None and previous is not None and previous.state is not None:
        fs = _with_lookback(build_features(lake, cfg, since, previous.state),
                            previous.features, since, lookback_days(cfg))
        first_seen = _first_days(previous.features) if fs is not None else None
        zcache = previous.zcache if fs is not None else None
    if fs is None:
        start = since - timedelta(days=lookback_days(cfg)) if since is not None else None
        fs = build_features(lake, cfg, start)
        incremental = False
    else:
        incremental = True
    fs = replace(fs, table=with_change(fs.table, cfg.change_recent_days,
                                       cfg.change_trailing_days, cfg.change_min_active_days,
                                       since if incremental else None))
    timings["features"] = time.perf_counter() - t0
    keep = None
    if since is not None:
        keep = np.flatnonzero(day_numbers(fs.table["day"].combine_chunks())
                              >= (since - date(1970, 1, 1)).days)
    anomalies, new_cache = score(lake, fs, cfg, timings, keep, first_seen, zcache)
    features = fs.table if keep is None else fs.table.take(pa.array(keep))
    return BehaviourResult(features, anomalies, fs.skipped, fs.notes, timings, fs.state,
                           new_cache)


def _first_days(features: pa.Table) -> dict[str, int]:
    """Each person's first day (day number) with features."""
    if features.num_rows == 0:
        return {}
    firsts = features.select(["user", "day"]).group_by("user").aggregate([("day", "min")])
    days = day_numbers(firsts["day_min"].combine_chunks())
    return dict(zip(firsts["user"].to_pylist(), days.tolist(), strict=True))


def _with_lookback(fs: FeatureSet, earlier: pa.Table, since: date,
                   lookback: int) -> FeatureSet | None:
    """`fs` (days >= `since`) with the earlier run's features of the look-back window in
    front; None when the earlier features have other columns (another version)."""
    if earlier.column_names != fs.table.column_names:
        return None
    day = earlier["day"]
    window = earlier.filter(pc.and_(
        pc.greater_equal(day, pa.scalar(since - timedelta(days=lookback), pa.date32())),
        pc.less(day, pa.scalar(since, pa.date32()))))
    table = add_windows(pa.concat_tables([window.cast(fs.table.schema), fs.table]).sort_by(
        [("user", "ascending"), ("day", "ascending")]))
    return replace(fs, table=table)


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
    known: npt.NDArray[np.bool_] | None = None   # rows with deviations (None: all)


def deviations_of(lake: Lake, fs: FeatureSet, cfg: UebaConfig,
                  keep: npt.NDArray[np.bool_] | None = None,
                  first_seen: dict[str, int] | None = None,
                  zcache: pa.Table | None = None) -> Deviations:
    """Self, peer and week deviations of every row of a (non-empty) feature set; with
    `keep`, only of the kept rows and the rows their detectors compare them with, those
    of whole days in `zcache` (an earlier run's deviations) taken from there.
    `first_seen`: people's first days with features, when the set starts later."""
    t = fs.table
    raw = np.clip(np.column_stack([t[c].to_numpy() for c in fs.columns]), 0.0, None)
    encoded = t["user"].combine_chunks().dictionary_encode()
    users = np.asarray(encoded.indices.to_numpy(), dtype=np.int64)
    first_day = None
    if first_seen is not None:
        big = np.iinfo(np.int64).max // 4
        first_day = np.asarray([first_seen.get(u, big) for u in
                                encoded.dictionary.to_pylist()], dtype=np.int64)
    days = day_numbers(t["day"].combine_chunks())
    weights = np.asarray(feature_weights(fs.columns, cfg.feature_weights, cfg.default_weight))
    relevant = [i for i, w in enumerate(weights) if w >= cfg.week_min_weight]
    needed = None if keep is None else needed_rows(days, cfg, keep)
    hit_rows = hit_cache = np.zeros(0, dtype=np.int64)
    if needed is not None and keep is not None and zcache is not None:
        hit_rows, hit_cache = _cache_hits(t, days, needed & ~keep, zcache, fs, relevant)
        needed[hit_rows] = False
    rows = None if needed is None else np.flatnonzero(needed)
    keys = t.select(["user", "day"])
    if rows is None:
        gid = peer_group_ids(days, peer_groups(lake, keys), cfg.min_peers)
    else:   # peers are compared within a day: the groups of the needed days suffice
        gid = np.full(t.num_rows, -1, dtype=np.int64)
        gid[rows] = peer_group_ids(days[rows], peer_groups(lake, keys.take(pa.array(rows))),
                                   cfg.min_peers)
    base = compute_baselines(np.log1p(raw), users, days, gid, cfg, rows)
    week_z = week_deviations(raw, users, days, gid, cfg, relevant, rows, first_day)
    known = None
    if needed is not None:
        if hit_rows.size and zcache is not None:
            z, w = _cache_matrices(zcache, fs, relevant)
            base.z[hit_rows] = z[hit_cache]
            week_z[hit_rows] = w[hit_cache]
        known = needed.copy()
        known[hit_rows] = True
    return Deviations(raw.astype(np.float64), days, base, week_z, weights, relevant, known)


def _z_names(fs: FeatureSet, relevant: list[int]) -> list[str]:
    return [f"z:{c}" for c in fs.columns] + [f"w:{fs.columns[i]}" for i in relevant]


def _cache_matrices(zcache: pa.Table, fs: FeatureSet, relevant: list[int]
                    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    names = _z_names(fs, relevant)
    z = np.column_stack([zcache[n].to_numpy() for n in names[:len(fs.columns)]])
    w = np.column_stack([zcache[n].to_numpy() for n in names[len(fs.columns):]]) \
        if relevant else np.zeros((zcache.num_rows, 0), np.float32)
    return np.asarray(z, np.float32), np.asarray(w, np.float32)


def _cache_hits(t: pa.Table, days: npt.NDArray[np.int64], want: npt.NDArray[np.bool_],
                zcache: pa.Table, fs: FeatureSet, relevant: list[int]
                ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """(rows, cache rows) of the `want` rows found in the cache, whole days only (peers
    are compared within a day); nothing when the cache holds other features."""
    none = np.zeros(0, dtype=np.int64)
    if set(_z_names(fs, relevant)) != set(zcache.column_names) - {"user", "day"}:
        return none, none
    rows = np.flatnonzero(want)
    if rows.size == 0:
        return none, none
    left = pa.table({"user": t["user"].take(pa.array(rows)), "day": t["day"].take(
        pa.array(rows)), "wk_r": pa.array(rows)})
    right = zcache.select(["user", "day"]).append_column(
        "wk_c", pa.array(np.arange(zcache.num_rows)))
    j = left.join(right, ["user", "day"], join_type="inner")
    hit = np.asarray(j["wk_r"].to_numpy(), dtype=np.int64)
    at = np.asarray(j["wk_c"].to_numpy(), dtype=np.int64)
    all_days, all_n = np.unique(days[rows], return_counts=True)
    hit_days, hit_n = np.unique(days[hit], return_counts=True)
    whole = set(hit_days[hit_n == all_n[np.searchsorted(all_days, hit_days)]].tolist())
    ok = np.asarray([d in whole for d in days[hit].tolist()], dtype=bool)
    return hit[ok], at[ok]


def zcache_of(fs: FeatureSet, d: Deviations, cfg: UebaConfig,
              old: pa.Table | None) -> pa.Table:
    """The deviations of the last `model_history_days` + `model_block_days` days, which
    a later run's detectors compare its days with: computed ones, else the old cache's."""
    t = fs.table
    if t.num_rows == 0:
        return pa.table({"user": pa.array([], pa.string()), "day": pa.array([], pa.date32())})
    cutoff = int(d.days.max()) - (cfg.model_history_days + cfg.model_block_days) + 1
    have = d.known if d.known is not None else np.ones(t.num_rows, dtype=bool)
    take = np.flatnonzero(have & (d.days >= cutoff))
    cols: dict[str, pa.Array] = {"user": t["user"].take(pa.array(take)),
                                 "day": t["day"].take(pa.array(take))}
    names = _z_names(fs, d.relevant)
    for k in range(len(fs.columns)):
        cols[names[k]] = pa.array(d.base.z[take, k], pa.float32())
    for k in range(len(d.relevant)):
        cols[names[len(fs.columns) + k]] = pa.array(d.week_z[take, k], pa.float32())
    new = pa.table(cols)
    if old is None or set(old.column_names) != set(new.column_names):
        return new
    covered = pa.array(sorted(set(d.days[take].tolist())), pa.int32())
    old_days = old["day"].cast(pa.int32())
    rest = old.filter(pc.and_(pc.greater_equal(old_days, pa.scalar(cutoff, pa.int32())),
                              pc.invert(pc.is_in(old_days, covered))))
    return pa.concat_tables([rest.select(new.column_names).cast(new.schema), new])


def detect(fs: FeatureSet, d: Deviations, cfg: UebaConfig,
           keep: npt.NDArray[np.bool_] | None = None) -> list[pa.Array]:
    """The score, robust, model and week_score columns (of the kept rows; 0 elsewhere)."""
    robust = squash(weighted_sum(d.base.z, d.weights, family_codes(fs), cfg.score_top_k,
                                 cfg.score_z_cap), cfg.robust_scale)
    day = surprise(d.base.z, d.days, d.weights, cfg, keep)
    week = surprise(d.week_z, d.days, d.weights[d.relevant], cfg, keep)
    model = model_score(d.base.z, d.days, day.total, cfg, keep)
    fused = squash(day.weighted + week.weighted, cfg.score_scale)
    return [pa.array(a) for a in (fused, robust, model, squash(week.weighted, cfg.score_scale))]


def score(lake: Lake, fs: FeatureSet, cfg: UebaConfig, timings: dict[str, float],
          keep: npt.NDArray[np.int64] | None = None,
          first_seen: dict[str, int] | None = None,
          zcache: pa.Table | None = None) -> tuple[pa.Table, pa.Table | None]:
    """The anomalies table of the rows `keep` (all rows when None) of a feature set (the
    other rows are only the baselines' and detectors' history), and the deviations a
    later run needs (`zcache_of`)."""
    t = fs.table
    if (keep is not None and keep.size == 0) or t.num_rows == 0:
        return ANOMALY_SCHEMA.empty_table(), zcache
    tick = time.perf_counter()
    mask = None
    if keep is not None:
        mask = np.zeros(t.num_rows, dtype=bool)
        mask[keep] = True
    d = deviations_of(lake, fs, cfg, mask, first_seen, zcache)
    new_cache = zcache_of(fs, d, cfg, zcache)
    timings["baselines"] = time.perf_counter() - tick
    tick = time.perf_counter()
    cols = detect(fs, d, cfg, mask)
    timings["detectors"] = time.perf_counter() - tick
    tick = time.perf_counter()
    if keep is not None:
        t = t.take(pa.array(keep))
        cols = [c.take(pa.array(keep)) for c in cols]
        d = replace(d, raw=d.raw[keep], base=Baselines(
            d.base.self_median[keep], d.base.peer_median[keep], d.base.z[keep]))
    fused, robust, model, week = cols
    top, evidence = explanations(
        Catalog(fs.families), fs.columns, t["user"].to_pylist(), t["day"].to_pylist(),
        fs.zones, d.raw, d.base.self_median, d.base.peer_median, d.base.z, d.weights, cfg)
    timings["explanations"] = time.perf_counter() - tick
    return pa.table([t["user"], t["day"], fused, robust, model, top, evidence, week],
                    schema=ANOMALY_SCHEMA), new_cache
