"""Recusal and restricted cases, on both stores, from the lake's HR history: an analyst
cannot open a case about themselves, their management chain or a direct report (on the
case's day or today), nor a restricted case they are not named on."""

from __future__ import annotations

import datetime as dt

import pytest

from cases.casework import add_accounts, add_alert
from cases.test_case_repository import make_desk
from watchkeeper.cases.repository import CaseChange, CaseFilter
from watchkeeper.cases.service import CaseDesk, CaseNew
from watchkeeper.cases.views import LinkView
from watchkeeper.errors import AccessError, CaseError
from watchkeeper.lake import Lake
from watchkeeper.security.recusal import StaticOrgChart, chain_up, conflicts, recusal_reason
from watchkeeper.store import StateStore

ALERT_DAY = dt.datetime(2010, 1, 4, 9, tzinfo=dt.UTC)


@pytest.fixture
def desk(state: StateStore, hr_lake: Lake) -> CaseDesk:
    with state.session() as s:
        add_accounts(s)
    return make_desk(state, hr_lake)


def case_about(desk: CaseDesk, person: str) -> int:
    """A case bob opens from an alert about `person` on 2010-01-04."""
    with desk.store.session() as s:
        alert = add_alert(s, f"about-{person}", [person], at=ALERT_DAY)
    return desk.create(desk.viewer("bob", "x"), CaseNew(f"about {person}",
                                                        alerts=(alert,))).id


@pytest.mark.parametrize(("subject", "reason"), [
    ("ANA", "you are a subject of it"),
    ("MGR", "in your management chain"),
    ("BOSS", "in your management chain"),
    ("REP", "your direct report"),    # on the case's day (moved to MGR on 2010-02-01)
    ("PEER", "your direct report"),   # today (reports to ANA since 2010-03-01)
])
def test_an_analyst_is_recused_from_self_chain_and_reports(desk: CaseDesk, subject: str,
                                                           reason: str) -> None:
    case = case_about(desk, subject)
    alice = desk.viewer("alice", "x")
    with pytest.raises(AccessError) as refused:
        desk.detail(alice, case)
    message = str(refused.value)
    expected = reason if subject == "ANA" else f"a subject of it is {reason}"
    assert message == f"case {case}: alice is recused: {expected}"
    assert subject not in message
    with pytest.raises(AccessError, match="recused"):
        desk.update(alice, case, CaseChange(status="in_progress"))
    with pytest.raises(CaseError, match=f"case {case}: cannot assign it to alice: .*recused"):
        desk.update(desk.viewer("bob", "x"), case, CaseChange(assignee="alice"))
    assert case not in [c.id for c in desk.listing(alice, CaseFilter()).items]
    assert desk.detail(desk.viewer("bob", "x"), case).case.id == case


def test_an_unrelated_subject_is_open_to_the_analyst(desk: CaseDesk) -> None:
    case = case_about(desk, "ACM2278")   # managed by PEER, a peer of ANA in 2010
    alice = desk.viewer("alice", "x")
    assert desk.detail(alice, case).case.id == case
    assert [c.id for c in desk.listing(alice, CaseFilter()).items] == [case]


def test_linking_a_conflicted_person_or_creating_about_them_is_refused(
        desk: CaseDesk) -> None:
    alice = desk.viewer("alice", "x")
    case = case_about(desk, "ACM2278")
    with pytest.raises(AccessError, match="recused"):
        desk.link(alice, case, (LinkView("person", "MGR"),))
    with pytest.raises(AccessError, match="recused"):
        desk.create(alice, CaseNew("my boss", links=(LinkView("person", "MGR"),)))
    assert [c.id for c in desk.listing(desk.viewer("bob", "x"), CaseFilter()).items] == [case]


def test_a_restricted_case_opens_only_for_the_named(desk: CaseDesk) -> None:
    bob, lee, alice = (desk.viewer(n, "x") for n in ("bob", "lee", "alice"))
    case = desk.create(bob, CaseNew("executive", links=(LinkView("person", "ACM2278"),),
                                    restricted_to=("lee",))).id
    assert desk.detail(lee, case).access == ("bob", "lee")
    with pytest.raises(AccessError, match=f"^case {case}: restricted to named people, and "
                                          "alice is not one of them$"):
        desk.detail(alice, case)
    assert desk.listing(alice, CaseFilter()).items == ()
    with pytest.raises(AccessError, match="only a lead or admin lifts a restriction"):
        desk.update(bob, case, CaseChange(), unrestrict=True)
    desk.update(lee, case, CaseChange(), unrestrict=True)
    assert desk.detail(alice, case).case.restricted is False


def test_auditors_and_services_read_no_case_content(desk: CaseDesk) -> None:
    case = case_about(desk, "ACM2278")
    audrey = desk.viewer("audrey", "x")
    with pytest.raises(AccessError, match="the auditor role reads no case content"):
        desk.detail(audrey, case)
    with pytest.raises(AccessError, match="auditor role"):
        desk.listing(audrey, CaseFilter())


def test_without_accounts_the_local_operator_acts(state: StateStore, hr_lake: Lake) -> None:
    desk = make_desk(state, hr_lake)
    operator = desk.viewer(None, "sam")
    assert (operator.name, operator.role, operator.person) == ("cli:sam", "operator", None)
    case = desk.create(operator, CaseNew("solo"))
    assert desk.detail(operator, case.id).events[0].actor == "cli:sam"


def test_the_chain_walk_survives_cycles_and_missing_managers() -> None:
    managers = {"A": "B", "B": "C", "C": "A", "D": None}
    assert chain_up("A", managers) == ["B", "C"]
    assert chain_up("D", managers) == [] and chain_up("Z", managers) == []
    assert conflicts("B", managers) == {"A", "B", "C"}
    assert recusal_reason("D", ["A", "B"], managers) is None
    assert StaticOrgChart(managers).managers(dt.date(2020, 1, 1)) is managers
