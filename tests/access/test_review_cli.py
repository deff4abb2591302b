"""`watchkeeper access entitlements|review …|report` as a person runs them: JSON,
80 columns, one-line errors, Example lines in every --help, report files written."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from access.conftest import make_world
from access.test_report import populate
from helpers.cli import cli, narrow, ok, one_error

pytestmark = pytest.mark.slow


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    made = make_world(tmp_path, None)
    populate(made)
    made.ws.close_state()
    made.ws.lake.close()
    return made.ws.root


def test_every_new_command_has_examples() -> None:
    for args in (
        ("entitlements",),
        ("unused-grants",),
        ("report",),
        ("review",),
        ("review", "start"),
        ("review", "list"),
        ("review", "show"),
        ("review", "decide"),
        ("review", "close"),
    ):
        done = cli("access", *args, "--help")
        assert done.returncode == 0 and "Example:" in done.stdout, (args, done.stdout)


def test_entitlements_and_a_campaign(ws: Path) -> None:
    view = ok("-w", ws, "access", "entitlements")
    # as of today (the real clock): kim has left, eve moved to the US
    assert {(e["principal"], e["resource"]) for e in view["entitlements"]} == {
        ("ana", "eu-users"),
        ("eve", "us-users"),
        ("sam", "us-users"),
    }
    narrow(cli("-w", ws, "access", "entitlements"))
    # the 1-hour export grant of ana was never used; her cross-region read was
    (unused,) = ok("-w", ws, "access", "unused-grants", "--period", "2026-06")
    assert (unused["principal"], unused["action"]) == ("ana", "export")
    assert "ana" in narrow(cli("-w", ws, "access", "unused-grants"))
    assert "same-region-read" in narrow(cli("-w", ws, "access", "entitlements", "--for", "ana"))
    made = ok("-w", ws, "access", "review", "start", "Q4", "--region", "US")
    rid = str(made["id"])
    assert made["items"] == 2 and made["scope"] == "all region=US"
    items = {
        i["principal"]: str(i["id"]) for i in ok("-w", ws, "access", "review", "show", rid)["items"]
    }
    assert "may not review their own" in one_error(
        cli("-w", ws, "access", "review", "decide", rid, items["sam"], "keep", "--as", "sam")
    )
    assert "1 to 2000 characters" in one_error(
        cli("-w", ws, "access", "review", "decide", rid, items["sam"], "revoke", "--as", "ron")
    )
    kept = ok("-w", ws, "access", "review", "decide", rid, items["sam"], "keep", "--as", "ron")
    assert (kept["outcome"], kept["reviewer"]) == ("keep", "ron")
    assert "1 item(s) not reviewed yet" in one_error(
        cli("-w", ws, "access", "review", "close", rid)
    )
    narrow(cli("-w", ws, "access", "review", "show", rid, "--pending"))
    ok(
        "-w",
        ws,
        "access",
        "review",
        "decide",
        rid,
        items["eve"],
        "revoke",
        "--as",
        "ron",
        "--reason",
        "moved",
    )
    assert ok("-w", ws, "access", "review", "close", rid)["status"] == "closed"
    assert "closed" in narrow(cli("-w", ws, "access", "review", "list"))


def test_report_writes_json_csv_and_html(ws: Path, tmp_path: Path) -> None:
    page, table = tmp_path / "r.html", tmp_path / "r.csv"
    doc = ok("-w", ws, "access", "report", "--period", "2026-06", "--html", page, "--csv", table)
    assert doc["cross_region_employees"] == 2 and len(doc["pairs"]) == 4
    assert "vegaEmbed(" in page.read_text("utf-8")
    rows = list(csv.DictReader(table.open()))
    assert {r["section"] for r in rows} == {"pair", "purpose", "violations"}
    shown = narrow(cli("-w", ws, "access", "report", "--period", "2026-Q2"))
    assert "2 employee(s) reached another region's" in shown
    assert "--period: '2026-13': not a period" in one_error(
        cli("-w", ws, "access", "report", "--period", "2026-13")
    )
    missing = tmp_path / "no" / "such" / "r.html"
    assert str(missing) in one_error(
        cli("-w", ws, "access", "report", "--period", "2026-06", "--html", missing)
    )
