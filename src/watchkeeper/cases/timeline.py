"""A case's investigation timeline: its people's and hosts' events around its alerts.

Every event class of the lake is read, and the raw Windows events, over a window (by
default 24 h before the first alert to 24 h after the last, `window_around`). Each read
opens only the files of the UTC days the window covers (`Lake.table_days`) and keeps
only rows of the case's people or hosts.

A timeline holds at most `limit` events (2,000 by default). When more match, the events
behind the alerts (`marked`) are kept first, then the events nearest in time to the
middle of the window, so a cut trims both far ends alike; `counts` and `total` always
count every matching event, and `truncated` says a cut was made.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from watchkeeper.cases.describe import COLUMNS, describe
from watchkeeper.cases.model import AlertIn
from watchkeeper.errors import TimelineError
from watchkeeper.lake import Lake
from watchkeeper.schema import EventClass

if TYPE_CHECKING:
    from ibis.expr.types import BooleanValue, Table

DEFAULT_HOURS = 24.0
DEFAULT_LIMIT = 2000
WINDOWS = "windows"  # the raw Windows-event table's name in a timeline
CLASSES: tuple[str, ...] = (*(c.value for c in EventClass), WINDOWS)
_CORE = ("event_id", "time", "source", "activity", "user", "host")


@dataclass(frozen=True)
class Window:
    """A span of time, both ends included, in UTC."""

    start: dt.datetime
    end: dt.datetime


@dataclass(frozen=True)
class TimelineEvent:
    """One event of a timeline, described in one line."""

    time: dt.datetime
    cls: str          # event class (``windows`` for a raw Windows event)
    activity: str
    user: str | None
    host: str | None
    summary: str
    event_id: str
    source: str
    marked: bool      # one of the events behind the case's alerts


@dataclass(frozen=True)
class Timeline:
    """What a case's people and hosts did between `start` and `end`, oldest first."""

    start: dt.datetime
    end: dt.datetime
    people: tuple[str, ...]
    hosts: tuple[str, ...]
    events: tuple[TimelineEvent, ...]
    counts: dict[str, int]  # every matching event per class, kept or cut
    limit: int
    truncated: bool

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def marked(self) -> tuple[TimelineEvent, ...]:
        return tuple(e for e in self.events if e.marked)


def utc(value: dt.datetime) -> dt.datetime:
    """`value` in UTC; a naive time is taken to be UTC already (as alerts store it)."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def window_around(alert_times: Iterable[dt.datetime], hours: float = DEFAULT_HOURS) -> Window:
    """From `hours` before the first alert time to `hours` after the last."""
    times = sorted(utc(t) for t in alert_times)
    if not times:
        raise TimelineError("a timeline window needs at least one alert time")
    if not 0 <= hours <= 24 * 366:
        raise TimelineError(f"window hours must be between 0 and 8784, not {hours:g}")
    span = dt.timedelta(hours=hours)
    return Window(times[0] - span, times[-1] + span)


def alert_times(alerts: Iterable[AlertIn]) -> list[dt.datetime]:
    """Every time an alert names: its event time, first and last seen."""
    return [t for a in alerts for t in (a.event_time, a.first_seen, a.last_seen)
            if t is not None]


def build_timeline(lake: Lake, people: Sequence[str], hosts: Sequence[str],
                   start: dt.datetime, end: dt.datetime,
                   marked_event_ids: Collection[str] = (), *,
                   limit: int = DEFAULT_LIMIT) -> Timeline:
    """Every event of `people` or on `hosts` between `start` and `end` (both included)."""
    start, end = utc(start), utc(end)
    if end < start:
        raise TimelineError(f"timeline end {end.isoformat()} is before its start "
                            f"{start.isoformat()}")
    if limit < 1:
        raise TimelineError(f"timeline limit must be at least 1, not {limit}")
    who = (tuple(sorted(set(people))), tuple(sorted(set(hosts))))
    marked = frozenset(marked_event_ids)
    counts: dict[str, int] = {}
    rows: list[tuple[str, dict[str, Any]]] = []
    if who[0] or who[1]:
        for cls in CLASSES:
            found, total = _read(lake, cls, who, Window(start, end), marked, limit)
            counts[cls] = total
            rows += [(cls, r) for r in found]
    else:
        counts = dict.fromkeys(CLASSES, 0)
    kept = _keep(rows, Window(start, end), marked, limit)
    events = tuple(sorted((_event(cls, r, marked) for cls, r in kept),
                          key=lambda e: (e.time, e.cls, e.event_id)))
    return Timeline(start, end, who[0], who[1], events, counts, limit,
                    truncated=sum(counts.values()) > len(events))


def _read(lake: Lake, cls: str, who: tuple[tuple[str, ...], tuple[str, ...]], window: Window,
          marked: frozenset[str], limit: int) -> tuple[list[dict[str, Any]], int]:
    """Up to `limit` rows of one class and the number of all matching rows.

    Most reads match fewer rows than the limit: one plain query fetches them all, built
    with DuckDB's relational API over the window's day files (`_plain`: a fifth of the
    CPU of the same query through an Ibis view, which reads the files' schemas to make
    the view and compiles). Only when more match does a second query count them and rank
    them (marked first, then nearest the middle of the window), through Ibis; so do
    reads on another engine, or when a file cannot be read (the Ibis view skips it).
    """
    name = "raw/windows" if cls == WINDOWS else cls
    wanted = (*_CORE, *COLUMNS.get(cls, ()))
    found = _plain(lake, name, who, window, wanted, limit)
    if found is not None and len(found) <= limit:
        return found, len(found)
    days = lake.table_days(name, window.start.date(), window.end.date())
    table = _matching(days, who, window)
    table = table.select(*[c for c in wanted if c in days.columns])
    if found is None:
        found = table.limit(limit + 1).to_pyarrow().to_pylist()
        if len(found) <= limit:
            return found, len(found)
    return _ranked(table, window, marked, limit)


def _plain(lake: Lake, name: str, who: tuple[tuple[str, ...], tuple[str, ...]],
           window: Window, wanted: Sequence[str],
           limit: int) -> list[dict[str, Any]] | None:
    """Up to `limit` + 1 matching rows read straight from the window's day files; None
    when DuckDB is not the engine or a file cannot be read."""
    import duckdb
    from duckdb import ColumnExpression, ConstantExpression

    con = lake.duckdb()
    if con is None:
        return None
    files = lake.day_files(name, window.start.date(), window.end.date())
    if not files:
        return []
    people, hosts = who
    of_whom = [ColumnExpression(column).isin(*(ConstantExpression(v) for v in values))
               for column, values in (("user", people), ("host", hosts)) if values]
    either = of_whom[0] if len(of_whom) == 1 else of_whom[0] | of_whom[1]
    within = ColumnExpression("time").between(ConstantExpression(window.start),
                                              ConstantExpression(window.end))
    try:
        rel = con.read_parquet(files, union_by_name=True)
        rel = rel.filter(within & either).select(*[c for c in wanted if c in rel.columns])
        rows: list[dict[str, Any]] = rel.limit(limit + 1).to_arrow_table().to_pylist()
    except (duckdb.Error, OSError):
        return None
    return rows


def _ranked(table: Table, window: Window, marked: frozenset[str],
            limit: int) -> tuple[list[dict[str, Any]], int]:
    import ibis

    is_marked = table.event_id.isin(sorted(marked)) if marked else ibis.literal(False)
    ranked = table.mutate(
        wk_total=table.event_id.count().over(ibis.window()), wk_marked=is_marked,
        wk_distance=(table.time.epoch_seconds() - _middle(window)).abs())
    ranked = ranked.order_by([ibis.desc("wk_marked"), "wk_distance", "event_id"]).limit(limit)
    found = ranked.to_pyarrow().to_pylist()
    return found, int(found[0]["wk_total"]) if found else 0


def _matching(table: Table, who: tuple[tuple[str, ...], tuple[str, ...]],
              window: Window) -> Table:
    """Rows of the window's days (partition pruning), of its span, of the people or hosts."""
    people, hosts = who
    of_whom: list[BooleanValue] = []
    if people:
        of_whom.append(table.user.isin(people))
    if hosts:
        of_whom.append(table.host.isin(hosts))
    either = of_whom[0] if len(of_whom) == 1 else of_whom[0] | of_whom[1]
    return table.filter(table.day.between(window.start.date(), window.end.date()),
                        table.time.between(window.start, window.end), either)


def _middle(window: Window) -> int:
    """The middle of the window in whole epoch seconds (as the ranked query counts)."""
    return int((window.start + (window.end - window.start) / 2).timestamp())


def _keep(rows: list[tuple[str, dict[str, Any]]], window: Window, marked: frozenset[str],
          limit: int) -> list[tuple[str, dict[str, Any]]]:
    """The `limit` rows to show: marked first, then nearest the middle of the window."""
    if len(rows) <= limit:
        return rows
    middle = _middle(window)

    def rank(r: tuple[str, dict[str, Any]]) -> tuple[bool, int, str]:
        row = r[1]
        return (row["event_id"] not in marked,
                abs(int(utc(row["time"]).timestamp()) - middle), row["event_id"])

    return sorted(rows, key=rank)[:limit]


def _event(cls: str, row: dict[str, Any], marked: frozenset[str]) -> TimelineEvent:
    if cls == WINDOWS:
        code = row.get("event_code")
        activity = f"event {code}" if code is not None else "event"
    else:
        activity = str(row.get("activity") or "")
    return TimelineEvent(
        time=utc(row["time"]), cls=cls, activity=activity, user=row.get("user"),
        host=row.get("host"), summary=describe(cls, row), event_id=str(row["event_id"]),
        source=str(row.get("source") or ""), marked=row["event_id"] in marked)


def alert_event_ids(lake: Lake, alerts: Iterable[AlertIn], window: Window) -> frozenset[str]:
    """The events behind `alerts`: their lake findings (``finding_ids``) and each
    finding's ``event_refs``; findings are looked up in the window's days only."""

    ids = sorted({f for a in alerts for f in a.finding_ids})
    if not ids:
        return frozenset()
    table = lake.table_days("finding", window.start.date(), window.end.date())
    table = table.filter(table.event_id.isin(ids))
    refs = table.select("event_id", "event_refs").to_pyarrow().to_pylist()
    return frozenset({r["event_id"] for r in refs}
                     | {e for r in refs for e in r["event_refs"] or ()})


__all__ = [
    "CLASSES",
    "DEFAULT_HOURS",
    "DEFAULT_LIMIT",
    "Timeline",
    "TimelineEvent",
    "Window",
    "alert_event_ids",
    "alert_times",
    "build_timeline",
    "utc",
    "window_around",
]
