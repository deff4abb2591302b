"""Business hours: the laws (hypothesis over random weeks, zones and holidays) and worked
examples across three time zones, a daylight-saving change and a holiday."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from watchkeeper.errors import OpsError
from watchkeeper.ops.hours import Calendar, ShiftHours, WallClock, parse_days, parse_hours

ZONES = ("Europe/Berlin", "America/New_York", "Asia/Tokyo", "Australia/Sydney",
         "Asia/Kolkata", "America/Santiago", "UTC")
SETTINGS = settings(max_examples=150, deadline=None)
H = timedelta(hours=1)

shift = st.builds(lambda d, s, n: ShiftHours(d, s, (s + n) % 1440 or 1440),
                  st.integers(0, 6), st.integers(0, 1439).map(lambda m: m - m % 15),
                  st.integers(1, 95).map(lambda q: q * 15))
# around the 2025 changes: Europe 30 Mar / 26 Oct, US 9 Mar / 2 Nov, Sydney 6 Apr / 5 Oct
moment = st.datetimes(min_value=datetime(2025, 2, 20), max_value=datetime(2025, 11, 20),
                      timezones=st.just(UTC))
calendars = st.builds(
    Calendar, st.sampled_from(ZONES), st.lists(shift, max_size=6),
    st.lists(st.dates(date(2025, 2, 15), date(2025, 11, 30)), max_size=40))


@SETTINGS
@given(calendars, moment, moment, moment)
def test_business_time_is_additive_and_never_negative(cal: Calendar, a: datetime,
                                                       b: datetime, c: datetime) -> None:
    a, b, c = sorted((a, b, c))
    assert cal.business_time(a, b) + cal.business_time(b, c) == cal.business_time(a, c)
    assert timedelta(0) <= cal.business_time(a, c) <= c - a
    assert cal.business_time(c, a) == timedelta(0)


@SETTINGS
@given(calendars, st.data())
def test_no_business_time_falls_on_a_holiday(cal: Calendar, data: st.DataObject) -> None:
    if not cal.holidays:
        return
    day = data.draw(st.sampled_from(sorted(cal.holidays)))
    begins = datetime(day.year, day.month, day.day, tzinfo=cal.tz).astimezone(UTC)
    ends = datetime.combine(day + timedelta(days=1), datetime.min.time(),
                            cal.tz).astimezone(UTC)
    last = ends - timedelta(microseconds=1)          # the day is [begins, ends)
    a = data.draw(st.datetimes(begins.replace(tzinfo=None), last.replace(tzinfo=None),
                               timezones=st.just(UTC)))
    assert cal.business_time(begins, ends) == timedelta(0)
    assert cal.business_time(a, ends) == timedelta(0)
    assert not cal.on_shift(a)


@SETTINGS
@given(calendars, moment, st.integers(0, 60 * 24 * 20).map(lambda m: timedelta(minutes=m)))
def test_add_is_the_inverse_of_business_time(cal: Calendar, a: datetime,
                                             amount: timedelta) -> None:
    done = cal.add(a, amount)
    if done is None:
        assert not cal.hours or amount > timedelta(0)
        return
    assert done >= a
    assert cal.business_time(a, done) == amount
    if amount > timedelta(0):   # the first such moment: a moment earlier is short
        assert cal.business_time(a, done - timedelta(microseconds=1)) < amount


@SETTINGS
@given(calendars, moment)
def test_on_shift_agrees_with_shift_at_and_next_start(cal: Calendar, at: datetime) -> None:
    window = cal.shift_at(at)
    assert cal.on_shift(at) == (window is not None)
    if window is not None:
        assert window.start <= at < window.end
        assert cal.business_time(at, min(window.end, at + H)) == min(window.end, at + H) - at
    nxt = cal.next_start(at)
    if nxt is not None:
        assert nxt > at and cal.on_shift(nxt)
        assert not cal.on_shift(nxt - timedelta(microseconds=1))
    ends = cal.ends(at, at + timedelta(days=3))
    for end in ends:
        assert not cal.on_shift(end) and cal.on_shift(end - timedelta(microseconds=1))


def test_a_day_shift_in_three_zones_across_the_spring_change() -> None:
    """Berlin goes to summer time on 30 March 2025, New York on 9 March, Tokyo never:
    the same 09:00-17:00 moves an hour in UTC for the first two, on their own dates."""
    hours = parse_hours("mon-fri 09:00-17:00")
    berlin, york, tokyo = (Calendar(z, hours) for z in
                           ("Europe/Berlin", "America/New_York", "Asia/Tokyo"))
    before, after = datetime(2025, 3, 7, 12, tzinfo=UTC), datetime(2025, 3, 31, 12, tzinfo=UTC)
    assert berlin.shift_at(before).start.hour == 8          # 09:00 CET
    assert berlin.shift_at(after).start.hour == 7           # 09:00 CEST
    assert york.next_start(before).hour == 14               # 09:00 EST
    assert york.next_start(after).hour == 13                # 09:00 EDT
    assert tokyo.next_start(before).hour == 0 and tokyo.next_start(after).hour == 0
    week = (datetime(2025, 3, 3, tzinfo=UTC), datetime(2025, 4, 7, tzinfo=UTC))
    for cal in (berlin, york, tokyo):  # five weeks of five eight-hour days, whatever the zone
        assert cal.business_time(*week) == 25 * 8 * H


def test_a_night_shift_is_shorter_the_night_clocks_go_forward_and_longer_going_back() -> None:
    night = Calendar("America/New_York", parse_hours("daily 22:00-06:00"))
    spring = datetime(2025, 3, 8, 12, tzinfo=UTC)
    autumn = datetime(2025, 11, 1, 12, tzinfo=UTC)
    assert night.business_time(spring, spring + timedelta(days=1)) == 7 * H
    assert night.business_time(autumn, autumn + timedelta(days=1)) == 9 * H
    assert night.ends(spring, spring + timedelta(days=1)) == [
        datetime(2025, 3, 9, 10, tzinfo=UTC)]               # 06:00 EDT


def test_a_holiday_stops_the_night_shift_before_it_at_midnight() -> None:
    cal = Calendar("Europe/Berlin", parse_hours("daily 20:00-04:00"), [date(2025, 12, 25)])
    eve = datetime(2025, 12, 24, 12, tzinfo=UTC)
    assert cal.ends(eve, eve + timedelta(days=1)) == [datetime(2025, 12, 24, 23, tzinfo=UTC)]
    assert cal.business_time(eve, eve + timedelta(days=2)) == 4 * H   # none starts on it
    assert cal.business_time(eve, eve + timedelta(days=3)) == 4 * H + 8 * H
    assert cal.add(eve, 5 * H) == datetime(2025, 12, 26, 20, tzinfo=UTC)   # 21:00 CET


def test_a_week_without_hours_never_reaches_a_target() -> None:
    cal = Calendar("UTC", [])
    at = datetime(2025, 1, 1, tzinfo=UTC)
    assert cal.business_time(at, at + timedelta(days=30)) == timedelta(0)
    assert cal.add(at, H) is None and cal.next_start(at) is None
    assert cal.add(at, timedelta(0)) == at


def test_a_team_on_shift_around_the_clock_has_no_next_start_and_no_ends() -> None:
    cal = Calendar("Asia/Tokyo", parse_hours("daily 00:00-24:00"))
    at = datetime(2025, 6, 1, tzinfo=UTC)
    assert cal.on_shift(at) and cal.next_start(at) is None
    assert cal.ends(at, at + timedelta(days=10)) == []
    assert cal.business_time(at, at + timedelta(days=10)) == WallClock().business_time(
        at, at + timedelta(days=10))


@pytest.mark.parametrize(("text", "days"), [
    ("mon-fri", [0, 1, 2, 3, 4]), ("sat,sun", [5, 6]), ("fri-mon", [0, 4, 5, 6]),
    ("daily", list(range(7))), ("Tue", [1]), ("monday", [0])])
def test_days(text: str, days: list[int]) -> None:
    assert parse_days(text) == days


@pytest.mark.parametrize(("text", "message"), [
    ("mon-fri", "expected DAYS HH:MM-HH:MM"), ("mon 8-16", "expected a time range"),
    ("mon 25:00-26:00", "from 00:00 to 24:00"), ("funday 08:00-16:00", "expected mon..sun"),
    ("mon 08:00-08:00", "cannot start when it ends"), ("mon 08:00-24:30", "00:00 to 24:00")])
def test_bad_hours_name_the_value(text: str, message: str) -> None:
    with pytest.raises(OpsError, match=message) as caught:
        parse_hours(text)
    assert caught.value.field == "hours"


def test_an_unknown_zone_is_refused() -> None:
    with pytest.raises(OpsError, match="'Mars/Olympus': not an IANA time zone"):
        Calendar("Mars/Olympus", [])
