"""Score risk: signals to risk events, decayed entity risk, scenarios, alerts, forecast."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Protocol

import numpy as np
import pyarrow as pa

from watchkeeper.risk.alerts import alerts_table, history_table
from watchkeeper.risk.config import RiskConfig, Source
from watchkeeper.risk.context import Grid, PersonContext, person_context, sensitivity_factor
from watchkeeper.risk.entity import alert_days, decayed_sum, new_boosts
from watchkeeper.risk.feedback import (
    MUTED_SCHEMA,
    NO_FEEDBACK,
    WATCH_SCHEMA,
    Feedback,
    Watch,
    hr_watches,
    mute,
    mute_matches,
    muted_table,
    watch_table,
)
from watchkeeper.risk.forecast import PRECURSORS, Trajectory, forecast
from watchkeeper.risk.scenarios import ScenarioMatch, boost_arrays, find_matches
from watchkeeper.risk.signals import (
    DATA_ACCESS,
    KindDays,
    anomaly_events,
    events_table,
    finding_events,
    indicator_events,
    kind_days,
    scenario_events,
    sustained_events,
)
from watchkeeper.schema import PEOPLE


class Behaviour(Protocol):
    """What risk needs from behaviour analytics (`watchkeeper.ueba.BehaviourResult`)."""

    @property
    def features(self) -> pa.Table: ...

    @property
    def anomalies(self) -> pa.Table: ...


@dataclass(frozen=True)
class RiskResult:
    """Risk events, the person-day history, risk alerts and the early-warning forecast;
    what analyst feedback changed: the events false-positive verdicts muted
    (`feedback.MUTED_SCHEMA`) and the watchlist entries applied (`feedback.WATCH_SCHEMA`).
    """

    events: pa.Table
    history: pa.Table
    alerts: pa.Table
    forecast: pa.Table
    config: RiskConfig
    muted: pa.Table = field(default_factory=MUTED_SCHEMA.empty_table)
    watches: pa.Table = field(default_factory=WATCH_SCHEMA.empty_table)


@dataclass(frozen=True)
class Scored:
    """Intermediate arrays of one scoring run (users x days)."""

    grid: Grid
    ctx: PersonContext
    per_source: dict[Source, np.ndarray]
    modifier: np.ndarray
    boost: np.ndarray
    which: np.ndarray
    score: np.ndarray
    fired: np.ndarray
    probability: np.ndarray
    watches: tuple[Watch, ...] = ()


def score_risk(behaviour: Behaviour, findings: pa.Table | None = None,
               people: pa.Table | None = None, touched: pa.Table | None = None,
               config: RiskConfig | None = None,
               feedback: Feedback | None = None) -> RiskResult:
    """Score every person-day. `touched` holds (user, day, sensitivity) of data accessed;
    `feedback` the analysts' false-positive verdicts and watchlist entries."""
    config = config or RiskConfig()
    feedback = feedback if feedback is not None else NO_FEEDBACK
    people = people if people is not None else PEOPLE.schema.empty_table()
    rows = anomaly_events(behaviour.anomalies, config)
    rows += sustained_events(behaviour.anomalies, config)
    population = _population(behaviour, people)
    rows += indicator_events(behaviour.features, config, population)
    counted, muted = mute(finding_events(findings, config, population) if findings is not None
                          else [], feedback.false_positives)
    rows += counted
    events = events_table(rows)
    grid = _grid(events, behaviour, people)
    watches = [*hr_watches(people), *feedback.watches]
    ctx = person_context(people, grid, config, watches)
    kinds = kind_days(events, behaviour.features, ctx.notices, config)
    matches, unmatched = mute_matches(find_matches(kinds, grid, ctx, config.scenarios),
                                      feedback.false_positives)
    muted += mute(scenario_events(unmatched, config), feedback.false_positives)[1]
    events = events_table(rows + scenario_events(matches, config))
    scored = replace(_score(events, kinds, matches, ctx, grid, touched, config),
                     watches=tuple(watches))
    history = history_table(scored, config)
    return RiskResult(events, history, alerts_table(scored, events, config), history.select(
        ["user", "day", "p_alert_14d"]).rename_columns(["user", "day", "probability"]), config,
        muted_table(muted), watch_table(watches, grid.users, config))


def _population(behaviour: Behaviour, people: pa.Table) -> int:
    """People a rule's prevalence is measured against: everyone analysed or on record."""
    return len(set(behaviour.features["user"].to_pylist()) | set(people["user"].to_pylist()))


def _grid(events: pa.Table, behaviour: Behaviour, people: pa.Table) -> Grid:
    users: set[str] = set(events["user"].to_pylist())
    days: set[dt.date] = set(events["day"].to_pylist())
    for table in (behaviour.features, behaviour.anomalies):
        if table.num_rows:
            users.update(table["user"].to_pylist())
            days.update(table["day"].unique().to_pylist())
    users.update(people["user"].to_pylist())
    if not days:
        return Grid(tuple(sorted(users)), dt.date(1970, 1, 1), 0)
    first, last = min(days), max(days)
    return Grid(tuple(sorted(users)), first, (last - first).days + 1)


def _daily(events: pa.Table, grid: Grid, source: Source, sens: np.ndarray) -> np.ndarray:
    out = np.zeros((len(grid.users), grid.days))
    index = grid.index()
    for user, day, src, score, kinds in zip(
            events["user"].to_pylist(), events["day"].to_pylist(),
            events["source"].to_pylist(), events["score"].to_pylist(),
            events["kinds"].to_pylist(), strict=True):
        if src == source.value:
            i, j = index[user], grid.col(day)
            out[i, j] += score * (sens[i, j] if DATA_ACCESS in (kinds or []) else 1.0)
    return out


def _kind_array(kinds: KindDays, grid: Grid, kind: str | None) -> np.ndarray:
    out = np.zeros((len(grid.users), grid.days), dtype=bool)
    index = grid.index()
    for user, days in kinds.items():
        for day, seen in days.items():
            j = grid.col(day)
            if user in index and 0 <= j < grid.days and seen and (kind is None or kind in seen):
                out[index[user], j] = True
    return out


def _score(events: pa.Table, kinds: KindDays, matches: list[ScenarioMatch],
           ctx: PersonContext, grid: Grid, touched: pa.Table | None,
           config: RiskConfig) -> Scored:
    sens = sensitivity_factor(touched, grid, config)
    news = {s: _daily(events, grid, s, sens) for s in Source}
    per_source = {s: decayed_sum(news[s], config.half_life_days, config.source_caps.get(s, 1e9))
                  for s in Source}
    boost, which = boost_arrays(matches, grid, config.scenarios)
    modifier = ctx.factor(config)
    base = np.sum(np.stack(list(per_source.values())), axis=0) if grid.days else \
        np.zeros((len(grid.users), 0))
    score = base * modifier * boost
    fresh = sum(news.values(), np.zeros_like(score))
    fired = alert_days(score, config.threshold, config.rearm,
                       escalation_factor=config.escalation_factor,
                       escalation_window_days=config.escalation_window_days,
                       escalation_min_gap_days=config.escalation_min_gap_days,
                       new_scenario=new_boosts(which) if config.realert_on_new_scenario
                       else None,
                       fresh=fresh * modifier * boost if config.realert_on_fresh_evidence
                       else None)
    trajectory = Trajectory(score, fresh,
                            _kind_array(kinds, grid, None), ctx.leaving, ctx.privileged,
                            {k: _kind_array(kinds, grid, k) for k in PRECURSORS}, ctx.present,
                            fired=fired, watched=ctx.watch_factor > 1.0)
    prob = forecast(trajectory, config.threshold, config.forecast) if grid.days else score
    return Scored(grid, ctx, per_source, modifier, boost, which, score, fired, prob)
