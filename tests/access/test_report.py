"""The transparency report on both stores: golden counts per region pair from events,
decisions, requests, grants and violations of a period; CSV, JSON and an offline HTML
page with its chart; no person named anywhere."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from sqlalchemy import update

from access.conftest import NOW, PEOPLE, World
from access.test_grants import ask
from ueba.lakes import ev
from watchkeeper.access.report_render import chart, to_csv
from watchkeeper.ops.period import Period
from watchkeeper.schema import CLASSES, EventClass
from watchkeeper.store.models import Alert


def store_events(w: World, rows: list[tuple[str, str, str]]) -> None:
    events = [
        ev(
            "datastore",
            user,
            (NOW + timedelta(minutes=i)).replace(tzinfo=None),
            activity,
            dataset=dataset,
            data_region=dataset[:2].upper(),
            sensitivity="high",
            record_count=1,
        )
        for i, (user, activity, dataset) in enumerate(rows)
    ]
    with w.ws.lake.transaction("t") as txn:
        txn.stage(
            "datastore",
            pa.Table.from_pylist(events, schema=CLASSES[EventClass("datastore")].schema),
            0,
        )
        txn.commit({})


def approve(w: World, ident: int, *approvers: str) -> None:
    for a in approvers:
        w.ws.access_approve(ident, approver=a, actor="cli:t")


def populate(w: World) -> str:
    """One month of access governance; returns the id of the violation resolved."""
    cross = ask(w, "ana", "us-users", action="read", duration="7d")
    approve(w, cross, "leo", "ron")
    short = ask(w, "ana", "eu-users", action="export", duration="1h")
    approve(w, short, "leo")
    denied = ask(w, "kim", "us-users", action="read")
    w.ws.access_deny(denied, approver="leo", reason="no ticket", actor="cli:t")
    ask(w, "sam", "eu-users", action="read", purpose="investigation")  # stays pending
    for _ in range(2):
        w.ws.authorize("ana", "read", "us-users", purpose="customer-support", caller="s")
    w.ws.authorize("kim", "read", "us-users", purpose="investigation", caller="s")
    w.ws.authorize("sam", "read", "us-users", caller="s")
    store_events(
        w,
        [
            ("ana", "read", "us-users"),
            ("ana", "read", "eu-users"),
            ("kim", "read", "us-users"),
            ("sam", "read", "us-users"),
            ("sam", "query", "us-users"),
        ],
    )
    w.clock.advance(timedelta(hours=2))  # the export grant ran out
    run = w.ws.violations_detect(first=NOW.date(), last=NOW.date())
    w.ws.alerts_sync()
    kim = [v for v in run.found if v.user == "kim" and v.kind == "cross_region"]
    with w.ws.state.writing() as session:
        session.execute(
            update(Alert).where(Alert.source_ref == kim[0].id).values(status="resolved")
        )
    return kim[0].id


def test_counts_by_region_pair_are_golden(world: World) -> None:
    populate(world)
    report = world.ws.access_report(Period.parse("2026-06"))
    doc = asdict(report)
    assert (doc["period"], doc["cross_region_employees"]) == ("2026-06", 2)
    assert doc["start"].isoformat() == "2026-06-01T00:00:00+00:00"
    pairs = {
        (p["from_region"], p["to_region"]): {
            k: v for k, v in p.items() if v and k not in ("from_region", "to_region")
        }
        for p in doc["pairs"]
    }
    # no_grant: ana's read of eu-users (EU-EU; no decision asked), kim's of us-users
    # (EU-US), sam's query of us-users (US-US; the decision allowed a read)
    assert pairs == {
        ("EU", "EU"): {
            "employees": 1,
            "events": 1,
            "requests": 1,
            "approved": 1,
            "grants_expired": 1,
            "violations": 1,
        },
        ("EU", "US"): {
            "cross_region": True,
            "employees": 2,
            "events": 2,
            "decided_employees": 1,
            "allowed": 2,
            "denied": 1,
            "requests": 2,
            "approved": 1,
            "requests_denied": 1,
            "violations": 2,
            "violations_resolved": 1,
        },
        ("US", "EU"): {"cross_region": True, "requests": 1, "pending": 1},
        ("US", "US"): {
            "employees": 1,
            "events": 2,
            "decided_employees": 1,
            "allowed": 1,
            "violations": 1,
        },
    }
    assert [
        (q.from_region, q.to_region, q.purpose, q.decisions, q.employees, q.grants)
        for q in report.purposes
    ] == [
        ("EU", "EU", "customer-support", 0, 0, 1),
        ("EU", "US", "customer-support", 2, 1, 1),
        ("US", "US", "none", 1, 1, 0),
    ]
    assert [(k.kind, k.found, k.resolved) for k in report.violations] == [
        ("cross_region", 1, 1),
        ("no_grant", 3, 0),
    ]


def test_a_period_outside_counts_nothing(world: World) -> None:
    populate(world)
    report = world.ws.access_report(Period.parse("2026-05"))
    assert (report.cross_region_employees, report.pairs, report.purposes, report.violations) == (
        0,
        (),
        (),
        (),
    )
    assert report.end is not None and report.end.isoformat() == "2026-06-01T00:00:00+00:00"


def _secrets(w: World) -> tuple[list[str], list[str]]:
    names = w.ws.pseudonymizer()
    ids = sorted({p[0] for p in PEOPLE})
    return ids, [names.pseudonym(i) for i in ids]


def test_no_person_is_named_in_json_csv_or_html(world: World, tmp_path: Path) -> None:
    populate(world)
    report = world.ws.access_report(Period.parse("2026-Q2"))
    page, table = tmp_path / "r.html", tmp_path / "r.csv"
    assert world.ws.access_report_write(report, html=page, csv=table) == (page, table)
    text = page.read_text("utf-8")
    own = re.sub(r"<script>.*?</script>", "", text, flags=re.S)  # minus vendored JS
    words = set(
        re.findall(
            r"[\w.-]+", json.dumps(asdict(report), default=str) + table.read_text("utf-8") + own
        )
    )
    ids, pseudonyms = _secrets(world)
    assert not words & {*ids, *pseudonyms}
    assert not [p for p in pseudonyms if p in text]  # nor anywhere in the vendored JS


def test_html_works_offline_with_the_chart_inline(world: World, tmp_path: Path) -> None:
    populate(world)
    report = world.ws.access_report(Period.parse("2026-06"))
    page = tmp_path / "r.html"
    world.ws.access_report_write(report, html=page)
    text = page.read_text("utf-8")
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", text)
    assert text.count("<script>") == 4 and "vegaEmbed(" in text
    spec = json.loads(
        re.search(r'<script type="application/json" id="spec">(.*?)</script>', text, re.S)[
            1
        ].replace("<\\/", "</")
    )
    assert spec == json.loads(json.dumps(chart(report)))
    assert {"pair": "EU -> US", "measure": "violations", "count": 2} in spec["data"]["values"]


def test_csv_is_one_figure_a_row(world: World) -> None:
    populate(world)
    rows = list(
        csv.DictReader(io.StringIO(to_csv(world.ws.access_report(Period.parse("2026-06")))))
    )
    got: dict[tuple[str, str, str, str, str], Any] = {
        (r["section"], r["from_region"], r["to_region"], r["key"], r["measure"]): r["value"]
        for r in rows
    }
    assert got[("pair", "EU", "US", "", "employees")] == "2"
    assert got[("purpose", "EU", "US", "customer-support", "decisions")] == "2"
    assert got[("violations", "", "", "cross_region", "resolved")] == "1"


@pytest.mark.parametrize("text", ["2026-13", "yesterday", "2026-06..2026-05"])
def test_a_bad_period_is_named(text: str) -> None:
    from watchkeeper.ops.period import PeriodError

    with pytest.raises(PeriodError, match="--period"):
        Period.parse(text, "--period")


def test_people_are_placed_by_the_region_hr_had_for_them_that_day() -> None:
    from datetime import date

    from watchkeeper.access.report import Regions

    regions = Regions(
        [
            {
                "user": "eve",
                "valid_from": date(2020, 1, 1),
                "valid_to": date(2026, 6, 3),
                "region": "eu",
            },
            {"user": "eve", "valid_from": date(2026, 6, 3), "valid_to": None, "region": "US"},
            {"user": "nil", "valid_from": date(2020, 1, 1), "valid_to": None, "region": None},
        ]
    )
    assert regions.on("eve", date(2019, 5, 1)) == "EU"  # before HR knew her: where she began
    assert regions.on("eve", date(2026, 6, 2)) == "EU"
    assert regions.on("eve", date(2026, 6, 3)) == "US"
    assert (regions.on("nil", date(2026, 1, 1)), regions.on("who", date(2026, 1, 1))) == (
        "unknown",
        "unknown",
    )
