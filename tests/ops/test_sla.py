"""SLA clocks driven by the test's clock: business hours over a weekend against the wall
clock, breach and escalation once, a pause waiting on an external party, a reopened
case, reassignment within data residency, compliance per team, severity and region."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from ops.conftest import FRI, World
from watchkeeper.cases.repository import CaseChange
from watchkeeper.errors import CaseError, ConflictError, NotFoundError, OpsError
from watchkeeper.store.models import CaseEvent, Notification

MON = datetime(2025, 3, 10, 8, 0, tzinfo=UTC)   # Berlin 09:00 CET: soc-eu starts
MINUTE = timedelta(minutes=1)


def events(world: World, case_id: int, action: str) -> list[CaseEvent]:
    with world.ws.state.session() as s:
        return list(s.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id,
                                                      CaseEvent.action == action)))


def notifications(world: World) -> int:
    with world.ws.state.session() as s:
        return s.scalar(select(func.count()).select_from(Notification)) or 0


def test_business_hours_wait_for_monday_where_the_wall_clock_does_not(world: World) -> None:
    world.ws.sla_policy_set("high", "1h", "8h", "business")
    world.ws.sla_policy_set("medium", "1h", "3d", "wall")
    high, medium = world.case("eu", severity=4), world.case("eu", severity=3)
    shown = world.ws.case_sla(world.viewer(), high.id)
    assert shown.acknowledge.state == "running"       # 30 min on Friday, 30 on Monday
    assert shown.acknowledge.due_at == datetime(2025, 3, 10, 8, 30, tzinfo=UTC)
    assert world.ws.case_sla(world.viewer(), medium.id).acknowledge.due_at == FRI + 60 * MINUTE
    world.clock.set(datetime(2025, 3, 8, 12, tzinfo=UTC))                # Saturday
    breaches = world.ws.sla_tick().breaches
    assert [(b.case_id, b.kind) for b in breaches] == [(medium.id, "acknowledge")]
    world.clock.set(datetime(2025, 3, 10, 8, 29, tzinfo=UTC))
    assert world.ws.sla_tick().breaches == ()
    world.clock.advance(MINUTE)
    (breach,) = world.ws.sla_tick().breaches
    assert (breach.case_id, breach.kind, breach.team) == (high.id, "acknowledge", "soc-eu")
    assert breach.actions == ("priority none -> high", "status new -> escalated",
                              "notified lena")


def test_a_breach_escalates_once_however_often_the_tick_runs(world: World) -> None:
    world.ws.sla_policy_set("high", "15m", "1h", "wall")
    case = world.case("eu")
    world.clock.advance(20 * MINUTE)
    first = world.ws.sla_tick()
    assert [b.kind for b in first.breaches] == ["acknowledge"] and first.notified == 1
    told = notifications(world)
    for _ in range(3):
        assert world.ws.sla_tick().breaches == ()
    assert notifications(world) == told
    assert len(events(world, case.id, "sla.breach")) == 1
    shown = world.ws.case_sla(world.viewer(), case.id)
    assert shown.acknowledge.state == "breached" and len(shown.breaches) == 1
    assert world.ws.cases_list(world.viewer()).items[0].priority == "high"
    world.clock.advance(60 * MINUTE)
    (resolve,) = world.ws.sla_tick().breaches
    assert resolve.kind == "resolve"
    assert resolve.actions[0] == "priority high -> critical"   # one more step, once


def test_acknowledging_in_time_meets_the_clock(world: World) -> None:
    world.ws.sla_policy_set("high", "30m", "2h", "wall")
    case = world.case("eu")
    world.clock.advance(10 * MINUTE)
    acked = world.ws.case_acknowledge(world.viewer("ana"), case.id)
    assert (acked.acknowledge.state, acked.acknowledged_by) == ("met", "ana")
    world.clock.advance(10 * MINUTE)
    again = world.ws.case_acknowledge(world.viewer("lena"), case.id)
    assert again.acknowledged_by == "ana"                        # the first one counts
    assert len(events(world, case.id, "sla.acknowledge")) == 1
    world.clock.advance(3 * 60 * MINUTE)
    assert [b.kind for b in world.ws.sla_tick().breaches] == ["resolve"]


def test_a_pause_waiting_on_a_party_stops_both_clocks(world: World) -> None:
    world.ws.sla_policy_set("high", "4h", "8h", "business")
    world.clock.set(MON)
    case = world.case("eu")
    assert world.ws.case_sla(world.viewer(), case.id).resolve.due_at == MON + 8 * 60 * MINUTE
    world.clock.advance(60 * MINUTE)
    paused = world.ws.sla_pause(world.viewer(), case.id, "HR", "asked for the leaver's "
                                "last working day")
    assert paused.waiting_on == "HR" and paused.resolve.state == "paused"
    assert paused.resolve.due_at is None and paused.acknowledge.state == "paused"
    world.clock.set(datetime(2025, 3, 11, 12, tzinfo=UTC))   # past the first due time
    assert world.ws.sla_tick().breaches == ()
    resumed = world.ws.sla_resume(world.viewer(), case.id)
    assert resumed.waiting_on is None and resumed.resolve.elapsed_seconds == 3600
    # 7 business hours left from Tuesday 12:00 UTC: 4 on Tuesday, 3 on Wednesday
    assert resumed.resolve.due_at == datetime(2025, 3, 12, 11, tzinfo=UTC)
    assert resumed.pauses[0].party == "HR" and resumed.pauses[0].resumed_by == "lena"
    assert [e.action for e in events(world, case.id, "sla.pause")] == ["sla.pause"]


def test_pause_and_resume_refuse_in_one_line(world: World) -> None:
    world.ws.sla_policy_set("high", "4h", "8h", "wall")
    case = world.case("eu")
    with pytest.raises(OpsError, match="party: name who the case waits on"):
        world.ws.sla_pause(world.viewer(), case.id, "  ", "why")
    with pytest.raises(ConflictError, match=f"case {case.id} is not paused"):
        world.ws.sla_resume(world.viewer(), case.id)
    world.ws.sla_pause(world.viewer(), case.id, "Legal", "privilege review")
    with pytest.raises(ConflictError, match="paused already, waiting on Legal since"):
        world.ws.sla_pause(world.viewer(), case.id, "HR", "again")
    world.ws.case_resolve(world.viewer(), case.id, "benign")
    other = world.case("eu")
    world.ws.case_resolve(world.viewer(), other.id, "benign")
    with pytest.raises(CaseError, match=f"case {other.id} is resolved: its clocks"):
        world.ws.sla_pause(world.viewer(), other.id, "HR", "late")
    with pytest.raises(NotFoundError, match="case 999: no such case"):
        world.ws.case_sla(world.viewer(), 999)


def test_a_reopened_case_runs_on_from_where_its_resolve_clock_stopped(world: World) -> None:
    world.ws.sla_policy_set("high", "1h", "3h", "wall")
    case = world.case("eu")
    world.clock.advance(60 * MINUTE)
    world.ws.case_resolve(world.viewer(), case.id, "benign")
    resolved = world.ws.case_sla(world.viewer(), case.id)
    assert resolved.resolve.state == "met" and resolved.acknowledge.state == "met"
    world.clock.advance(10 * 60 * MINUTE)
    world.ws.case_update(world.viewer(), case.id, CaseChange(status="in_progress"))
    reopened = world.ws.case_sla(world.viewer(), case.id)
    assert reopened.resolve.state == "running" and reopened.resolve.elapsed_seconds == 3600
    assert reopened.resolve.due_at == world.clock.now() + 2 * 60 * MINUTE
    assert reopened.acknowledge.state == "met"                 # resolving counted as one


def test_escalation_reassigns_within_data_residency(world: World) -> None:
    world.ws.sla_policy_set("critical", "15m", "1h", "wall", escalate_team="soc-us",
                            escalate_assignee="uma")
    world.clock.set(datetime(2025, 3, 7, 23, 0, tzinfo=UTC))
    us = world.case("us", severity=5)
    eu = world.case("eu", severity=5)
    assert (us.team, eu.team) == ("soc-apac", "soc-eu")
    world.clock.advance(16 * MINUTE)
    found = {b.case_id: b for b in world.ws.sla_tick().breaches}
    assert found[us.id].actions == ("priority none -> high", "status new -> escalated",
                                    "team soc-apac -> soc-us", "assignee none -> uma",
                                    "notified uma")
    assert found[eu.id].actions[2:] == (
        "kept team soc-eu: soc-us may not see the case's regions",
        "not assigned to uma: their teams may not see the case's regions", "notified lena")
    assert found[eu.id].team == "soc-eu" and found[us.id].team == "soc-apac"
    inbox = world.ws.notifications(world.viewer("uma"))
    assert {n.case_id for n in inbox} == {us.id}
    assert world.ws.notification_read(world.viewer("uma"), inbox[0].id).read_at is not None
    with pytest.raises(NotFoundError):
        world.ws.notification_read(world.viewer("lena"), inbox[0].id)


def test_compliance_per_team_severity_and_region(world: World) -> None:
    world.ws.sla_policy_set("high", "15m", "2h", "wall")
    world.ws.sla_policy_set("medium", "1h", "3d", "wall")
    late = world.case("eu", severity=4)
    prompt = world.case("apac", severity=4)
    world.case(None, severity=3)
    world.case(None, severity=1)                             # no policy: not counted
    world.clock.advance(5 * MINUTE)
    world.ws.case_acknowledge(world.viewer("ulf"), prompt.id)
    world.clock.advance(20 * MINUTE)
    world.ws.sla_tick()
    report = world.ws.sla_report(FRI - timedelta(days=1), FRI + timedelta(days=1))
    assert (report.cases, report.uncovered) == (3, 1)
    teams = {r.group: r for r in report.by_team}
    assert (teams["soc-eu"].ack_breached, teams["soc-eu"].ack_compliance) == (1, 0.0)
    assert (teams["soc-us"].ack_met, teams["soc-us"].ack_open) == (1, 1)
    assert teams["soc-us"].ack_compliance == 1.0
    assert [r.group for r in report.by_severity] == ["high", "medium"]
    assert {r.group: r.cases for r in report.by_region} == {"eu": 1, "apac": 1, "(none)": 1}
    assert report.overall.ack_compliance == 0.5 and report.overall.resolve_compliance is None
    assert world.ws.case_sla(world.viewer(), late.id).breaches[0].team == "soc-eu"


def test_policies_are_checked_and_listed(world: World) -> None:
    with pytest.raises(OpsError, match="acknowledge: '90 minutes': expected a duration"):
        world.ws.sla_policy_set("high", "90 minutes", "1d")
    with pytest.raises(OpsError, match="resolve: a case cannot be due resolved before"):
        world.ws.sla_policy_set("high", "2h", "1h")
    with pytest.raises(OpsError, match="severity: 'urgent': expected 0-6"):
        world.ws.sla_policy_set("urgent", "1h", "2h")
    with pytest.raises(OpsError, match="clock: 'office': expected wall or business"):
        world.ws.sla_policy_set("high", "1h", "2h", "office")
    with pytest.raises(NotFoundError, match="no team named 'soc-mars'"):
        world.ws.sla_policy_set("high", "1h", "2h", escalate_team="soc-mars")
    world.ws.sla_policy_set(5, "15m", "4h", "business")
    world.ws.sla_policy_set("high", "1h30m", "2d")
    assert [(p.severity_name, p.acknowledge_seconds, p.resolve_seconds, p.clock)
            for p in world.ws.sla_policies()] == [("high", 5400, 172800, "wall"),
                                                   ("critical", 900, 14400, "business")]
    assert world.ws.sla_policy_remove("critical").severity == 5
    with pytest.raises(NotFoundError, match="no SLA policy for severity critical"):
        world.ws.sla_policy_remove("critical")


@pytest.mark.parametrize("text", ["²", "10000000000000000000000m", "99999999999d"])
def test_a_duration_or_severity_python_cannot_hold_is_a_field_error(text: str) -> None:
    """Regression (schemathesis): '²' passed str.isdigit() and int() refused it; a huge
    number overflowed timedelta; both were server errors."""
    from watchkeeper.errors import OpsError
    from watchkeeper.ops.sla import parse_duration, parse_severity
    with pytest.raises(OpsError, match="acknowledge"):
        parse_duration(text, "acknowledge")
    with pytest.raises(OpsError, match="severity"):
        parse_severity(text)
