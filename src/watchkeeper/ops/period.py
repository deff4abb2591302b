"""The one period grammar every reporting command and route shares (docs/operations.md,
"Periods"): a period is a half-open UTC interval [start, end).

=========================  ================================================
text                       period
=========================  ================================================
``2025``                   the year
``2025-Q1``                the quarter (Q1-Q4)
``2025-03``                the month
``2025-03-14``             the day
``A..B``                   from the start of A to the end of B, each any of
                           the above (``2025-01-01..2025-03-31``,
                           ``2025-01..2025-Q2``)
``A..`` / ``..B``          open at the end / at the start
=========================  ================================================

Days are UTC days. A text that is none of these is a `PeriodError` naming it and the
option or field it came in (``--period '2025-13': ...``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from watchkeeper.errors import OpsError

GRAMMAR = "2025, 2025-Q1, 2025-03, 2025-03-14 or FROM..TO of these"
MAX_TEXT = 64   # the longest period text taken (``2025-01-01..2025-03-31`` is 22)
_YEAR = re.compile(r"(\d{4})")
_QUARTER = re.compile(r"(\d{4})-[Qq]([1-4])")
_MONTH = re.compile(r"(\d{4})-(\d{2})")
_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


class PeriodError(OpsError):
    """A period text that is not in the grammar; `field` names the option or field."""


@dataclass(frozen=True)
class Period:
    """[start, end) in UTC; None: open on that side. `text` is what was given."""

    text: str
    start: datetime | None
    end: datetime | None

    @classmethod
    def parse(cls, text: str, field: str = "period") -> Period:
        """`text` in the grammar above; `PeriodError` naming `field` and the text."""
        value = text.strip()
        if len(value) > MAX_TEXT or not value:
            raise _bad(field, text)
        if ".." in value:
            first, _, last = value.partition("..")
            if not first.strip() and not last.strip():
                raise _bad(field, text)
            start = _span(first.strip(), field, text)[0] if first.strip() else None
            end = _span(last.strip(), field, text)[1] if last.strip() else None
            if start is not None and end is not None and end <= start:
                raise PeriodError(field, f"{text!r}: ends before it starts")
            return cls(value, start, end)
        start, end = _span(value, field, text)
        return cls(value, start, end)

    @classmethod
    def days(cls, since: date | None, until: date | None, field: str = "until") -> Period:
        """The days `since` to `until`, inclusive (None: open): the older options'
        ``--since DAY --until DAY``, in the same terms."""
        if since is not None and until is not None and until < since:
            raise PeriodError(field, f"{until} is before since {since}")
        text = f"{since.isoformat() if since else ''}..{until.isoformat() if until else ''}"
        return cls(text, _midnight(since) if since else None,
                   _midnight(until + timedelta(days=1)) if until else None)

    @classmethod
    def last_days(cls, days: int, now: datetime) -> Period:
        """The `days` UTC days up to and including `now`'s."""
        today = now.astimezone(UTC).date()
        return cls.days(today - timedelta(days=days - 1), today)

    def closed(self, now: datetime) -> tuple[datetime, datetime]:
        """[start, end) with an open start at the epoch and an open end at `now`."""
        return (self.start or datetime(1970, 1, 1, tzinfo=UTC),
                self.end if self.end is not None else now)

    def __str__(self) -> str:
        return self.text


def parse_period(text: str | None, field: str = "period") -> Period | None:
    """`Period.parse`, None passed through."""
    return Period.parse(text, field) if text is not None else None


def _bad(field: str, text: str) -> PeriodError:
    shown = text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + "..."
    return PeriodError(field, f"{shown!r}: not a period (expected {GRAMMAR})")


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def _span(part: str, field: str, text: str) -> tuple[datetime, datetime]:
    """[start, end) of one year, quarter, month or day."""
    try:
        if m := _DAY.fullmatch(part):
            day = date(int(m[1]), int(m[2]), int(m[3]))
            return _midnight(day), _midnight(day + timedelta(days=1))
        if m := _MONTH.fullmatch(part):
            return _months(int(m[1]), int(m[2]), 1)
        if m := _QUARTER.fullmatch(part):
            return _months(int(m[1]), 3 * int(m[2]) - 2, 3)
        if m := _YEAR.fullmatch(part):
            return _months(int(m[1]), 1, 12)
    except (ValueError, OverflowError):
        pass
    raise _bad(field, text)


def _months(year: int, month: int, count: int) -> tuple[datetime, datetime]:
    first = date(year, month, 1)
    index = year * 12 + month - 1 + count
    return _midnight(first), _midnight(date(index // 12, index % 12 + 1, 1))


__all__ = ["GRAMMAR", "Period", "PeriodError", "parse_period"]
