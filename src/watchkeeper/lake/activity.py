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


STALE_DAYS = 2   # a source this many days behind the lake's newest event stopped sending


@dataclass(frozen=True)
class SourceCoverage:
    """One source's freshness and reach: its newest event, how many days that is
    behind the lake's newest event of any source (`stopped` from `STALE_DAYS`), the
    people it has events of, and the people it has none of."""

    source: str
    newest: dt.datetime | None
    behind_days: int
    stopped: bool
    people_seen: int
    people_missing: int


@dataclass(frozen=True)
class Coverage:
    """Every source's freshness and reach over the `people` the lake knows."""

    people: int
    newest: dt.datetime | None
    sources: tuple[SourceCoverage, ...]

    @property
    def stopped(self) -> tuple[SourceCoverage, ...]:
        return tuple(s for s in self.sources if s.stopped)


def source_coverage(lake: Lake) -> Coverage:
    """Per source the newest event and the people with (and without) events from it:
    one aggregation per event class stored (by source and person), one over people."""
    newest: dict[str, dt.datetime] = {}
    seen: dict[str, set[str]] = {}
    for cls in EventClass:
        if lake.rows(cls.value) == 0:
            continue
        t = lake.table(cls.value)
        rows = (t.group_by(["source", "user"]).aggregate(newest=t.time.max())
                .to_pyarrow().to_pylist())
        for row in rows:
            source, at = row["source"], row["newest"]
            if at is not None and (source not in newest or at > newest[source]):
                newest[source] = at
            if row["user"] is not None:
                seen.setdefault(source, set()).add(row["user"])
            else:
                seen.setdefault(source, set())
    people: set[str] = set()
    if lake.rows("people"):
        p = lake.table("people")
        people = {r["user"] for r in p.select("user").distinct().to_pyarrow().to_pylist()}
    return coverage_of(newest, seen, people)


def coverage_of(newest: dict[str, dt.datetime], seen: dict[str, set[str]],
                people: set[str]) -> Coverage:
    """Coverage from each source's newest event and the people it has events of."""
    latest = max(newest.values(), default=None)
    sources = []
    for source in sorted(set(newest) | set(seen)):
        at = newest.get(source)
        behind = (latest.date() - at.date()).days if latest and at else 0
        users = seen.get(source, set())
        sources.append(SourceCoverage(source, at, behind, behind >= STALE_DAYS,
                                      len(users & people) if people else len(users),
                                      len(people - users)))
    return Coverage(len(people), latest, tuple(sources))


__all__ = ["STALE_DAYS", "Coverage", "SourceCoverage", "SourceDay", "SourceInfo",
           "SourcesOverview", "coverage_of", "source_coverage", "sources_overview"]
