"""`risk explain` text with analyst feedback: the watchlists and muted rules section
takes its lines from the events and days shown, so one screen stays 24 lines of 80
columns; --all shows every item in full."""

from __future__ import annotations

import datetime as dt

from watchkeeper.cli.explain import explanation_lines
from watchkeeper.risk.explain import (
    AnomalousDay,
    Explanation,
    Modifiers,
    MutedRule,
    WatchModifier,
    WeighedEvent,
)

DAY = dt.date(2025, 3, 10)
RULE = "insider.exfil.file_to_removable"


def explanation(watches: int, muted: int) -> Explanation:
    lists = tuple(WatchModifier(f"list-{k}", "analyst" if k else "hr", 1.2 - k / 10,
                                DAY - dt.timedelta(days=30), None if k else DAY,
                                "lee" if k else "HR", "case 12: copies before the notice "
                                "given last week, asked by HR", k < 2)
                  for k in range(watches))
    rules = tuple(MutedRule(f"{RULE}.{k}", 12 + k, DAY, "lee", DAY - dt.timedelta(days=9),
                            DAY + dt.timedelta(days=21), 3, 0.42) for k in range(muted))
    return Explanation(
        user="ann", day=DAY, score=1.2, alert=False, threshold=0.6, last_alert=None,
        forecast_14d=0.3, by_source={"anomaly": 0.5, "rule": 0.5, "external": 0.0},
        caps={"anomaly": 2.0, "rule": 3.0, "external": 1.5},
        modifiers=Modifiers(1.2, False, False, 1.2 if watches else 1.0),
        scenario=None, scenario_title=None, scenario_boost=1.0, half_life_days=7.0,
        events=tuple(WeighedEvent(DAY, "rule", 0.5, 0.5, f"rule r{k} (high): something")
                     for k in range(8)),
        anomalies=tuple(AnomalousDay(DAY, 0.5, (), ()) for _ in range(5)),
        watchlists=lists, muted=rules)


def test_one_screen_with_feedback() -> None:
    for watches, muted in ((0, 0), (1, 0), (0, 1), (2, 2), (4, 3)):
        lines = explanation_lines(explanation(watches, muted))
        assert len(lines) <= 24 and max(map(len, lines)) <= 80, (watches, muted, lines)
    lines = explanation_lines(explanation(2, 2))
    assert "Watchlists and verdicts (3 of 4; --all)" in lines
    assert "  watchlist list-0 x1.20, hr HR, 2025-02-08..2025-03-10" in lines
    assert f"  muted {RULE}.0: case 12 false positive, 3 events" in lines
    assert lines[7].endswith("watchlist list-0 (hr)")           # the situation line
    assert sum(line.startswith("  2025-03-10  rule") for line in lines) == 2
    assert explanation_lines(explanation(0, 0)).count("Watchlists and verdicts") == 0


def test_everything_shows_every_item_in_full() -> None:
    lines = explanation_lines(explanation(2, 2), everything=True)
    assert "Watchlists and verdicts" in lines
    assert any("list-1 x1.10" in line and line.endswith("asked by HR") for line in lines)
    later = explanation_lines(explanation(3, 0), everything=True)
    assert any(line.startswith("  watchlist list-2 (not in force), analyst lee")
               for line in later)
    assert any(f"muted {RULE}.1: case 13" in line and "judged by lee on 2025-03-10, muted "
               "2025-03-01..2025-03-31" in line for line in lines)
