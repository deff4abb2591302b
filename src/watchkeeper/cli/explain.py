"""`risk explain` as text a person can check: one screen by default, everything with --all.

The score section adds up: the sources' sum times the situation factor times the
scenario boost is the risk shown (to the rounding of two decimals).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from watchkeeper.risk.explain import AnomalousDay, Deviation, Explanation, WeighedEvent

SOURCES = {"anomaly": "anomalies", "rule": "rules", "external": "external alerts"}
EVENTS_SHOWN = 5    # with the other sections, the default output fits 24 lines
DAYS_SHOWN = 3


def explanation_lines(e: Explanation, *, everything: bool = False,
                      width: int = 80) -> list[str]:
    """The explanation as lines; without `everything`, at most 24 lines of `width`."""
    events = e.events if everything else e.events[:EVENTS_SHOWN]
    days = e.anomalies if everything else e.anomalies[:DAYS_SHOWN]
    lines = [*_headline(e), "", *_score_lines(e), "",
             f"Strongest events (weight on {e.day} after a {e.half_life_days:g}-day "
             "half-life)", *(_event_line(v) for v in events)]
    if not events:
        lines.append("  none")
    lines += ["", "Most unusual days (anomaly score: value against usual and peers')"]
    for d in days:
        lines += _day_lines(d, everything)
    if not days:
        lines.append("  none in the last two half-lives")
    if not everything:
        lines += ["", f"{len(events)} of {len(e.events)} events, {len(days)} of "
                  f"{len(e.anomalies)} unusual days shown; --all for everything, --json "
                  "for data"]
        lines = [_fit(line, width) for line in lines]
    return lines


def _headline(e: Explanation) -> list[str]:
    over = "above" if e.score >= e.threshold else "below"
    alert = "a risk alert was raised this day" if e.alert else "no alert raised this day"
    last = (f"; last alert {e.last_alert}" if e.last_alert and e.last_alert != e.day
            else "")
    return [f"{e.user} on {e.day}: risk {e.score:.2f}, {over} the alert threshold "
            f"{e.threshold:.2f}",
            f"  {alert}{last}; chance of one in 14 days {e.forecast_14d:.0%}"]


def _score_lines(e: Explanation) -> list[str]:
    lines = ["Risk = (anomalies + rules + external alerts) x situation x scenario"]
    for source, value in e.by_source.items():
        cap = e.caps.get(source)
        limit = f"of at most {cap:.2f}" if cap is not None else ""
        lines.append(f"  {SOURCES.get(source, source):<16}{value:>6.2f}  {limit}".rstrip())
    lines.append(f"  {'x situation':<16}{e.modifiers.factor:>6.2f}  {_situation(e)}")
    scenario = (f"{e.scenario}: {e.scenario_title}" if e.scenario and e.scenario_title
                else e.scenario or "no scenario template completed")
    lines.append(f"  {'x scenario':<16}{e.scenario_boost:>6.2f}  {scenario}")
    lines.append(f"  {'= risk':<16}{e.score:>6.2f}")
    return lines


def _situation(e: Explanation) -> str:
    words = [w for w, on in (("leaving per HR", e.modifiers.leaving),
                             ("privileged role", e.modifiers.privileged)) if on]
    if not words:
        return "watchlist or data sensitivity" if e.modifiers.factor != 1.0 else "no modifier"
    return ", ".join(words)


def _event_line(v: WeighedEvent) -> str:
    return f"  {v.day}  {v.source:<8} {v.weight:>5.2f}  {v.reason}"


def _day_lines(d: AnomalousDay, everything: bool) -> list[str]:
    if not everything:
        return [f"  {d.day}  {d.score:.2f}  " + "; ".join(_deviation(f)
                                                      for f in d.top_features)]
    lines = [f"  {d.day}  anomaly score {d.score:.2f}"]
    lines += [f"    {_deviation(f)}, z {f.z:.1f}" for f in d.top_features]
    lines += [f"    look in {x.event_class}: {x.filter}" for x in d.evidence]
    return lines


def _deviation(f: Deviation) -> str:
    return (f"{f.feature} {_num(f.value)} (usual {_num(f.self_baseline)}, "
            f"peers {_num(f.peer_baseline)})")


def _num(value: float | None) -> str:
    if value is None:
        return "?"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def _fit(line: str, width: int) -> str:
    return line if len(line) <= width else line[:width - 1] + "…"
