"""Cases on SQLite and PostgreSQL: the workflow enforced pair by pair, verdicts required
to resolve, every change a case event with before and after, refusals storing nothing."""

from __future__ import annotations

from itertools import permutations

import pytest

from cases.casework import add_accounts, add_alert
from watchkeeper.cases.records import record
from watchkeeper.cases.repository import CaseChange, CaseRepository
from watchkeeper.cases.service import CaseDesk, CaseNew
from watchkeeper.cases.views import LinkView
from watchkeeper.cases.workflow import TRANSITIONS, Status
from watchkeeper.errors import CaseError, NotFoundError
from watchkeeper.lake import Lake
from watchkeeper.security import Pseudonymizer
from watchkeeper.security.recusal import StaticOrgChart, Viewer
from watchkeeper.store import StateStore

KEY = b"k" * 32
# How to bring a new case to each status by allowed steps (resolving with a verdict).
PATH = {Status.NEW: [], Status.IN_PROGRESS: [("in_progress", None)],
        Status.ESCALATED: [("escalated", None)],
        Status.RESOLVED: [("resolved", "benign")],
        Status.CLOSED: [("resolved", "benign"), ("closed", None)]}


def make_desk(state: StateStore, lake: Lake) -> CaseDesk:
    people = lake.table("people").select("user", "name", "email").to_pyarrow().to_pylist()
    return CaseDesk(state, lake, lambda: Pseudonymizer.from_rows(KEY, people))


@pytest.fixture
def desk(state: StateStore, hr_lake: Lake) -> CaseDesk:
    with state.session() as s:
        add_accounts(s)
    return make_desk(state, hr_lake)


def status_of(desk: CaseDesk, viewer: Viewer, case_id: int) -> tuple[str, str | None]:
    with desk.store.session() as s:
        view = CaseRepository(s, viewer, desk.org).get(case_id)
    return view.status, view.verdict


def test_every_allowed_transition_passes_and_every_other_is_refused(desk: CaseDesk) -> None:
    bob = desk.viewer("bob", "x")
    for before, after in permutations(Status, 2):
        case = desk.create(bob, CaseNew(f"{before.value} to {after.value}")).id
        for status, verdict in PATH[before]:
            desk.update(bob, case, CaseChange(status=status, verdict=verdict))
        assert status_of(desk, bob, case)[0] == before.value
        verdict = "true_positive" if after is Status.RESOLVED else None
        change = CaseChange(status=after.value, verdict=verdict)
        if after in TRANSITIONS[before]:
            desk.update(bob, case, change)
            assert status_of(desk, bob, case)[0] == after.value
        else:
            with pytest.raises(CaseError) as refused:
                desk.update(bob, case, change)
            message = str(refused.value)
            assert "\n" not in message
            assert message.startswith(f"case {case}: cannot go from {before.value} to "
                                      f"{after.value}")
            assert status_of(desk, bob, case)[0] == before.value   # nothing stored


def test_resolving_needs_a_known_verdict_and_reopening_clears_it(desk: CaseDesk) -> None:
    bob = desk.viewer("bob", "x")
    case = desk.create(bob, CaseNew("needs a verdict")).id
    with pytest.raises(CaseError, match=rf"^case {case}: resolving needs a verdict"):
        desk.update(bob, case, CaseChange(status="resolved"))
    with pytest.raises(CaseError, match=r"verdict 'maybe': expected one of false_positive, "
                                        r"true_positive, .*duplicate"):
        desk.resolve(bob, case, "maybe")
    with pytest.raises(CaseError, match="a verdict is given when resolving"):
        desk.update(bob, case, CaseChange(status="in_progress", verdict="benign"))
    assert status_of(desk, bob, case) == ("new", None)
    desk.resolve(bob, case, "False Positive", note="Approved data move.")
    assert status_of(desk, bob, case) == ("resolved", "false_positive")
    desk.update(bob, case, CaseChange(status="in_progress"))
    assert status_of(desk, bob, case) == ("in_progress", None)


def test_every_change_is_a_case_event_with_who_before_and_after(desk: CaseDesk) -> None:
    bob = desk.viewer("bob", "x")
    with desk.store.session() as s:
        alert = add_alert(s, "ev-1", ["ACM2278"], hosts=["PC-6377"], severity=5)
    case = desk.create(bob, CaseNew("USB", alerts=(alert,))).id
    desk.update(bob, case, CaseChange(title="USB copies", priority="high",
                                      assignee="alice", summary="Edited by hand."))
    desk.update(bob, case, CaseChange(status="escalated"))
    task = desk.task(bob, case, "Collect the laptop", assignee="alice")
    assert task is not None
    desk.task(bob, case, done=task)
    desk.note(bob, case, None, template=True)
    desk.link(bob, case, (LinkView("observable", "IP: 10.0.0.9"),))
    desk.link(bob, case, (LinkView("observable", "ip:10.0.0.9"),), remove=True)
    with desk.store.session() as s:
        rec = record(CaseRepository(s, bob, desk.org), case)
    assert rec.case.severity == 5   # the highest of its alerts'
    assert {e.actor for e in rec.events} == {"bob"}
    changes = [(e.action, e.before, e.after) for e in rec.events]
    assert ("case.update", {"title": "USB", "priority": None, "assignee": None},
            {"title": "USB copies", "priority": "high", "assignee": "alice"}) in changes
    assert ("case.status", {"status": "new", "verdict": None},
            {"status": "escalated", "verdict": None}) in changes
    summary = next(c for c in changes if c[0] == "case.summary")
    assert summary[2] == {"summary": "Edited by hand."}
    assert summary[1] is not None and "What happened" in str(summary[1]["summary"])
    assert [a for a, _, _ in changes] == [
        "case.create", "alert.attach", "summary.draft", "case.update", "case.summary",
        "case.status", "task.add", "task.done", "note.add", "link.add", "link.remove"]
    assert all(e.at.tzinfo is not None for e in rec.events)
    assert rec.tasks[0].done and rec.tasks[0].assignee == "alice"
    assert "## Root cause" in rec.notes[0].body and "## Impact" in rec.notes[0].body
    assert rec.links == ()


def test_bad_input_is_one_line_and_stores_nothing(desk: CaseDesk) -> None:
    bob = desk.viewer("bob", "x")
    case = desk.create(bob, CaseNew("bad input")).id
    for change, pattern in ((CaseChange(priority="urgent"), "priority 'urgent'"),
                            (CaseChange(severity=9), "severity 9"),
                            (CaseChange(title=" "), "title"),
                            (CaseChange(assignee="nobody"), "no account named 'nobody'")):
        with pytest.raises((CaseError, NotFoundError), match=pattern):
            desk.update(bob, case, change)
    with pytest.raises(CaseError, match="TYPE:VALUE"):
        desk.link(bob, case, (LinkView("person", "REP"), LinkView("observable", "oops")))
    with pytest.raises(NotFoundError, match="alert 999"):
        desk.create(bob, CaseNew("ghost alert", alerts=(999,)))
    with desk.store.session() as s:
        rec = record(CaseRepository(s, bob, desk.org), case)
        assert rec.case.title == "bad input" and rec.links == ()
        assert [e.action for e in rec.events] == ["case.create", "summary.draft"]
        assert CaseRepository(s, bob, StaticOrgChart({})).listing()[0][0].id == case


def test_an_alert_belongs_to_one_case(desk: CaseDesk) -> None:
    bob = desk.viewer("bob", "x")
    with desk.store.session() as s:
        alert = add_alert(s, "one-case", ["ACM2278"])
    first = desk.create(bob, CaseNew("first", alerts=(alert,))).id
    with pytest.raises(CaseError, match=f"alert {alert} is in case {first} already"):
        desk.create(bob, CaseNew("second", alerts=(alert,)))
