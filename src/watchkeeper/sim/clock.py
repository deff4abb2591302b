"""Offices, time zones, public holidays and the UTC timestamp formats of the output."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from watchkeeper.sim.strings import strings_from_chars

I64 = npt.NDArray[np.int64]

REGIONS: tuple[str, ...] = ("US", "EU", "APAC")
TIME_ZONES: dict[str, str] = {
    "US": "America/New_York", "EU": "Europe/Berlin", "APAC": "Asia/Singapore"}
OFFICES: dict[str, tuple[str, str]] = {
    "US": ("New York", "US"), "EU": ("Berlin", "DE"), "APAC": ("Singapore", "SG")}
EPOCH = date(1970, 1, 1)
DAY = 86_400

_LUNAR_NEW_YEAR: dict[int, tuple[int, int]] = {
    2020: (1, 25), 2021: (2, 12), 2022: (2, 1), 2023: (1, 22), 2024: (2, 10),
    2025: (1, 29), 2026: (2, 17), 2027: (2, 6), 2028: (1, 26), 2029: (2, 13),
    2030: (2, 3), 2031: (1, 23), 2032: (2, 11), 2033: (1, 31), 2034: (2, 19)}


def epoch_seconds(day: date) -> int:
    """Seconds from 1970-01-01 UTC to midnight UTC of `day`."""
    return (day - EPOCH).days * DAY


@lru_cache(maxsize=8192)
def utc_offset_minutes(region: str, day: date) -> int:
    """The office's offset from UTC at local noon of `day` (DST aware)."""
    noon = datetime.combine(day, time(12), ZoneInfo(TIME_ZONES[region]))
    offset = noon.utcoffset()
    return int(offset.total_seconds() // 60) if offset is not None else 0


def easter(year: int) -> date:
    """Gregorian Easter Sunday (anonymous algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    j = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * j) // 451
    month, day = divmod(h + j - 7 * m + 114, 31)
    return date(year, month, day + 1)


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The n-th (1-based, or -1 for last) `weekday` of a month."""
    if n > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


@lru_cache(maxsize=64)
def holidays(region: str, year: int) -> frozenset[date]:
    """Public holidays (plus company days off) of the region's office in `year`."""
    e = easter(year)
    if region == "US":
        days = [date(year, 1, 1), _nth_weekday(year, 1, 0, 3), _nth_weekday(year, 2, 0, 3),
                _nth_weekday(year, 5, 0, -1), date(year, 6, 19), date(year, 7, 4),
                _nth_weekday(year, 9, 0, 1), _nth_weekday(year, 11, 3, 4),
                _nth_weekday(year, 11, 3, 4) + timedelta(days=1), date(year, 12, 25)]
    elif region == "EU":
        days = [date(year, 1, 1), date(year, 3, 8), e - timedelta(days=2), e + timedelta(days=1),
                date(year, 5, 1), e + timedelta(days=39), e + timedelta(days=50),
                date(year, 10, 3), date(year, 12, 24), date(year, 12, 25), date(year, 12, 26),
                date(year, 12, 31)]
    else:
        days = [date(year, 1, 1), e - timedelta(days=2), date(year, 5, 1), date(year, 8, 9),
                date(year, 12, 25)]
        if year in _LUNAR_NEW_YEAR:
            lny = date(year, *_LUNAR_NEW_YEAR[year])
            days += [lny, lny + timedelta(days=1)]
    return frozenset(days)


def is_workday(region: str, day: date) -> bool:
    """Monday to Friday and not a public holiday in the region."""
    return day.weekday() < 5 and day not in holidays(region, day.year)


def _civil(days: I64) -> tuple[I64, I64, I64]:
    """Year, month, day of days since 1970-01-01 (Hinnant's algorithm, vectorized)."""
    z = days + 719_468
    era = z // 146_097
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    year = yoe + era * 400 + (month <= 2)
    return year, month, day


def _put(chars: npt.NDArray[np.uint8], col: int, values: I64, width: int) -> None:
    for k in range(width):
        chars[:, col + width - 1 - k] = 48 + (values // 10**k) % 10


def _layout(ts: I64, pattern: str, fields: tuple[tuple[int, int, str], ...]) -> pa.Array:
    """Render timestamps into a fixed `pattern`, replacing digit fields in place."""
    ts = np.asarray(ts, dtype=np.int64)
    days, secs = ts // DAY, ts % DAY
    year, month, day = _civil(days)
    parts = {"Y": year, "m": month, "d": day, "H": secs // 3600,
             "M": secs % 3600 // 60, "S": secs % 60}
    chars = np.tile(np.frombuffer(pattern.encode(), dtype=np.uint8), (len(ts), 1))
    for col, width, key in fields:
        _put(chars, col, parts[key], width)
    return strings_from_chars(chars)


_CERT = ((0, 2, "m"), (3, 2, "d"), (6, 4, "Y"), (11, 2, "H"), (14, 2, "M"), (17, 2, "S"))
_ISO = ((0, 4, "Y"), (5, 2, "m"), (8, 2, "d"), (11, 2, "H"), (14, 2, "M"), (17, 2, "S"))


def format_cert(ts: I64) -> pa.Array:
    """UTC epoch seconds as CERT `MM/DD/YYYY HH:MM:SS` strings."""
    return _layout(ts, "00/00/0000 00:00:00", _CERT)


def format_iso(ts: I64) -> pa.Array:
    """UTC epoch seconds as ISO 8601 `YYYY-MM-DDTHH:MM:SSZ` strings."""
    return _layout(ts, "0000-00-00T00:00:00Z", _ISO)
