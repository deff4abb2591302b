"""A summary of the stored risk history: how many people, days and alerts, and who."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc


@dataclass(frozen=True)
class AlertedPerson:
    """A person with risk alerts: how many, the highest score, the latest alert."""

    user: str
    alerts: int
    max_score: float
    last_alert: dt.date
    scenario: str | None


@dataclass(frozen=True)
class HistorySummary:
    """What `risk history` holds, in a few numbers."""

    people: int
    first_day: dt.date | None
    last_day: dt.date | None
    days: int
    person_days: int
    alerts: int
    alerted_people: int
    alerts_by_scenario: dict[str, int]
    most_alerted: tuple[AlertedPerson, ...]


def summarize(history: pa.Table, limit: int = 10) -> HistorySummary:
    """People, days and alerts of a risk history (user, day, score, alert, scenario)."""
    days = history["day"]
    first, last = ((v.as_py() for v in pc.min_max(days).values()) if len(days)
                   else (None, None))
    a = history.filter(history["alert"])
    rows = sorted(zip(a["user"].to_pylist(), a["day"].to_pylist(), a["score"].to_pylist(),
                      a["scenario"].to_pylist(), strict=True))
    by_user: dict[str, list[tuple[str, dt.date, float, str | None]]] = {}
    for row in rows:
        by_user.setdefault(row[0], []).append(row)
    people = [AlertedPerson(user, len(mine), max(r[2] for r in mine), mine[-1][1], mine[-1][3])
              for user, mine in by_user.items()]
    people.sort(key=lambda p: (-p.alerts, -p.max_score, p.user))
    scenarios = Counter(r[3] or "no scenario" for r in rows)
    return HistorySummary(
        people=len(pc.unique(history["user"])), first_day=first, last_day=last,
        days=(last - first).days + 1 if first and last else 0, person_days=history.num_rows,
        alerts=len(rows), alerted_people=len(by_user),
        alerts_by_scenario=dict(scenarios.most_common()), most_alerted=tuple(people[:limit]))
