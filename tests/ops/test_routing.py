"""Routing of new cases: data residency first, then the team on shift (the one whose
shift runs longest), else the next to start; across three time zones, the US and EU
daylight-saving changes and a holiday."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from ops.conftest import FRI, World
from watchkeeper.errors import CaseError
from watchkeeper.ops.hours import Calendar, parse_hours
from watchkeeper.ops.routing import choose
from watchkeeper.ops.shifts import TeamPlan
from watchkeeper.store.models import Case, CaseEvent


def route_event(world: World, case_id: int) -> CaseEvent:
    with world.ws.state.session() as s:
        return s.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id,
                                                 CaseEvent.action == "case.route")).one()


def test_residency_first_then_the_team_whose_shift_runs_longest(world: World) -> None:
    """Friday 15:30 UTC: Berlin is on until 16:00 UTC, New York until 22:00 UTC."""
    assert world.case(None).team == "soc-us"
    assert world.case("apac").team == "soc-us"
    eu = world.case("eu")
    assert eu.team == "soc-eu"             # soc-us is on longer but may not see eu
    event = route_event(world, eu.id)
    assert event.actor == "watchkeeper:routing" and event.after is not None
    assert event.after["reason"] == "on shift until 2025-03-07 16:00 UTC (region eu)"


def test_nobody_on_shift_goes_to_the_next_to_start(world: World) -> None:
    world.clock.set(datetime(2025, 3, 7, 23, 0, tzinfo=UTC))   # Friday night everywhere
    anyone = world.case(None)
    assert anyone.team == "soc-apac"                            # Monday 09:00 Tokyo = 00:00 UTC
    assert route_event(world, anyone.id).after == {
        "team": "soc-apac", "reason": "next on shift, at 2025-03-10 00:00 UTC (no region)"}
    assert world.case("eu").team == "soc-eu"                    # Monday 08:00 UTC


def test_a_holiday_passes_the_case_to_the_next_team(world: World) -> None:
    world.ws.holiday_add("soc-apac", date(2025, 3, 10), "Sports Day")
    world.clock.set(datetime(2025, 3, 7, 23, 0, tzinfo=UTC))
    assert world.case(None).team == "soc-eu"


@pytest.mark.parametrize(("at", "team"), [
    (datetime(2025, 3, 7, 13, 30, tzinfo=UTC), "soc-eu"),   # NY 08:30 EST: not yet on
    (datetime(2025, 3, 10, 13, 30, tzinfo=UTC), "soc-us"),  # NY 09:30 EDT: on, ends later
    (datetime(2025, 3, 28, 15, 30, tzinfo=UTC), "soc-us"),  # Berlin 16:30 CET: both on
    (datetime(2025, 3, 31, 7, 30, tzinfo=UTC), "soc-eu"),   # Berlin 09:30 CEST: on
    (datetime(2025, 3, 24, 7, 30, tzinfo=UTC), "soc-apac"),  # Berlin 08:30 CET: Tokyo 16:30
])
def test_the_same_utc_time_routes_by_each_zone_s_own_daylight_saving(
        world: World, at: datetime, team: str) -> None:
    world.clock.set(at)
    assert world.case(None).team == team


def test_shifts_show_follows_each_zone_across_the_changes(world: World) -> None:
    world.clock.set(datetime(2025, 3, 10, 13, 30, tzinfo=UTC))
    shown = {t.team: t for t in world.ws.shifts_show()}
    assert shown["soc-us"].on_shift and shown["soc-us"].shift_ends == datetime(
        2025, 3, 10, 21, tzinfo=UTC)
    assert shown["soc-eu"].shift_ends == datetime(2025, 3, 10, 16, tzinfo=UTC)
    assert shown["soc-apac"].next_start == datetime(2025, 3, 11, 0, tzinfo=UTC)
    assert shown["soc-eu"].hours[0] == "mon 09:00-17:00"


def test_no_team_may_see_the_region(world: World) -> None:
    case = world.case("latam")
    assert case.team is None
    with world.ws.state.session() as s:
        assert s.scalar(select(func.count()).select_from(CaseEvent).where(
            CaseEvent.action == "case.route")) == 0


def test_a_team_given_that_may_not_see_the_region_is_refused_whole(world: World) -> None:
    with world.ws.state.session() as s:
        before = s.scalar(select(func.count()).select_from(Case))
    with pytest.raises(CaseError, match="team soc-us may not see region eu: give a team"):
        world.case("eu", team="soc-us")
    with world.ws.state.session() as s:
        assert s.scalar(select(func.count()).select_from(Case)) == before
    assert world.case("eu", team="soc-eu").team == "soc-eu"   # given and allowed: kept


def plan(ident: int, name: str, regions: set[str], hours: str | None) -> TeamPlan:
    cal = Calendar("UTC", parse_hours(hours)) if hours else None
    return TeamPlan(ident, name, frozenset(regions), cal, 30, FRI if cal else None)


def test_choose_leaves_alone_teams_without_shift_hours() -> None:
    teams = [plan(1, "a", {"*"}, None), plan(2, "b", {"eu"}, "daily 00:00-06:00")]
    assert choose(teams, ["eu"], FRI).name == "b"
    assert choose(teams, ["us"], FRI).team is None
    assert choose(teams, ["us"], FRI).reason == "no team that may see region us has shift hours"
    assert choose(teams, [], FRI, exclude=2).team is None
    assert choose([plan(3, "c", {"*"}, "daily 00:00-24:00"), *teams], ["EU "], FRI).name == "c"
