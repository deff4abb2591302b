"""An SLA clock over a case's history: pauses and resolution stop it, the owner's hours
count it, and `reached` is where `elapsed` meets the target."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from watchkeeper.ops.hours import Calendar, Hours, WallClock, parse_hours
from watchkeeper.ops.slaclock import Interval, elapsed, reached, spans

H = timedelta(hours=1)
T0 = datetime(2025, 3, 3, 6, tzinfo=UTC)   # a Monday, 07:00 in Berlin
BERLIN = Calendar("Europe/Berlin", parse_hours("mon-fri 08:00-16:00"))
TOKYO = Calendar("Asia/Tokyo", parse_hours("mon-fri 09:00-17:00"))
WALL = WallClock()

offset = st.integers(0, 60 * 24 * 14).map(lambda m: T0 + timedelta(minutes=m))
stopped = st.lists(st.tuples(offset, st.one_of(st.none(), offset)).map(
    lambda p: (p[0], None if p[1] is None else max(p))), max_size=4)
owners = st.lists(st.tuples(offset, st.sampled_from([BERLIN, TOKYO, WALL])), min_size=1,
                  max_size=4)


@settings(max_examples=150, deadline=None)
@given(stopped, owners, st.integers(0, 60 * 30).map(lambda m: timedelta(minutes=m)), offset)
def test_reached_is_where_elapsed_meets_the_target(
        stops: list[Interval], owned: list[tuple[datetime, Hours]], target: timedelta,
        until: datetime) -> None:
    found = spans(T0, stops, owned)
    due = reached(found, target)
    if due is not None:
        assert elapsed(found, due) == target
        assert due >= T0
    assert elapsed(found, until) <= until - T0
    later = until + timedelta(hours=5)
    assert elapsed(found, until) <= elapsed(found, later)
    for s in found:   # no span overlaps a stop
        for begin, end in stops:
            assert (s.end is not None and s.end <= begin) or (end is not None and s.start >= end)


def test_a_pause_waiting_on_a_party_moves_the_due_time_by_its_length() -> None:
    owner = [(T0, WALL)]
    running = spans(T0, [], owner)
    paused = spans(T0, [(T0 + H, T0 + 4 * H)], owner)
    assert reached(running, 2 * H) == T0 + 2 * H
    assert reached(paused, 2 * H) == T0 + 5 * H
    assert elapsed(paused, T0 + 3 * H) == H
    open_pause = spans(T0, [(T0 + H, None)], owner)   # still waiting: no due time
    assert reached(open_pause, 2 * H) is None
    assert elapsed(open_pause, T0 + 10 * H) == H


def test_business_hours_follow_the_owner_at_each_moment() -> None:
    """Berlin owns the case on Monday (08:00-16:00 CET = 07:00-15:00 UTC) and hands it
    to Tokyo at 15:00 UTC; Tokyo's Tuesday starts at 00:00 UTC."""
    owned = [(T0, BERLIN), (T0 + 9 * H, TOKYO)]
    found = spans(T0, [], owned)
    assert elapsed(found, T0 + 9 * H) == 8 * H                       # Berlin's whole day
    assert reached(found, 10 * H) == datetime(2025, 3, 4, 2, tzinfo=UTC)  # Tokyo 11:00
    assert reached(spans(T0, [], [(T0, BERLIN)]), 10 * H) == datetime(
        2025, 3, 4, 9, tzinfo=UTC)                                   # Berlin alone: 10:00


def test_a_resolved_then_reopened_case_counts_the_time_it_was_open() -> None:
    found = spans(T0, [(T0 + 2 * H, T0 + 5 * H)], [(T0, WALL)])
    assert elapsed(found, T0 + 6 * H) == 3 * H
    settled = spans(T0, [(T0 + 2 * H, None)], [(T0, WALL)])
    assert reached(settled, 3 * H) is None
