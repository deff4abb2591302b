"""`watchkeeper alerts ...` as a person runs it: import, list, show, group, suppress,
sync after detect, and one-line errors that store nothing."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest

from helpers.cli import cli, ok, one_error
from watchkeeper.config import DEFAULT_CONFIG
from watchkeeper.schema.events import class_spec
from watchkeeper.workspace import Workspace

FIXTURES = Path(__file__).parents[1] / "cases" / "fixtures"
VENDOR_FILES = [FIXTURES / n for n in ("sentinel_incidents_list.json",
                                       "ocsf_detection_finding.json", "elastic_alert.json",
                                       "splunk_webhook_usb.json")]


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    path = tmp_path / "ws"
    path.mkdir(mode=0o700)
    (path / "watchkeeper.toml").write_text(DEFAULT_CONFIG)
    return path


def test_import_is_idempotent_and_lists(ws: Path) -> None:
    first = ok("-w", ws, "alerts", "import", *VENDOR_FILES)
    assert (first["received"], first["new"], first["duplicates"]) == (5, 5, 0)
    again = ok("-w", ws, "alerts", "import", *VENDOR_FILES)
    assert (again["new"], again["updated"], again["duplicates"]) == (0, 0, 5)
    assert again["alert_ids"] == first["alert_ids"]
    listed = ok("-w", ws, "alerts", "list", "--source", "sentinel")
    assert listed["total"] == 2 and {a["source"] for a in listed["items"]} == {"sentinel"}
    high = ok("-w", ws, "alerts", "list", "--severity", "high", "--sort", "time")
    assert [a["severity_name"] for a in high["items"]] == ["high"] * high["total"]
    shown = ok("-w", ws, "alerts", "show", str(first["alert_ids"][0]))
    assert shown["duplicates"] == 1 and shown["raw"]
    human = cli("-w", ws, "alerts", "list")
    assert human.returncode == 0 and "Alerts (5 of 5)" in human.stdout
    assert max(len(line) for line in human.stdout.splitlines()) <= 80


def test_a_bad_file_stores_nothing_of_the_import(ws: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"class_uid": 2004, "finding_info": {"uid": "x"}, "severity_id": 9}\n')
    line = one_error(cli("-w", ws, "alerts", "import", VENDOR_FILES[0], bad))
    assert line == f"error: {bad}: finding_info.title: missing"
    assert ok("-w", ws, "alerts", "list")["total"] == 0


def test_paging_by_cursor(ws: Path) -> None:
    ok("-w", ws, "alerts", "import", *VENDOR_FILES)
    seen: list[int] = []
    cursor: list[str] = []
    while True:
        page = ok("-w", ws, "alerts", "list", "--limit", "2", *cursor)
        seen += [a["id"] for a in page["items"]]
        if page["next_cursor"] is None:
            break
        cursor = ["--cursor", page["next_cursor"]]
    assert sorted(seen) == sorted(set(seen)) and len(seen) == 5


def test_grouping_rules_and_suppressions(ws: Path) -> None:
    rule = ok("-w", ws, "alerts", "group-rule", "add", "per-rule", "--key", "rule",
              "--window", "1d")
    assert (rule["keys"], rule["window_seconds"]) == (["rule"], 86400)
    until = (date.today() + timedelta(days=30)).isoformat()
    sup = ok("-w", ws, "alerts", "suppress", "--source", "splunk", "--reason", "pilot",
             "--owner", "lead", "--expires", until)
    result = ok("-w", ws, "alerts", "import", *VENDOR_FILES)
    assert result["suppressed"] == 1
    suppressed = ok("-w", ws, "alerts", "list", "--status", "suppressed")
    # ours, and a Sentinel incident its source closed as a false positive
    assert {(a["source"], a["suppressed_by"]) for a in suppressed["items"]} == {
        ("splunk", sup["id"]), ("sentinel", None)}
    assert ok("-w", ws, "alerts", "suppressions")[0]["alerts"] == 1
    assert ok("-w", ws, "alerts", "lift", str(sup["id"]))["active"] is False
    assert ok("-w", ws, "alerts", "suppressions") == []
    rules = ok("-w", ws, "alerts", "group-rule", "list")
    assert rules[0]["alerts"] == 4   # one Sentinel incident names no rule
    ok("-w", ws, "alerts", "group-rule", "remove", "per-rule")
    line = one_error(cli("-w", ws, "alerts", "group-rule", "remove", "per-rule"))
    assert "grouping rule 'per-rule': no such rule" in line


@pytest.mark.parametrize(("args", "message"), [
    (["list", "--severity", "huge"], "--severity 'huge': expected one of"),
    (["list", "--status", "open"], "--status 'open': expected one of"),
    (["list", "--since", "2024-13-01"], "--since '2024-13-01': not a day"),
    (["list", "--person", "[bold]P-1"], None),
    (["show", "77"], "alert 77: no such alert"),
    (["group-rule", "add", "x", "--key", "rule", "--window", "5x"], "--window '5x'"),
    (["suppress", "--rule", "r", "--reason", "x", "--owner", "o", "--expires",
      "2001-01-01"], "--expires: it would end 2001-01-02 00:00 UTC, already past"),
    (["import", "nope.json"], "nope.json: No such file"),
])
def test_errors_are_one_line(ws: Path, args: list[str], message: str | None) -> None:
    done = cli("-w", ws, "alerts", *args)
    if message is None:   # an unknown pseudonym matches nobody; markup survives
        assert done.returncode == 0 and "no alerts match" in done.stdout
        return
    assert message in one_error(done)


def seed_lake(ws: Path) -> None:
    lake = Workspace.open(ws).lake
    start = datetime(2025, 1, 6, 10, tzinfo=UTC)
    rows = [{"event_id": f"w{i}", "time": start + timedelta(hours=i), "source": "test",
             "class": "web", "activity": "upload", "user": "U1", "host": "PC-1",
             "domain": "wikileaks.org"} for i in range(3)]
    with lake.transaction("ingest") as txn:
        txn.stage("web", pa.Table.from_pylist(rows, schema=class_spec("web").schema), 0)
        txn.commit({})


def test_detect_queues_its_findings_or_says_it_could_not(ws: Path) -> None:
    seed_lake(ws)
    down = cli("-w", ws, "detect", "--database-url",
               "postgresql+psycopg://nobody@127.0.0.1:9/none")
    line = one_error(down)
    assert "detect stored its results, but their alerts are not queued" in line
    assert "watchkeeper alerts sync" in line
    assert not (ws / "state.db").exists()
    again = cli("-w", ws, "detect", "--since", "all")   # stores nothing new, queues all
    assert again.returncode == 0, again.stderr
    assert re.search(r"Queued [1-9][0-9]* new and 0 changed alert\(s\)", again.stdout)
    synced = ok("-w", ws, "alerts", "sync")
    assert (synced["findings"], synced["intake"]["received"]) == (0, 0)
    found = ok("-w", ws, "alerts", "list", "--rule", "insider.exfil.leak_site_upload")
    assert found["total"] == 3
    assert all(a["subjects"] and a["subjects"][0].startswith("P-") for a in found["items"])
