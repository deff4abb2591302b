"""`watchkeeper cases …` as a person runs it: JSON, one-line refusals, exit codes,
pseudonyms in what it prints and exports, the export's SHA-256 in the audit log."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest

from cases.casework import REAL, add_accounts, add_alert, build_lake
from helpers.cli import run_cli
from watchkeeper.workspace import Workspace


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, timeout=120)


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with the casework lake, accounts and three alerts."""
    root = tmp_path_factory.mktemp("casescli")
    build_lake(root / "build")
    workspace = Workspace.open(root / "ws")
    workspace.ingest([root / "build" / "in" / "hr.csv"], "hr")
    workspace.ingest([root / "build" / "in" / "cert"], "cert")
    with workspace.state.session() as s:
        add_accounts(s)
        add_alert(s, "a1", ["ACM2278"], hosts=["PC-6377"])
        add_alert(s, "a2", ["MGR"])
        add_alert(s, "a3", ["ACM2278"])
    workspace.close_state()
    return root / "ws"


def run(ws: Path, *args: str, who: str = "bob") -> dict[str, object]:
    done = cli("-w", str(ws), "cases", *args, "--as", who, "--json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert isinstance(doc, dict)
    return doc


def refused(ws: Path, *args: str, who: str = "bob") -> str:
    done = cli("-w", str(ws), "cases", *args, "--as", who)
    assert done.returncode == 1 and done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    return lines[0]


def test_a_case_from_open_to_resolved(ws: Path, tmp_path: Path) -> None:
    case = run(ws, "create", "--title", "USB copies [ACM2278]", "--alert", "1",
               "--priority", "high")
    cid = str(case["id"])
    assert case["status"] == "new" and case["severity"] == 4
    assert "ACM2278" not in json.dumps(case)           # the title is pseudonymized
    run(ws, "update", cid, "--status", "in_progress", "--assignee", "lee")
    run(ws, "note", cid, "--template")
    task = run(ws, "task", cid, "Collect the laptop")
    run(ws, "task", cid, "--done", str(task["task"]))
    run(ws, "link", cid, "--observable", "ip:10.0.0.9", "--alert", "3")
    assert "needs a verdict" in refused(ws, "resolve", cid)
    assert "cannot go from in_progress to closed" in refused(ws, "update", cid, "--status",
                                                              "closed")
    shown = run(ws, "show", cid)
    text = json.dumps(shown)
    for token in REAL[:4]:
        assert token.lower() not in text.lower()
    assert shown["timeline"]["counts"]["authentication"] == 6    # type: ignore[index]
    assert [e["action"] for e in shown["events"]][-1] == "alert.attach"  # type: ignore[index]
    done = run(ws, "resolve", cid, "--verdict", "true_positive", "--note", "Confirmed.")
    assert (done["status"], done["verdict"]) == ("resolved", "true_positive")
    listed = run(ws, "list", "--status", "resolved")
    assert [c["id"] for c in listed["items"]] == [case["id"]]  # type: ignore[union-attr]


def test_export_records_its_hash_in_the_audit_log(ws: Path, tmp_path: Path) -> None:
    cid = str(run(ws, "create", "--title", "export me", "--person", "ACM2278")["id"])
    target = tmp_path / "case.ocsf.json"
    done = run(ws, "export", cid, "--format", "ocsf", "-o", str(target))
    content = target.read_bytes()
    assert done["sha256"] == hashlib.sha256(content).hexdigest()
    assert json.loads(content)["class_uid"] == 2005
    assert not any(t.lower() in content.decode().lower() for t in REAL)
    listed = json.loads(cli("-w", str(ws), "audit", "list", "--action", "case.export",
                            "--json").stdout)
    entry = listed["entries"][0]  # newest first
    assert entry["action"] == "case.export" and entry["detail"]["sha256"] == done["sha256"]
    assert cli("-w", str(ws), "audit", "verify").returncode == 0
    assert "format 'pdf'" in refused(ws, "export", cid, "--format", "pdf")


def test_recused_restricted_and_unknown(ws: Path) -> None:
    boss_case = str(run(ws, "create", "--title", "manager", "--alert", "2")["id"])
    line = refused(ws, "show", boss_case, who="alice")
    assert line == (f"error: case {boss_case}: alice is recused: a subject of it is in "
                    "your management chain")
    secret = str(run(ws, "create", "--title", "exec", "--restrict-to", "lee")["id"])
    assert "restricted to named people" in refused(ws, "show", secret, who="alice")
    assert run(ws, "show", secret, who="lee")["access"] == ["bob", "lee"]
    visible = [c["id"] for c in run(ws, "list", who="alice")["items"]]  # type: ignore[union-attr]
    assert int(boss_case) not in visible and int(secret) not in visible
    assert "no account named 'mallory'" in refused(ws, "list", who="mallory")
    assert "case 999: no such case" in refused(ws, "show", "999")
    assert "--severity 'huge'" in refused(ws, "create", "--title", "x", "--severity", "huge")


def test_human_output_escapes_and_fits(ws: Path) -> None:
    cid = str(run(ws, "create", "--title", "[bold]not markup[/bold]")["id"])
    done = cli("-w", str(ws), "cases", "show", cid, "--as", "bob")
    assert done.returncode == 0, done.stderr
    assert "[bold]not markup[/bold]" in done.stdout
    listed = cli("-w", str(ws), "cases", "list", "--as", "bob")
    assert listed.returncode == 0 and all(len(x) <= 80 for x in listed.stdout.splitlines())


def test_reading_a_case_is_audited(ws: Path) -> None:
    cid = str(run(ws, "create", "--title", "read me", "--person", "ACM2278")["id"])
    run(ws, "show", cid)
    listed = json.loads(cli("-w", str(ws), "audit", "list", "--action", "case.read",
                            "--json").stdout)
    entry = listed["entries"][0]
    assert (entry["action"], entry["object_type"], entry["object_id"]) == (
        "case.read", "case", cid)
    assert entry["actor"] == "bob"
