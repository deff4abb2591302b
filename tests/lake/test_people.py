"""People history is a function of the set of observations: never of their order, of
duplicates, or of which of two differing observations of one key arrived first."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.cert_files import HEADERS, write
from watchkeeper.ingest import ingest
from watchkeeper.lake import Lake
from watchkeeper.lake.people import derive_people
from watchkeeper.schema.entities import PEOPLE_OBSERVATIONS
from watchkeeper.sources.base import SourceContext

CTX = SourceContext()
DAY0 = date(2025, 1, 1)


def _day(n: int) -> date:
    return DAY0 + timedelta(days=n)


@st.composite
def observation(draw: st.DrawFn) -> dict[str, Any]:
    """Few users, days and values, so that the same person, day and source often come
    with different content."""
    source = draw(st.sampled_from(["ldap", "hr", "badge"]))
    user = draw(st.sampled_from(["U1", "U2", "U3"]))
    as_of = _day(draw(st.sampled_from([0, 0, 31, 59])))
    text = st.one_of(st.none(), st.sampled_from(["a", "b", ""]))
    when = st.one_of(st.none(), st.sampled_from([-400, 10, 40, 45]).map(_day))
    row: dict[str, Any] = {
        "observation_id": f"{source}:{as_of.isoformat()}:{user}", "source": source,
        "as_of": as_of, "user": user,
        **{k: draw(text) for k in ("name", "email", "department", "team", "role",
                                   "manager", "region", "country")},
        "employment_start": None, "notice_date": None, "end_date": None, "watchlists": None,
    }
    if source != "ldap":
        row.update(employment_start=draw(when), notice_date=draw(when),
                   end_date=draw(when),
                   watchlists=draw(st.one_of(st.none(), st.sampled_from(
                       [[], [""], ["departing"], ["privileged", "departing"]]))))
    return row


def _table(rows: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=PEOPLE_OBSERVATIONS.schema)


@settings(max_examples=300, deadline=None)
@given(rows=st.lists(observation(), min_size=1, max_size=12), data=st.data())
def test_any_order_and_duplicates_give_the_same_table(rows: list[dict[str, Any]],
                                                      data: st.DataObject) -> None:
    expected = derive_people(_table(rows))
    shuffled = data.draw(st.permutations(rows))
    extra = data.draw(st.lists(st.sampled_from(rows), max_size=6))
    assert derive_people(_table(shuffled)).equals(expected)
    assert derive_people(_table([*extra, *shuffled, *extra])).equals(expected)
    keys = list(zip(expected["user"].to_pylist(), expected["valid_from"].to_pylist(),
                    strict=True))
    assert keys == sorted(keys) and len(set(keys)) == len(keys)


def test_same_day_hr_rows_later_content_wins() -> None:
    """Two HR rows of one person and day: the one whose content sorts last is applied
    last, whichever came first."""
    base = {"source": "hr", "as_of": _day(0), "user": "U1", "observation_id": "hr:x:U1",
            "employment_start": _day(-400)}
    older = {**base, "role": "Analyst", "notice_date": None}
    newer = {**base, "role": "Lead", "notice_date": _day(10)}
    for rows in ([older, newer], [newer, older]):
        people = derive_people(_table(rows)).to_pylist()
        assert [(p["role"], p["notice_date"], p["valid_from"]) for p in people] == \
            [("Lead", None, _day(0)), ("Lead", _day(10), _day(10))]


HR_HEADER = ("id,name,email,department,team,role,manager,region,country,hire_date,"
             "notice_date,end_date,watchlists")


def _inputs(tmp: Path) -> dict[str, Path]:
    """An LDAP snapshot and two HR exports (no as_of column: the same observation ids)
    that disagree on a role and a notice date."""
    ldap = [f"Person {i},U{i:03d},u{i}@corp.example,Analyst,1,BU,FU,Dept,Team,"
            for i in range(5)]
    first = [f"U{i:03d},Person {i},,Dept,Team,Analyst,,US,US,2020-01-0{i + 1},,,"
             for i in range(5)]
    second = [*first[:2],
              "U002,Person 2,,Dept,Team,Lead,,US,US,2020-01-03,2025-01-20,2025-02-05,"
              "departing", *first[3:]]
    return {"ldap": write(tmp / "LDAP" / "2025-01.csv", HEADERS["ldap_r4"], ldap),
            "hr1": write(tmp / "hr1.csv", HR_HEADER, first),
            "hr2": write(tmp / "hr2.csv", HR_HEADER, second)}


def _people(lake: Lake) -> list[dict[str, Any]]:
    return lake.table("people").to_pyarrow().to_pylist()  # stored sorted by its key


def _run(lake: Lake, *runs: tuple[str, list[Path]]) -> list[dict[str, Any]]:
    for fmt, paths in runs:
        ingest(lake, paths, fmt, CTX)
    return _people(lake)


def test_ingest_order_and_reingest_leave_people_equal(tmp_path: Path) -> None:
    f = _inputs(tmp_path / "in")
    one = Lake(tmp_path / "one")
    expected = _run(one, ("auto", [f["ldap"], f["hr1"], f["hr2"]]))
    assert _run(one, ("auto", [f["hr2"], f["ldap"], f["hr1"]])) == expected
    assert _run(one, ("cert", [f["ldap"]])) == expected
    assert _run(Lake(tmp_path / "two"), ("hr", [f["hr2"]]), ("cert", [f["ldap"]]),
                ("hr", [f["hr1"]])) == expected
    assert _run(Lake(tmp_path / "three"), ("hr", [f["hr1"]]), ("hr", [f["hr2"]]),
                ("cert", [f["ldap"]])) == expected
    lead = [p for p in expected if p["user"] == "U002"]
    assert lead[0]["role"] == "Lead" and lead[-1]["notice_date"] == _day(19)


def test_differing_observations_are_both_stored(tmp_path: Path) -> None:
    f = _inputs(tmp_path / "in")
    lake = Lake(tmp_path / "lake")
    ingest(lake, [f["hr1"]], "hr", CTX)
    again = ingest(lake, [f["hr1"]], "hr", CTX)
    second = ingest(lake, [f["hr2"]], "hr", CTX)
    assert (again.accepted, again.duplicates) == (0, 5)
    assert (second.accepted, second.duplicates) == (1, 4)
    assert lake.rows("people_observations") == 6
