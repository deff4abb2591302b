"""Markdown rendering of an evaluation report (for docs/evaluation.md and the CLI)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from watchkeeper.evaluate.report import EvaluationReport
    from watchkeeper.evaluate.warning import EarlyWarning


def _f(value: float | None, pct: bool = False) -> str:
    if value is None:
        return "–"
    return f"{100 * value:.0f}%" if pct else f"{value:.3f}"


def render_markdown(r: EvaluationReport) -> str:
    lines = [
        f"People: {r.people}, days: {r.days}, incidents: {r.incidents}"
        + (f" ({r.incidents_unknown_user} of unknown users left out)"
           if r.incidents_unknown_user else ""),
        "",
        "| metric | value |", "|---|---|",
        f"| person ROC AUC | {_f(r.person_auc)} |",
        f"| person average precision | {_f(r.average_precision)} |",
        f"| detected in top 1% / 5% | {_f(r.detected_top_1pct, True)} / "
        f"{_f(r.detected_top_5pct, True)} |",
        f"| person-day ROC AUC | {_f(r.person_day_auc)} |",
        f"| alerted within 3 / 7 days of start | {_f(r.alerted_within_3d, True)} / "
        f"{_f(r.alerted_within_7d, True)} |",
        f"| median alert delay (days) | {_f(r.median_delay_days)} |",
        f"| risk alerts (false) | {r.alerts} ({r.false_alerts}) |",
        f"| false alerts per day per 1,000 people | {_f(r.false_alerts_per_day_per_1000)} |",
        f"| leavers: people / ROC AUC | {r.leavers} / {_f(r.leavers_auc)} |",
        f"| warned >= 1 day before start | {_f(r.warned_before_start, True)} |",
        f"| median warning lead (days) | {_f(r.median_lead_days)} |",
        "",
        "| scenario | incidents | AUC | AP | top 5% | alerted <= 3 d | <= 7 d "
        "| median delay |",
        "|---|---|---|---|---|---|---|---|",
    ]
    lines += [f"| {s.scenario} | {s.incidents} | {_f(s.person_auc)} | "
              f"{_f(s.average_precision)} | {_f(s.detected_top_5pct, True)} | "
              f"{_f(s.alerted_within_3d, True)} | {_f(s.alerted_within_7d, True)} | "
              f"{_f(s.median_delay_days)} |" for s in r.per_scenario]
    if r.baselines:
        lines += ["", "| naive baseline | person AUC | leavers AUC |", "|---|---|---|"]
        lines += [f"| {b.name} | {_f(b.person_auc)} | {_f(b.leavers_auc)} |"
                  for b in r.baselines]
    if r.early_warning is not None:
        lines += ["", *render_warning(r.early_warning)]
    return "\n".join(lines) + "\n"


def render_warning(w: EarlyWarning) -> list[str]:
    """The early-warning tables: per scenario, then the forecast's reliability."""
    from watchkeeper.evaluate.warning import WARNINGS_PER_1000
    lines = [f"Early warning (a daily list of {WARNINGS_PER_1000} per 1,000 people): "
             f"{w.warnings} warnings,",
             f"{w.false_warnings} false: {_f(w.false_warnings_per_day_per_1000)} "
             "false per day per 1,000 people",
             "", "| scenario | incidents | warned >= 1 d | >= 7 d | median lead (d) |",
             "|---|---|---|---|---|"]
    rows = [("all", w.overall), *sorted(w.per_scenario.items(), key=lambda kv: _key(kv[0]))]
    lines += [f"| {name} | {m.incidents} | {_f(m.warned_1d, True)} | "
              f"{_f(m.warned_7d, True)} | {_f(m.median_lead_days)} |" for name, m in rows]
    lines += ["", "| forecast | person-days | mean forecast | alert in 14 d | "
              "incident in 14 d |", "|---|---|---|---|---|"]
    lines += [f"| {b.low:.1f}-{b.high:.1f} | {b.days} | {_f(b.mean_forecast)} | "
              f"{_f(b.alerted_within)} | {_f(b.incident_within)} |"
              for b in w.reliability if b.days]
    return lines


def _key(name: str) -> tuple[int, str]:
    return (int(name), "") if name.isdigit() else (10**9, name)
