"""`risk explain` as text a person can check: one screen by default, everything with --all.

The score section adds up: the sources' sum times the situation factor times the
scenario boost is the risk shown (to the rounding of two decimals).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from watchkeeper.risk.explain import (
        AnomalousDay,
        Deviation,
        Explanation,
        MutedRule,
        WatchModifier,
        WeighedEvent,
    )

SOURCES = {"anomaly": "anomalies", "rule": "rules", "external": "external alerts"}
EVENTS_SHOWN = 5    # with the other sections, the default output fits 24 lines
DAYS_SHOWN = 3
FEEDBACK_SHOWN = 3  # its section (and its title and blank line) takes from the others


def explanation_lines(e: Explanation, *, everything: bool = False,
                      width: int = 80) -> list[str]:
    """The explanation as lines; without `everything`, at most 24 lines of `width`."""
    feedback = _feedback_lines(e, everything)
    room = len(feedback) + 2 if feedback else 0
    from_events = min(room, EVENTS_SHOWN - 2)
    events = e.events if everything else e.events[:EVENTS_SHOWN - from_events]
    days = e.anomalies if everything else e.anomalies[:DAYS_SHOWN - (room - from_events)]
    lines = [*_headline(e), "", *_score_lines(e)]
    if feedback:
        lines += ["", *feedback]
    lines += ["", f"Strongest events (weight on {e.day} after a {e.half_life_days:g}-day "
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
    words += [f"watchlist {w.watchlist} ({w.origin})" for w in e.watchlists
              if w.applies and w.factor == e.modifiers.watchlist and w.factor != 1.0][:1]
    return ", ".join(words) if words else "no modifier"


def _feedback_lines(e: Explanation, everything: bool) -> list[str]:
    """The analysts' feedback that bears on the day: watchlists, muted rules."""
    items = [*(_watch_line(w, everything) for w in e.watchlists),
             *(_muted_line(m, everything) for m in e.muted)]
    if not items:
        return []
    shown = items if everything else items[:FEEDBACK_SHOWN]
    more = "" if len(shown) == len(items) else f" ({len(shown)} of {len(items)}; --all)"
    return [f"Watchlists and verdicts{more}", *shown]


def _watch_line(w: WatchModifier, everything: bool) -> str:
    """Most telling first: the list, its factor (or that it is not in force), origin."""
    span = f"{w.since}..{w.until}" if w.until else f"since {w.since}"
    state = f"x{w.factor:.2f}" if w.applies else "(not in force)"
    line = f"  watchlist {w.watchlist} {state}, {w.origin} {w.added_by or '?'}, {span}"
    return f"{line}: {w.reason}" if everything and w.reason else line


def _muted_line(m: MutedRule, everything: bool) -> str:
    """The rule, the verdict that muted it, what it muted; the rest with --all."""
    line = (f"  muted {m.rule}: case {m.case_id} false positive, {m.events} "
            f"event{'s' if m.events != 1 else ''}")
    return (f"{line} weighing {m.weight:.2f} on this day; judged by {m.judged_by} on "
            f"{m.judged_on}, muted {m.first_day}..{m.last_day}") if everything else line


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
    if f.family == "exfil" and f.words:     # its sentence carries usual and peers
        return f"{f.feature}: {f.words}"
    line = (f"{f.feature} {_num(f.value)} (usual {_num(f.self_baseline)}, "
            f"peers {_num(f.peer_baseline)})")
    return f"{line}: {f.words}" if f.words else line


def _num(value: float | None) -> str:
    if value is None:
        return "?"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def _fit(line: str, width: int) -> str:
    return line if len(line) <= width else line[:width - 1] + "…"
