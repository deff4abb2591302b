"""Hand-offs at shift ends: written once, listing open cases with status, SLA clocks,
last notes and the next step; cases the next team may see pass to it (and its business
hours count from then); acknowledged by the receiving team, flagged when not in time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from ops.conftest import World
from watchkeeper.cases.repository import CaseChange
from watchkeeper.errors import ConflictError, NotFoundError, PermissionDeniedError
from watchkeeper.store.models import CaseEvent

END = datetime(2025, 3, 7, 16, 0, tzinfo=UTC)      # soc-eu's Friday shift ends (17:00 CET)
MINUTE = timedelta(minutes=1)


def test_a_shift_end_writes_one_hand_off_to_the_team_on_shift_next(world: World) -> None:
    world.ws.sla_policy_set("high", "1h", "8h", "business")
    eu = world.case("eu")                               # stays: soc-us may not see eu
    mine = world.case(None, team="soc-eu")               # passes to soc-us
    for text in ("first look", "asked HR for the badge log", "badge log shows 02:14"):
        world.ws.case_note(world.viewer(), eu.id, text)
    world.ws.case_task(world.viewer(), eu.id, "Collect the laptop")
    world.ws.sla_pause(world.viewer(), mine.id, "Legal", "privilege review")
    world.clock.set(END + 5 * MINUTE)
    run = world.ws.handoffs_due()
    (written,) = run.written
    assert (written.team, written.to_team, written.shift_end) == ("soc-eu", "soc-us", END)
    assert written.cases == 2 and written.state == "pending"
    assert written.ack_due_at == END + 30 * MINUTE       # soc-us is on shift: grace from now
    assert world.ws.handoffs_due().written == ()        # once per team and shift end
    view = world.ws.handoff_show(world.viewer("lena"), team="soc-eu")
    items = {i.case_id: i for i in view.items}
    assert (items[eu.id].moved, items[mine.id].moved) == (False, True)
    assert [n.body for n in items[eu.id].notes] == ["badge log shows 02:14",
                                                    "asked HR for the badge log"]
    assert items[eu.id].next_step == "task: Collect the laptop"
    assert items[eu.id].ack_state == "running" and items[eu.id].status == "new"
    assert items[eu.id].ack_due_at == datetime(2025, 3, 10, 8, 30, tzinfo=UTC)
    assert items[mine.id].waiting_on == "Legal"
    assert items[mine.id].next_step.startswith("waiting on Legal (privilege review)")
    teams = {c.id: c.team for c in world.ws.cases_list(world.viewer("lena")).items}
    assert teams == {eu.id: "soc-eu", mine.id: "soc-us"}
    with world.ws.state.session() as s:
        moved = s.scalars(select(CaseEvent).where(CaseEvent.action == "case.handoff")).one()
    assert (moved.case_id, moved.at, moved.actor) == (mine.id, END, "watchkeeper:handoff")


def test_after_the_hand_off_the_clock_counts_the_new_owner_s_hours(world: World) -> None:
    """Opened 15:30 UTC by soc-eu (on until 16:00), due acknowledged after one business
    hour: with soc-eu alone that is Monday 08:30; handed to soc-us (on until 22:00) at
    16:00, it is 16:30 the same Friday."""
    world.ws.sla_policy_set("high", "1h", "8h", "business")
    case = world.case(None, team="soc-eu")
    assert world.ws.case_sla(world.viewer(), case.id).acknowledge.due_at == datetime(
        2025, 3, 10, 8, 30, tzinfo=UTC)
    world.clock.set(END + MINUTE)
    world.ws.handoffs_due()
    shown = world.ws.case_sla(world.viewer("uma"), case.id)
    assert shown.team == "soc-us"
    assert shown.acknowledge.due_at == END + 30 * MINUTE
    world.clock.set(END + 31 * MINUTE)
    (breach,) = world.ws.sla_tick().breaches
    assert (breach.kind, breach.team) == ("acknowledge", "soc-us")


def test_the_receiving_team_acknowledges_or_the_hand_off_is_flagged(world: World) -> None:
    world.clock.set(END + MINUTE)
    (first,) = world.ws.handoffs_due().written
    world.clock.set(END + 29 * MINUTE)
    assert world.ws.handoffs_due().flagged == ()
    world.clock.set(END + 31 * MINUTE)
    run = world.ws.handoffs_due()
    assert [h.id for h in run.flagged] == [first.id] and run.notified == 2   # uma, lena
    assert world.ws.handoffs_due().flagged == ()                          # flagged once
    inbox = world.ws.notifications(world.viewer("uma"))
    assert [n.kind for n in inbox] == ["handoff.flagged"]
    assert [h.state for h in world.ws.handoffs(pending=True)] == ["flagged"]
    with pytest.raises(PermissionDeniedError, match="only the receiving team"):
        world.ws.handoff_acknowledge(world.viewer("ana"), first.id)
    done = world.ws.handoff_acknowledge(world.viewer("ulf"), first.id)
    assert (done.state, done.acknowledged_by) == ("acknowledged", "ulf")
    assert done.flagged_at is not None                                    # it stays late
    with pytest.raises(ConflictError, match=f"hand-off {first.id} was acknowledged by ulf"):
        world.ws.handoff_acknowledge(world.viewer("uma"), first.id)
    assert world.ws.handoffs(pending=True) == ()


def test_every_shift_end_since_the_last_run_is_written_once(world: World) -> None:
    world.clock.set(datetime(2025, 3, 10, 9, 0, tzinfo=UTC))    # Monday, first run since Fri
    written = {(h.team, h.shift_end, h.to_team) for h in world.ws.handoffs_due().written}
    assert written == {
        ("soc-eu", END, "soc-us"),
        ("soc-us", datetime(2025, 3, 7, 22, 0, tzinfo=UTC), "soc-apac"),   # next: Mon Tokyo
        ("soc-apac", datetime(2025, 3, 10, 8, 0, tzinfo=UTC), "soc-eu")}
    assert world.ws.handoffs_due().written == ()
    latest = world.ws.handoff_show(world.viewer(), team="soc-apac")
    assert latest.handoff.ack_due_at == datetime(2025, 3, 10, 8, 30, tzinfo=UTC)
    assert latest.handoff.state == "flagged"              # flagged in the same run: overdue
    # soc-apac has no lead: its members hear of its flagged hand-offs (to and from it)
    told = world.ws.notifications(world.viewer("kai"))
    assert sorted(n.handoff_id or 0 for n in told) == sorted(
        h.id for h in world.ws.handoffs("soc-apac"))


def test_a_hand_off_shows_only_the_cases_the_reader_may_open(world: World) -> None:
    open_case = world.case("eu")
    secret = world.case("eu")
    world.ws.case_update(world.viewer(), secret.id, CaseChange(), restrict_to=("lena",))
    world.clock.set(END + MINUTE)
    (written,) = world.ws.handoffs_due().written
    assert written.cases == 2
    seen = world.ws.handoff_show(world.viewer("ana"), written.id)
    assert [i.case_id for i in seen.items] == [open_case.id] and seen.withheld == 1
    entries = world.ws.audit_entries().items
    assert (entries[0].action, entries[0].object_id) == ("handoff.read", str(written.id))
    with pytest.raises(NotFoundError, match="hand-off 99: no such hand-off"):
        world.ws.handoff_show(world.viewer(), 99)
    with pytest.raises(NotFoundError, match="team soc-apac has no hand-off yet"):
        world.ws.handoff_show(world.viewer(), team="soc-apac")
