"""What the lake holds per source: events per source, class and day, the newest event of
each source, and the records quarantined per source (the dashboard's sources page)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from watchkeeper.schema import EventClass

if TYPE_CHECKING:
    from watchkeeper.lake.store import Lake


@dataclass(frozen=True)
class SourceDay:
    """Events of one source and class whose time falls on `day` (UTC)."""

    source: str
    event_class: str
    day: dt.date
    events: int


@dataclass(frozen=True)
class SourceInfo:
    """One source: every event stored, the newest event's time, records quarantined."""

    source: str
    events: int
    newest: dt.datetime | None
    quarantined: int


@dataclass(frozen=True)
class SourcesOverview:
    since: dt.date
    per_day: tuple[SourceDay, ...]
    sources: tuple[SourceInfo, ...]
    last_commit: str | None


def sources_overview(lake: Lake, since: dt.date) -> SourcesOverview:
    """Per-day counts from `since` on, and every source's totals (one aggregation per
    event class stored, one over the quarantine)."""
    per_day: list[SourceDay] = []
    totals: dict[str, tuple[int, dt.datetime | None]] = {}
    for cls in EventClass:
        if lake.rows(cls.value) == 0:
            continue
        t = lake.table(cls.value)
        # one aggregation per class: every (source, day), whose sums and maxima give
        # each source's totals too
        days = (t.group_by(["source", t.time.date().name("day")])
                .aggregate(n=t.count(), newest=t.time.max()).to_pyarrow().to_pylist())
        for row in days:
            n, newest = totals.get(row["source"], (0, None))
            if newest is None or (row["newest"] is not None and row["newest"] > newest):
                newest = row["newest"]
            totals[row["source"]] = (n + int(row["n"]), newest)
            if row["day"] >= since:
                per_day.append(SourceDay(row["source"], cls.value, row["day"],
                                         int(row["n"])))
    quarantined: dict[str, int] = {}
    if lake.rows("quarantine"):
        q = lake.table("quarantine")
        for row in q.group_by("source").aggregate(n=q.count()).to_pyarrow().to_pylist():
            quarantined[row["source"] or "(unknown)"] = int(row["n"])
    names = sorted(set(totals) | set(quarantined))
    sources = tuple(SourceInfo(s, totals.get(s, (0, None))[0], totals.get(s, (0, None))[1],
                               quarantined.get(s, 0)) for s in names)
    manifest = lake.manifest()
    return SourcesOverview(since, tuple(sorted(per_day, key=lambda d: (d.day, d.source))),
                           sources, manifest.commits[-1].at if manifest.commits else None)


__all__ = ["SourceDay", "SourceInfo", "SourcesOverview", "sources_overview"]
