"""Score a risk history against an answer key: person, person-day and alert metrics."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from watchkeeper.evaluate.answers import AnswerWarning, Incident, SkipReason, read_answer_key
from watchkeeper.evaluate.baselines import Baseline, baselines
from watchkeeper.evaluate.metrics import average_precision, detection_at, roc_auc
from watchkeeper.evaluate.warning import EarlyWarning, early_warning

TRUE_ALERT_AFTER_DAYS = 7
# Risk days are the person's local calendar days; answer keys give UTC times, so an
# evening event west of UTC is on the next UTC date. One day of slack before the start.
TRUE_ALERT_BEFORE_DAYS = 1


@dataclass(frozen=True)
class ScenarioMetrics:
    """Metrics of the incidents of one answer-key scenario."""

    scenario: str
    incidents: int
    person_auc: float | None
    average_precision: float | None
    detected_top_5pct: float | None
    alerted_within_3d: float | None
    alerted_within_7d: float | None
    median_delay_days: float | None


@dataclass(frozen=True)
class EvaluationReport:
    """All metrics of one evaluation; `to_dict` is JSON-able, `to_markdown` for docs."""

    people: int
    days: int
    incidents: int
    incidents_unknown_user: int
    person_auc: float | None
    average_precision: float | None
    detected_top_1pct: float | None
    detected_top_5pct: float | None
    person_day_auc: float | None
    alerted_within_3d: float | None
    alerted_within_7d: float | None
    median_delay_days: float | None
    alerts: int
    false_alerts: int
    false_alerts_per_day_per_1000: float | None
    leavers: int
    leavers_auc: float | None
    warned_before_start: float | None
    median_lead_days: float | None
    per_scenario: list[ScenarioMetrics] = field(default_factory=list)
    false_alerts_by_risk_scenario: dict[str, int] = field(default_factory=dict)
    warnings: list[AnswerWarning] = field(default_factory=list)  # answer-key rows skipped
    baselines: list[Baseline] = field(default_factory=list)
    early_warning: EarlyWarning | None = None

    def to_dict(self) -> dict[str, object]:
        doc = asdict(self)
        doc["warnings"] = [w.to_dict() for w in self.warnings]
        return doc

    def metrics(self) -> dict[str, float | None]:
        """The headline metrics by name (what `--by-source` compares between runs)."""
        ew = self.early_warning
        out: dict[str, float | None] = {
            "person_auc": self.person_auc, "average_precision": self.average_precision,
            "detected_top_5pct": self.detected_top_5pct,
            "alerted_within_3d": self.alerted_within_3d,
            "alerted_within_7d": self.alerted_within_7d,
            "false_alerts_per_day_per_1000": self.false_alerts_per_day_per_1000,
            "leavers_auc": self.leavers_auc,
            "warned_1d": ew.overall.warned_1d if ew else None,
            "false_warnings_per_day_per_1000":
                ew.false_warnings_per_day_per_1000 if ew else None}
        return out

    def to_markdown(self) -> str:
        from watchkeeper.evaluate.render import render_markdown

        return render_markdown(self)


def _max_by_user(history: pa.Table) -> dict[str, float]:
    out: dict[str, float] = {}
    for user, score in zip(history["user"].to_pylist(), history["score"].to_pylist(),
                           strict=True):
        out[user] = max(out.get(user, 0.0), float(score or 0.0))
    return out


def _alert_days(history: pa.Table) -> dict[str, list[dt.date]]:
    out: dict[str, list[dt.date]] = defaultdict(list)
    for user, day, alert in zip(history["user"].to_pylist(), history["day"].to_pylist(),
                                history["alert"].to_pylist(), strict=True):
        if alert:
            out[user].append(day)
    return {u: sorted(d) for u, d in out.items()}


def alert_delay(incident: Incident, alerts: list[dt.date]) -> int | None:
    """Days from the incident's start day to its first alert in [start - 1, end + 7 days]."""
    first = incident.start_day - dt.timedelta(days=TRUE_ALERT_BEFORE_DAYS)
    last = incident.end_day + dt.timedelta(days=TRUE_ALERT_AFTER_DAYS)
    hits = [d for d in alerts if first <= d <= last]
    return max(0, (hits[0] - incident.start_day).days) if hits else None


def is_true_alert(day: dt.date, incidents: list[Incident]) -> bool:
    return any(i.start_day - dt.timedelta(days=TRUE_ALERT_BEFORE_DAYS) <= day
               <= i.end_day + dt.timedelta(days=TRUE_ALERT_AFTER_DAYS) for i in incidents)


def _share(values: list[bool]) -> float | None:
    return float(np.mean(values)) if values else None


def _median(values: list[int]) -> float | None:
    return float(np.median(values)) if values else None


def _person_day_auc(history: pa.Table, by_user: dict[str, list[Incident]]) -> float | None:
    users, days = history["user"].to_pylist(), history["day"].to_pylist()
    labels = np.array([any(i.start_day <= d <= i.end_day for i in by_user.get(u, []))
                       for u, d in zip(users, days, strict=True)], dtype=bool)
    return roc_auc(labels, history["score"].to_numpy(zero_copy_only=False))


def _leavers(people: pa.Table, first: dt.date, last: dt.date) -> set[str]:
    if "end_date" not in people.column_names:
        return set()
    return {u for u, end in zip(people["user"].to_pylist(), people["end_date"].to_pylist(),
                                strict=True) if end is not None and first <= end <= last}


def _ranking(users: list[str], scores: dict[str, float], positives: set[str]
             ) -> tuple[np.ndarray, np.ndarray]:
    return (np.array([u in positives for u in users], dtype=bool),
            np.array([scores.get(u, 0.0) for u in users]))


def _delays(incidents: list[Incident], alerts: dict[str, list[dt.date]]) -> list[int | None]:
    return [alert_delay(i, alerts.get(i.user, [])) for i in incidents]


def _scenario_metrics(name: str, incidents: list[Incident], all_insiders: set[str],
                      users: list[str], scores: dict[str, float],
                      alerts: dict[str, list[dt.date]]) -> ScenarioMetrics:
    mine = {i.user for i in incidents}
    pool = [u for u in users if u in mine or u not in all_insiders]
    y, s = _ranking(pool, scores, mine)
    delays = _delays(incidents, alerts)
    return ScenarioMetrics(
        name, len(incidents), roc_auc(y, s), average_precision(y, s), detection_at(y, s, 0.05),
        _share([d is not None and d <= 3 for d in delays]),
        _share([d is not None and d <= 7 for d in delays]),
        _median([d for d in delays if d is not None]))


def evaluate(risk_history: pa.Table, answers_dir: Path, people: pa.Table,
             dataset: str | None = None, features: pa.Table | None = None
             ) -> EvaluationReport:
    """Compare a risk history (user, day, score, alert, scenario, p_alert_14d) with an
    answer key; `features` (the behaviour features) adds the after-hours baseline."""
    users = sorted(set(people["user"].to_pylist()) | set(risk_history["user"].to_pylist()))
    known = set(users)
    key = read_answer_key(answers_dir, dataset, known)
    incidents = [i for i in key.incidents if i.user in known]
    unknown = len(key.incidents) - len(incidents) + sum(
        w.skipped is SkipReason.UNKNOWN_USER for w in key.warnings)
    by_user: dict[str, list[Incident]] = defaultdict(list)
    for inc in incidents:
        by_user[inc.user].append(inc)
    days_seen = risk_history["day"].to_pylist()
    first, last = (min(days_seen), max(days_seen)) if days_seen else (dt.date.min, dt.date.min)
    n_days = (last - first).days + 1 if days_seen else 0
    scores, alerts = _max_by_user(risk_history), _alert_days(risk_history)
    y, s = _ranking(users, scores, set(by_user))
    delays = _delays(incidents, alerts)
    false = _false_alerts(risk_history, by_user)
    leavers = sorted(_leavers(people, first, last))
    ly, ls = _ranking(leavers, scores, set(by_user))
    warning = early_warning(risk_history, incidents, len(users), n_days)
    by_scenario: dict[str, list[Incident]] = defaultdict(list)
    for inc in incidents:
        by_scenario[inc.scenario].append(inc)
    return EvaluationReport(
        people=len(users), days=n_days, incidents=len(incidents),
        incidents_unknown_user=unknown,
        person_auc=roc_auc(y, s), average_precision=average_precision(y, s),
        detected_top_1pct=detection_at(y, s, 0.01), detected_top_5pct=detection_at(y, s, 0.05),
        person_day_auc=_person_day_auc(risk_history, by_user),
        alerted_within_3d=_share([d is not None and d <= 3 for d in delays]),
        alerted_within_7d=_share([d is not None and d <= 7 for d in delays]),
        median_delay_days=_median([d for d in delays if d is not None]),
        alerts=sum(len(v) for v in alerts.values()), false_alerts=sum(false.values()),
        false_alerts_per_day_per_1000=(sum(false.values()) / n_days / (len(users) / 1000)
                                       if n_days and users else None),
        leavers=len(leavers), leavers_auc=roc_auc(ly, ls),
        warned_before_start=warning.overall.warned_1d if warning else None,
        median_lead_days=warning.overall.median_lead_days if warning else None,
        per_scenario=[_scenario_metrics(k, v, set(by_user), users, scores, alerts)
                      for k, v in sorted(by_scenario.items(), key=lambda kv: _order(kv[0]))],
        false_alerts_by_risk_scenario=dict(sorted(false.items())),
        warnings=list(key.warnings),
        baselines=baselines(features, users, set(by_user), leavers),
        early_warning=warning)


def _order(name: str) -> tuple[int, str]:
    return (int(name), "") if name.isdigit() else (10**9, name)


def _false_alerts(history: pa.Table, by_user: dict[str, list[Incident]]) -> dict[str, int]:
    """False alerts counted by the risk scenario they carried ('none' without one)."""
    out: dict[str, int] = defaultdict(int)
    scenario = history["scenario"].to_pylist() if "scenario" in history.column_names \
        else [None] * history.num_rows
    for user, day, alert, sc in zip(history["user"].to_pylist(), history["day"].to_pylist(),
                                    history["alert"].to_pylist(), scenario, strict=True):
        if alert and not is_true_alert(day, by_user.get(user, [])):
            out[sc or "none"] += 1
    return dict(out)
