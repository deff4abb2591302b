"""Region scope on cases, on both stores: a case has the regions of its alerts, and a
viewer sees it only when their teams see every one of them (a case without regioned
alerts is unregioned). The SQL of the list and the check on opening agree; putting an
alert from outside one's regions into a case is refused as if it did not exist."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import combinations
from pathlib import Path

import pytest
from sqlalchemy import select

from cases.casework import add_accounts, add_alert
from cases.test_case_repository import make_desk
from helpers.accounts import store_audit
from watchkeeper.cases.repository import CaseChange, CaseFilter
from watchkeeper.cases.service import CaseDesk, CaseNew
from watchkeeper.cases.views import LinkView
from watchkeeper.errors import AccessError, CaseError, NotFoundError
from watchkeeper.lake import Lake
from watchkeeper.security import AuditLog, MemoryAuditStore
from watchkeeper.security.accounts import Accounts
from watchkeeper.security.principals import bound
from watchkeeper.security.roles import EVERYWHERE, NOTHING, Scope
from watchkeeper.store import StateStore
from watchkeeper.store.models import Alert, Case

REGIONS: tuple[str | None, ...] = (None, "eu", "EU ", "us", "")
SCOPES = {
    "nothing": NOTHING,
    "everywhere": EVERYWHERE,
    "eu": Scope(True, False, frozenset({"eu"}), True),
    "eu+us": Scope(True, False, frozenset({"eu", "us"}), True),
    "no team": Scope(True, False, frozenset(), False),
    "eu, no unregioned": Scope(True, False, frozenset({"eu"}), False),
}


@pytest.fixture
def desk(state: StateStore, hr_lake: Lake) -> CaseDesk:
    """The casework accounts (alice, bob, lee in soc-eu), uma in soc-us, gus in a team
    that sees every region, nora in no team."""
    with state.session() as s:
        add_accounts(s)
        accounts = Accounts.over(bound(s), store_audit(state))
        accounts.teams.add("soc-us", ["us"])
        accounts.teams.add("global", ["*"])
        accounts.users.add("uma", "analyst", ["soc-us"])
        accounts.users.add("gus", "analyst", ["global"])
        accounts.users.add("nora", "analyst")
    return make_desk(state, hr_lake)


def alert_in(desk: CaseDesk, ref: str, region: str | None) -> int:
    with desk.store.session() as s:
        return add_alert(s, ref, ["ACM2278"], region=region)


def listed(desk: CaseDesk, who: str) -> set[int]:
    return {c.id for c in desk.listing(desk.viewer(who, "x"), CaseFilter()).items}


def test_a_case_is_seen_by_whoever_sees_all_its_regions(desk: CaseDesk) -> None:
    gus = desk.viewer("gus", "x")
    eu = desk.create(gus, CaseNew("eu", alerts=(alert_in(desk, "eu", "EU"),))).id
    us = desk.create(gus, CaseNew("us", alerts=(alert_in(desk, "us", "us"),))).id
    both = desk.create(gus, CaseNew("both", alerts=(alert_in(desk, "b1", "eu"),
                                                    alert_in(desk, "b2", "us")))).id
    plain = desk.create(gus, CaseNew("plain", alerts=(alert_in(desk, "p", None),))).id
    empty = desk.create(gus, CaseNew("no alerts")).id
    assert listed(desk, "bob") == {eu, plain, empty}
    assert listed(desk, "uma") == {us, plain, empty}
    assert listed(desk, "gus") == {eu, us, both, plain, empty}
    assert listed(desk, "nora") == set()
    bob = desk.viewer("bob", "x")
    assert desk.detail(bob, eu).case.id == eu
    for case in (us, both):
        with pytest.raises(AccessError) as refused:
            desk.detail(bob, case)
        message = str(refused.value)
        assert message == (f"case {case}: it holds alerts of a region outside those "
                           "bob's teams see")
        assert "us" not in message.replace("bob's", "")   # never names the region
    with pytest.raises(AccessError, match=rf"^case {plain}: nora is in no team"):
        desk.detail(desk.viewer("nora", "x"), plain)


def test_every_job_on_an_out_of_scope_case_is_refused(desk: CaseDesk,
                                                      tmp_path: Path) -> None:
    uma, bob = desk.viewer("uma", "x"), desk.viewer("bob", "x")
    case = desk.create(uma, CaseNew("us only", alerts=(alert_in(desk, "u", "us"),))).id
    log = AuditLog(MemoryAuditStore(), b"k" * 32)
    jobs = {
        "update": lambda: desk.update(bob, case, CaseChange(status="in_progress")),
        "note": lambda: desk.note(bob, case, "a note"),
        "task": lambda: desk.task(bob, case, "a task"),
        "link": lambda: desk.link(bob, case, (LinkView("host", "PC-1"),)),
        "resolve": lambda: desk.resolve(bob, case, "benign"),
        "export": lambda: desk.export(bob, case, "json", tmp_path / "x.json", log),
    }
    for job in jobs.values():
        with pytest.raises(AccessError, match=f"^case {case}: it holds alerts of a region"):
            job()
    assert not (tmp_path / "x.json").exists() and list(log.store.entries()) == []
    with pytest.raises(CaseError, match=f"case {case}: cannot assign it to bob: it holds"):
        desk.update(uma, case, CaseChange(assignee="bob"))
    detail = desk.detail(uma, case)
    assert detail.case.status == "new" and detail.notes == () and detail.tasks == ()


def test_an_alert_from_outside_ones_regions_cannot_enter_a_case(desk: CaseDesk) -> None:
    bob = desk.viewer("bob", "x")
    theirs = alert_in(desk, "theirs", "us")
    case = desk.create(bob, CaseNew("eu", alerts=(alert_in(desk, "ours", "eu"),))).id
    with pytest.raises(NotFoundError, match=f"^alert {theirs}: no such alert$"):
        desk.link(bob, case, (), (theirs,))
    with pytest.raises(NotFoundError, match=f"^alert {theirs}: no such alert$"):
        desk.create(bob, CaseNew("sneaky", alerts=(theirs,)))
    with desk.store.session() as s:
        assert s.get(Alert, theirs).case_id is None    # type: ignore[union-attr]
        assert s.scalars(select(Case.title)).all() == ["eu"]
    assert len(desk.detail(bob, case).alerts) == 1


Made = dict[int, tuple[str | None, ...]]


@pytest.fixture
def cases_by_regions(state: StateStore) -> Iterator[Made]:
    """One case per combination of up to three alert regions (blank, case and spaces
    included), and one without alerts."""
    made: Made = {}
    with state.session() as s:
        for size in range(4):
            for regions in combinations(REGIONS, size):
                case = Case(title=repr(regions), status="new", severity=3, summary="")
                s.add(case)
                s.flush()
                for i, region in enumerate(regions):
                    ident = add_alert(s, f"{case.id}-{i}", ["X"], region=region)
                    s.get_one(Alert, ident).case_id = case.id
                made[case.id] = regions
    yield made


@pytest.mark.parametrize("name", sorted(SCOPES))
def test_the_sql_condition_agrees_with_the_check(state: StateStore, name: str,
                                                 cases_by_regions: Made) -> None:
    seen = SCOPES[name]
    with state.session() as s:
        found = set(s.scalars(select(Case.id).where(
            seen.covers_clause(Alert.region, Alert.case_id == Case.id))))
    expected = {case for case, regions in cases_by_regions.items() if seen.covers(regions)}
    assert found == expected
    assert len(cases_by_regions) == 26
