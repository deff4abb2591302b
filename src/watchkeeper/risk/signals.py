"""Signals to risk events: anomalies, rule findings and external alerts, one row each.

A risk event is scored on the day it happened and says why. Signal *kinds* (``usb``,
``after_hours``, ``notice`` …) are what scenario templates match on: they come from an
anomaly's strongest features, from finding tags, and from rare first-time indicators in
the feature table.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.risk.config import RiskConfig, Source
from watchkeeper.risk.scenarios import ScenarioMatch

EVENTS_SCHEMA = pa.schema([
    pa.field("user", pa.string(), nullable=False),
    pa.field("day", pa.date32(), nullable=False),
    pa.field("time", pa.timestamp("us", tz="UTC")),
    pa.field("source", pa.string(), nullable=False),
    pa.field("signal_id", pa.string(), nullable=False),
    pa.field("score", pa.float64(), nullable=False),
    pa.field("reason", pa.string(), nullable=False),
    pa.field("kinds", pa.list_(pa.string())),
    pa.field("refs", pa.list_(pa.string())),
])

# Kind of events that touched a data store: the sensitivity modifier applies to them.
DATA_ACCESS = "data_access"

Row = dict[str, Any]
KindDays = dict[str, dict[dt.date, set[str]]]


def surprise(score: float, floor: float) -> float:
    """Risk of an anomaly score: decades of rarity above the floor, log10((1-floor)/(1-s)).

    With the default floor 0.9: 0.9 -> 0, 0.99 -> 1, 0.999 -> 2 (capped at 1 - 1e-4).
    """
    return max(0.0, math.log10((1.0 - floor) / max(1.0 - score, 1e-4)))


def day_percentile(anomalies: pa.Table) -> np.ndarray:
    """Each row's mid-rank percentile among the same day's anomaly scores.

    Scale-free (any detector's score works) and causal: it compares a person only with
    everybody else on the same day.
    """
    scores = np.nan_to_num(anomalies["score"].to_numpy(zero_copy_only=False).astype(float))
    days = anomalies["day"].cast(pa.int32()).to_numpy(zero_copy_only=False)
    out = np.zeros(len(scores))
    order = np.argsort(days, kind="stable")
    bounds = np.flatnonzero(np.diff(days[order])) + 1
    for rows in np.split(order, bounds):
        ranked = np.sort(scores[rows])
        lo = np.searchsorted(ranked, scores[rows], "left")
        hi = np.searchsorted(ranked, scores[rows], "right")
        out[rows] = (lo + hi) / 2.0 / len(rows)
    return out


def _ranked(anomalies: pa.Table, config: RiskConfig) -> pa.Table:
    """The anomalies with `level`: the day percentile, or the raw score if so configured."""
    if config.anomaly_scale == "raw" or anomalies.num_rows == 0:
        level = pc.fill_null(anomalies["score"], 0.0)
    else:
        level = pa.array(day_percentile(anomalies), pa.float64())
    return anomalies.append_column("level", level)


def anomaly_events(anomalies: pa.Table, config: RiskConfig) -> list[Row]:
    """One event per user-day whose anomaly level is above `anomaly_floor`."""
    weight = config.source_weights.get(Source.ANOMALY, 1.0)
    out: list[Row] = []
    ranked = _ranked(anomalies, config)
    for a in ranked.filter(pc.greater(ranked["level"], config.anomaly_floor)).to_pylist():
        score = float(a["level"])
        tops = a.get("top_features") or []
        out.append({
            "user": a["user"], "day": a["day"], "time": None, "source": Source.ANOMALY.value,
            "signal_id": f"anomaly:{a['user']}:{a['day'].isoformat()}",
            "score": weight * surprise(score, config.anomaly_floor),
            "reason": _anomaly_reason(float(a["score"]), score, tops),
            "kinds": sorted(_feature_kinds(tops, config)),
            "refs": [f"{e['class']}:{e['filter']}" for e in a.get("evidence") or []],
        })
    return out


def sustained_events(anomalies: pa.Table, config: RiskConfig) -> list[Row]:
    """Days on which a person was anomalous (>= `sustained_level`) on at least
    `sustained_min_days` of the last `sustained_window_days` days: slow, steady drifts
    that never reach the floor on one day (more reads, week after week)."""
    if config.sustained_score <= 0 or anomalies.num_rows == 0:
        return []
    ranked = _ranked(anomalies, config)
    high = ranked.filter(pc.greater_equal(ranked["level"], config.sustained_level))
    by_user: dict[str, list[dt.date]] = defaultdict(list)
    for user, day in zip(high["user"].to_pylist(), high["day"].to_pylist(), strict=True):
        by_user[user].append(day)
    span = dt.timedelta(days=config.sustained_window_days - 1)
    out: list[Row] = []
    for user in sorted(by_user):
        days, lo = sorted(by_user[user]), 0
        for k, day in enumerate(days):
            while days[lo] < day - span:
                lo += 1
            count = k + 1 - lo
            if count >= config.sustained_min_days:
                out.append({
                    "user": user, "day": day, "time": None, "source": Source.ANOMALY.value,
                    "signal_id": f"sustained:{user}:{day.isoformat()}",
                    "score": config.sustained_score * config.source_weights.get(
                        Source.ANOMALY, 1.0),
                    "reason": f"sustained anomaly: {count} of the last "
                              f"{config.sustained_window_days} days >= "
                              f"{config.sustained_level:g}",
                    "kinds": [], "refs": []})
    return out


def _anomaly_reason(score: float, level: float, tops: list[Row]) -> str:
    parts = [f"{t['feature']}={_num(t['value'])} (self {_num(t['self_baseline'])}, "
             f"peers {_num(t['peer_baseline'])}, z {_num(t['z'])})" for t in tops[:3]]
    head = f"anomaly {score:.2f} (day percentile {level:.4f})"
    return head + ": " + "; ".join(parts) if parts else head


def _num(value: float | None) -> str:
    return "?" if value is None else f"{value:.3g}"


def _feature_kinds(tops: Iterable[Row], config: RiskConfig) -> set[str]:
    kinds = set()
    for t in tops:
        kind = config.feature_kinds.get(t["feature"])
        if (t.get("z") or 0.0) < config.anomaly_min_z or (t["value"] or 0.0) <= 0:
            continue
        if kind:
            kinds.add(kind)
        if t["feature"].startswith("ds_"):
            kinds.add(DATA_ACCESS)
    return kinds


def rule_prevalence(findings: list[Row], population: int,
                    window_days: int) -> dict[tuple[str, dt.date], float]:
    """Share of people each rule flagged over the trailing window up to each day.

    Causal: a day's figure uses findings of that day and the days before only.
    """
    flagged: dict[str, dict[dt.date, set[str]]] = {}
    for f in findings:
        day = f.get("day") or f["time"].date()
        flagged.setdefault(f.get("rule_id") or "?", {}).setdefault(day, set()).add(f["user"])
    out: dict[tuple[str, dt.date], float] = {}
    span = dt.timedelta(days=window_days - 1)
    for rule, days in flagged.items():
        for day in days:
            users: set[str] = set()
            for other, who in days.items():
                if day - span <= other <= day:
                    users |= who
            out[(rule, day)] = len(users) / max(population, 1)
    return out


def _strongest(findings: list[Row], config: RiskConfig) -> list[Row]:
    """One finding per (user, day, rule): the most severe."""
    best: dict[tuple[str, dt.date, str], Row] = {}
    for f in findings:
        key = (f["user"], f.get("day") or f["time"].date(), f.get("rule_id") or "?")
        sev = config.severity_scores.get((f.get("severity") or "medium").lower(), 0.0)
        old = best.get(key)
        if old is None or sev > config.severity_scores.get(
                (old.get("severity") or "medium").lower(), 0.0):
            best[key] = f
    return list(best.values())


def finding_events(findings: pa.Table, config: RiskConfig,
                   population: int | None = None) -> list[Row]:
    """One event per user, day and rule: our own rules are `rule`, the rest `external`.

    A rule that flags many people carries little information about any one of them: its
    score is scaled by ``min(1, target / prevalence)``, with prevalence the share of
    `population` it flagged over the trailing window (see `RiskConfig`); populations
    smaller than ``rule_prevalence_min_people`` are not discounted. A rule that flagged
    the same person on `n` days of the ``rule_self_window_days`` before counts
    ``1 / (1 + n)``: the HR partner whose announcements trip the mass-mail rule every few
    weeks is showing a habit, and a first time is news (causal; 0 turns this off).
    """
    rows = [f for f in findings.to_pylist() if f.get("user")]
    people = population or len({f["user"] for f in rows})
    prevalence = rule_prevalence(rows, people, config.rule_prevalence_window_days)
    strongest = _strongest(rows, config)
    habit = _earlier_days([(f["user"], f.get("day") or f["time"].date(),
                            f.get("rule_id") or "?") for f in strongest],
                          config.rule_self_window_days)
    out: list[Row] = []
    for f in strongest:
        own = (f.get("vendor") or config.own_vendor) == config.own_vendor
        source = Source.RULE if own else Source.EXTERNAL
        severity = (f.get("severity") or "medium").lower()
        base = config.severity_scores.get(severity, config.severity_scores.get("medium", 0.5))
        rule, day = f.get("rule_id") or "?", f.get("day") or f["time"].date()
        share = prevalence[(rule, day)]
        notes = ""
        if people >= config.rule_prevalence_min_people and share > config.rule_prevalence_target:
            base *= config.rule_prevalence_target / share
            notes += _share_note(share, config.rule_prevalence_target / share)
        before = habit.get((f["user"], day, rule), 0)
        base /= 1 + before
        notes += _habit_note(before, config.rule_self_window_days)
        tags = list(f.get("tags") or [])
        time: dt.datetime = f["time"]
        out.append({
            "user": f["user"], "day": day, "time": time,
            "source": source.value, "signal_id": f["event_id"],
            "score": base * config.source_weights.get(source, 1.0),
            "reason": f"{source.value} {rule} ({severity}): "
                      f"{f.get('title') or ''}".rstrip() + notes,
            "kinds": sorted({config.tag_kinds[t] for t in tags if t in config.tag_kinds}),
            "refs": [f"finding:{f['event_id']}"], "rule_id": rule,
        })
    return out


def _above(features: pa.Table, name: str, config: RiskConfig) -> pa.Table:
    """Rows where an indicator feature exceeds its minimum (0 unless configured)."""
    least = config.indicator_min_values.get(name, 0.0)
    return features.filter(pc.greater(pc.fill_null(features[name], 0), least))


def indicator_events(features: pa.Table, config: RiskConfig,
                     population: int | None = None) -> list[Row]:
    """Rare indicators with a score of their own: one `rule` event per user, day and kind.

    An indicator is meant to be rare: when it flags more than
    ``indicator_prevalence_target`` of `population` (default: everyone in `features`)
    over the trailing ``rule_prevalence_window_days``, its score is scaled by
    ``min(1, target / prevalence)``, as for rules (causal: that day and earlier only).
    Indicators of data-store features carry the `data_access` kind, so the sensitivity
    modifier applies to them.

    Kinds in ``indicator_self_kinds`` are judged against the person's own history too:
    a person who showed the indicator on `n` days of the ``indicator_self_window_days``
    before counts ``1 / (1 + n)`` of its score (someone who habitually reads without a
    declared purpose is not news; a first time is).
    """
    seen: dict[tuple[str, dt.date, str], str] = {}
    for name, kind in sorted(config.indicator_features.items()):
        if config.indicator_scores.get(kind, 0.0) <= 0 or name not in features.column_names:
            continue
        hits = _above(features, name, config)
        for user, day in zip(hits["user"].to_pylist(), hits["day"].to_pylist(), strict=True):
            seen.setdefault((user, day, kind), name)
    people = population or len(set(features["user"].to_pylist()))
    prevalence = rule_prevalence([{"user": u, "day": d, "rule_id": k} for u, d, k in seen],
                                 people, config.rule_prevalence_window_days)
    weight = config.source_weights.get(Source.RULE, 1.0)
    habit = _earlier_days(seen, config.indicator_self_window_days, config.indicator_self_kinds)
    out: list[Row] = []
    for (user, day, kind), name in sorted(seen.items()):
        share = prevalence[(kind, day)]
        factor = 1.0
        if people >= config.rule_prevalence_min_people and \
                share > config.indicator_prevalence_target:
            factor = config.indicator_prevalence_target / share
        before = habit.get((user, day, kind), 0)
        out.append({
            "user": user, "day": day, "time": None, "source": Source.RULE.value,
            "signal_id": f"indicator:{kind}:{user}:{day.isoformat()}",
            "score": config.indicator_scores[kind] * weight * factor / (1 + before),
            "reason": f"indicator {kind}: {name} > "
                      f"{config.indicator_min_values.get(name, 0):g}"
                      + (_share_note(share, factor) if factor < 1 else "")
                      + _habit_note(before, config.indicator_self_window_days),
            "kinds": [kind, DATA_ACCESS] if name.startswith("ds_") else [kind],
            "refs": [f"feature:{name}"]})
    return out


def _share_note(share: float, factor: float) -> str:
    return f" (flags {share:.1%} of people: x{factor:.2f})"


def _habit_note(before: int, window_days: int) -> str:
    return (f" (the person's {before} earlier days in {window_days}: "
            f"x{1 / (1 + before):.2f})") if before else ""


def _earlier_days(seen: Iterable[tuple[str, dt.date, str]], window_days: int,
                  kinds: Iterable[str] | None = None) -> dict[tuple[str, dt.date, str], int]:
    """Per distinct (user, day, kind), of `kinds` if given: on how many of the
    `window_days` days before the person showed the same kind (causal: earlier days
    only; a window of 0 counts none)."""
    wanted = None if kinds is None else set(kinds)
    days: dict[tuple[str, str], list[dt.date]] = defaultdict(list)
    for user, day, kind in set(seen):
        if wanted is None or kind in wanted:
            days[(user, kind)].append(day)
    out: dict[tuple[str, dt.date, str], int] = {}
    span = dt.timedelta(days=window_days)
    for (user, kind), found in days.items():
        found.sort()
        lo = 0
        for k, day in enumerate(found):
            while found[lo] < day - span:
                lo += 1
            out[(user, day, kind)] = k - lo
    return out


def scenario_events(matches: Iterable[ScenarioMatch], config: RiskConfig) -> list[Row]:
    """A completed scenario template is a correlation rule firing: one `rule` event."""
    templates = {t.name: t for t in config.scenarios}
    out: list[Row] = []
    for m in matches:
        t = templates[m.scenario]
        if t.score <= 0:
            continue
        days = ", ".join(d.isoformat() for d in m.step_days)
        out.append({
            "user": m.user, "day": m.completed, "time": None, "source": Source.RULE.value,
            "signal_id": f"scenario:{t.name}:{m.user}:{m.completed.isoformat()}",
            "score": t.score * config.source_weights.get(Source.RULE, 1.0),
            "reason": f"scenario {t.name}: {t.title} (steps on {days})",
            "kinds": [], "refs": [f"scenario:{t.name}"], "rule_id": f"risk.{t.name}"})
    return out


def events_table(rows: list[Row]) -> pa.Table:
    """The rows as a table of `EVENTS_SCHEMA` (keys outside it, such as the ``rule_id``
    false-positive verdicts match on, are left out)."""
    rows = sorted(rows, key=lambda r: (r["user"], r["day"], r["source"], r["signal_id"]))
    return pa.Table.from_pylist(rows, schema=EVENTS_SCHEMA)


def kind_days(events: pa.Table, features: pa.Table, notices: Mapping[str, dt.date],
              config: RiskConfig) -> KindDays:
    """Per user and day, the signal kinds seen: events, first-time indicators, HR notice."""
    out: KindDays = defaultdict(lambda: defaultdict(set))
    for user, day, kinds in zip(events["user"].to_pylist(), events["day"].to_pylist(),
                                events["kinds"].to_pylist(), strict=True):
        out[user][day].update(kinds or [])
    for name, kind in config.indicator_features.items():
        if name not in features.column_names:
            continue
        hits = _above(features, name, config)
        for user, day in zip(hits["user"].to_pylist(), hits["day"].to_pylist(), strict=True):
            out[user][day].add(kind)
    for user, day in notices.items():
        out[user][day].add("notice")
    return out
