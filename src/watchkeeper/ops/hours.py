"""Business hours: when a team is on shift, in its own time zone, and how much on-shift
time lies between two moments. Pure: no store, no clock; every moment is UTC-aware.

A team's week is a set of `ShiftHours` (weekday, start, end in local minutes; an end at
or before the start runs past midnight into the next day). On a local day a shift starts
at that day's local wall time, so a shift is an hour shorter on the night clocks go
forward and an hour longer on the night they go back; a start that falls in the
skipped hour counts from the offset before the change (``fold=0``).

On-shift time is the union of the week's shifts (overlapping or back-to-back shifts
make one stretch), minus the team's holidays: a holiday is a whole local day on which
no business time falls and no shift starts, so a night shift starting the evening
before ends at midnight and the one that would start on it does not happen at all.

`Calendar` answers for one team; `WallClock` is the same interface counting every
second (wall-clock SLAs, teams with no shift hours). Laws the tests check with
hypothesis: `business_time` is additive (a→b plus b→c is a→c), never negative, never
more than the wall time, zero within a holiday; `add` is its inverse.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from watchkeeper.errors import OpsError

DAY_MINUTES = 24 * 60
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SEARCH_DAYS = 800   # how far `add` and `next_start` look ahead before answering None
LONGEST_SHIFT = timedelta(days=14)   # a stretch on shift longer than this: "around the clock"
CHUNK = timedelta(days=7)
ONE_DAY = timedelta(days=1)
TICK = timedelta(microseconds=1)
ZERO = timedelta(0)
_RANGE = re.compile(r"(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})")


class Hours(Protocol):
    """How an SLA clock counts time between two moments."""

    def business_time(self, start: datetime, end: datetime) -> timedelta: ...

    def add(self, start: datetime, amount: timedelta) -> datetime | None: ...


@dataclass(frozen=True, order=True)
class ShiftHours:
    """One weekly shift: `weekday` 0 (Monday) to 6, `start` and `end` in minutes after
    local midnight (end 1..1440; an end at or before the start is on the next day)."""

    weekday: int
    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise OpsError("hours", f"weekday {self.weekday}: expected 0 (mon) to 6 (sun)")
        if not 0 <= self.start < DAY_MINUTES or not 0 < self.end <= DAY_MINUTES:
            raise OpsError("hours", f"{self.text}: times run from 00:00 to 24:00")
        if self.start == self.end:
            raise OpsError("hours", f"{self.text}: a shift cannot start when it ends")

    @property
    def overnight(self) -> bool:
        return self.end <= self.start

    @property
    def text(self) -> str:
        return f"{WEEKDAYS[self.weekday % 7]} {_hhmm(self.start)}-{_hhmm(self.end)}"


@dataclass(frozen=True)
class Window:
    """A stretch of on-shift time, UTC, `start` < `end`."""

    start: datetime
    end: datetime


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def parse_hours(text: str) -> tuple[ShiftHours, ...]:
    """``mon-fri 08:00-16:00``, ``sat,sun 10:00-14:00``, ``daily 22:00-06:00``; an end
    at 24:00 or at 00:00 is midnight."""
    parts = text.strip().split(None, 1)
    if len(parts) != 2:
        raise OpsError("hours", f"{text!r}: expected DAYS HH:MM-HH:MM "
                                "(e.g. 'mon-fri 08:00-16:00')")
    days, span = parts
    found = _RANGE.fullmatch(span.strip())
    if found is None:
        raise OpsError("hours", f"{text!r}: expected a time range HH:MM-HH:MM")
    h1, m1, h2, m2 = (int(g) for g in found.groups())
    if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2):
        raise OpsError("hours", f"{text!r}: times run from 00:00 to 24:00")
    start, end = h1 * 60 + m1, h2 * 60 + m2
    return tuple(ShiftHours(d, start, end or DAY_MINUTES) for d in parse_days(days))


def parse_days(text: str) -> list[int]:
    """``mon-fri``, ``sat,sun``, ``tue``, ``daily`` → weekday numbers."""
    key = text.strip().lower()
    if key in ("daily", "every", "all", "*"):
        return list(range(7))
    days: list[int] = []
    for part in key.split(","):
        ends = [p.strip()[:3] for p in part.split("-")]
        if len(ends) > 2 or any(e not in WEEKDAYS for e in ends):
            raise OpsError("hours", f"days {text!r}: expected mon..sun, a range (mon-fri), "
                                    "a list (sat,sun) or daily")
        first, last = WEEKDAYS.index(ends[0]), WEEKDAYS.index(ends[-1])
        days += [(first + i) % 7 for i in range((last - first) % 7 + 1)]
    return sorted(set(days))


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    """The IANA time zone `name` (``Europe/Berlin``), or OpsError naming it."""
    try:
        if not name or name != name.strip():
            raise ValueError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise OpsError("timezone", f"{name!r}: not an IANA time zone "
                                   "(e.g. Europe/Berlin, America/New_York)") from None


class WallClock:
    """Every second counts (a wall-clock SLA, or a team with no shift hours)."""

    def business_time(self, start: datetime, end: datetime) -> timedelta:
        return max(end - start, ZERO)

    def add(self, start: datetime, amount: timedelta) -> datetime | None:
        return start + amount

    def on_shift(self, at: datetime) -> bool:
        return True


class Calendar:
    """One team's week of shift hours in its time zone, and its holidays (local days)."""

    def __init__(self, zone_name: str, hours: Iterable[ShiftHours],
                 holidays: Iterable[date] = ()) -> None:
        self.zone_name = zone_name
        self.tz = zone(zone_name)
        self.hours = tuple(sorted(set(hours)))
        self.holidays = frozenset(holidays)
        self._by_day: list[list[ShiftHours]] = [[] for _ in range(7)]
        for h in self.hours:
            self._by_day[h.weekday].append(h)

    def __repr__(self) -> str:
        return (f"Calendar({self.zone_name!r}, {[h.text for h in self.hours]}, "
                f"{sorted(self.holidays)})")

    # -- the on-shift set ----------------------------------------------------------------

    def windows(self, start: datetime, end: datetime) -> list[Window]:
        """The on-shift stretches that overlap [start, end), not clipped to it."""
        if not self.hours:
            return []
        first = start.astimezone(self.tz).date() - 2 * ONE_DAY
        last = end.astimezone(self.tz).date() + ONE_DAY
        raw = sorted(self._raw(first, last), key=lambda w: (w.start, w.end))
        merged: list[Window] = []
        for w in raw:
            if merged and w.start <= merged[-1].end:
                if w.end > merged[-1].end:
                    merged[-1] = Window(merged[-1].start, w.end)
            else:
                merged.append(w)
        kept = self._without_holidays(merged, first, last)
        return [w for w in kept if w.end > start and w.start < end]

    def _raw(self, first: date, last: date) -> Iterator[Window]:
        day = first
        while day <= last:
            for h in [] if day in self.holidays else self._by_day[day.weekday()]:
                begins = self._moment(day, h.start)
                ends = self._moment(day + ONE_DAY if h.overnight else day, h.end)
                if ends > begins:
                    yield Window(begins, ends)
            day += ONE_DAY

    def _moment(self, day: date, minutes: int) -> datetime:
        if minutes == DAY_MINUTES:
            day, minutes = day + ONE_DAY, 0
        local = datetime(day.year, day.month, day.day, minutes // 60, minutes % 60,
                         tzinfo=self.tz)
        return local.astimezone(UTC)

    def _without_holidays(self, windows: list[Window], first: date,
                          last: date) -> list[Window]:
        off = [Window(self._moment(d, 0), self._moment(d, DAY_MINUTES))
               for d in sorted(self.holidays) if first <= d <= last + ONE_DAY]
        if not off:
            return windows
        kept: list[Window] = []
        for w in windows:
            pieces = [w]
            for h in off:
                pieces = [p for piece in pieces for p in _minus(piece, h)]
            kept += pieces
        return kept

    # -- questions -----------------------------------------------------------------------

    def business_time(self, start: datetime, end: datetime) -> timedelta:
        """On-shift time in [start, end) (zero when end <= start)."""
        if end <= start:
            return ZERO
        total = ZERO
        for w in self.windows(start, end):
            total += min(w.end, end) - max(w.start, start)
        return total

    def add(self, start: datetime, amount: timedelta) -> datetime | None:
        """The first moment by which `amount` of on-shift time has passed since `start`
        (None: not within SEARCH_DAYS, e.g. a week with no hours)."""
        if amount <= ZERO:
            return start
        left, cursor = amount, start
        horizon = start + timedelta(days=SEARCH_DAYS)
        while cursor < horizon:
            stop = cursor + CHUNK
            for w in self.windows(cursor, stop):
                begins, ends = max(w.start, cursor), min(w.end, stop)
                if ends - begins >= left:
                    return begins + left
                left -= ends - begins
            cursor = stop
        return None

    def shift_at(self, at: datetime) -> Window | None:
        """The on-shift stretch holding `at` (its end is when the team goes off)."""
        for w in self.windows(at, at + TICK):
            if w.start <= at < w.end:
                return self._whole(w)
        return None

    def _whole(self, w: Window) -> Window:
        """`w` extended past the days it was computed from (a stretch that runs on for
        days, as with a team on shift around the clock), up to LONGEST_SHIFT."""
        end = w.end
        horizon = w.start + LONGEST_SHIFT
        while end < horizon:
            nxt = [x for x in self.windows(end, end + ONE_DAY) if x.start <= end < x.end]
            if not nxt:
                break
            end = nxt[0].end
        return Window(w.start, end)

    def on_shift(self, at: datetime) -> bool:
        return any(w.start <= at < w.end for w in self.windows(at, at + ONE_DAY))

    def next_start(self, at: datetime) -> datetime | None:
        """The start of the first on-shift stretch after `at` (None: none ahead)."""
        cursor = at
        horizon = at + timedelta(days=SEARCH_DAYS)
        while self.hours and cursor < horizon:
            # a stretch reaching back before the days computed starts early there: a
            # true start has the moment before it off shift
            starts = sorted(w.start for w in self.windows(cursor, cursor + CHUNK)
                            if w.start > at)
            for start in starts:
                if not self.on_shift(start - TICK):
                    return start
            cursor += CHUNK
        return None

    def ends(self, after: datetime, until: datetime) -> list[datetime]:
        """When the team went off shift in (after, until], oldest first."""
        if until <= after:
            return []
        found = self.windows(after, until + TICK)
        return [w.end for w in found if after < w.end <= until]


def _minus(w: Window, cut: Window) -> list[Window]:
    if cut.end <= w.start or cut.start >= w.end:
        return [w]
    pieces = []
    if cut.start > w.start:
        pieces.append(Window(w.start, cut.start))
    if cut.end < w.end:
        pieces.append(Window(cut.end, w.end))
    return pieces


__all__ = ["DAY_MINUTES", "WEEKDAYS", "Calendar", "Hours", "ShiftHours", "WallClock",
           "Window", "parse_days", "parse_hours", "zone"]
