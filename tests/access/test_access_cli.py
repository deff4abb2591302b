"""`watchkeeper access detect-violations|violations`, `holds add|list|release` and
`lake purge --expired` as a person runs them: JSON, 80 columns, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ueba.lakes import ev, make_lake, person
from watchkeeper.workspace import Workspace

pytestmark = pytest.mark.slow


def cli(ws: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("WATCHKEEPER_HOME", "WATCHKEEPER_DATABASE_URL", "WATCHKEEPER_ACCOUNT")}
    env["COLUMNS"] = "80"
    return subprocess.run([sys.executable, "-m", "watchkeeper", "-w", str(ws), *args],
                          capture_output=True, text=True, env=env, timeout=300)


def ok(ws: Path, *args: str) -> Any:
    done = cli(ws, *args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _workspace(root: Path) -> Path:
    ws = root / "ws"
    Workspace.open(ws).lake.close()
    t = datetime(2025, 1, 6, 10)
    events = [ev("datastore", "amy", t + timedelta(days=d), "export", dataset="p_eu",
                 data_region="EU", record_count=9000, region="US", sensitivity="restricted")
              for d in range(40)]
    make_lake(ws / "lake", events, [person("amy", "US")])
    (ws / "watchkeeper.toml").write_text("[retention]\ndefault_days = 10\n", "utf-8")
    return ws


def test_violations_holds_and_purge(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    run = ok(ws, "access", "detect-violations")
    assert run["counts"]["cross_region"] == 40 and run["stored"] == 40
    assert ok(ws, "access", "detect-violations")["stored"] == 0
    listed = ok(ws, "access", "violations", "--kind", "cross_region", "--limit", "0")
    assert len(listed) == 40 and listed[0]["day"] == "2025-02-14"
    shown = cli(ws, "access", "violations")
    assert shown.returncode == 0 and max(map(len, shown.stdout.splitlines())) <= 80
    hold = ok(ws, "holds", "add", "amy", "--since", "2025-01-10", "--until", "2025-01-12",
              "--reason", "case 12")
    assert ok(ws, "holds", "list")[0]["id"] == hold["id"]
    dry = ok(ws, "lake", "purge", "--expired", "--dry-run")
    # three days of events, and of the violations found on them (findings are events)
    assert dry["commit"] is None and dry["rows_held"] == 6
    done = ok(ws, "lake", "purge", "--expired")
    assert done["rows_removed"] == dry["rows_removed"] > 0 and done["commit"]
    assert ok(ws, "holds", "release", str(hold["id"]))["active"] is False
    bad = cli(ws, "holds", "add", "amy", "--since", "2025-02-01", "--until", "2025-01-01",
              "--reason", "x")
    assert bad.returncode == 1 and bad.stderr.strip().splitlines()[-1].startswith("error:")
    assert "until" in bad.stderr
    assert cli(ws, "lake", "purge").returncode == 1


def test_one_violation_resolved_and_a_case_held(tmp_path: Path) -> None:
    from watchkeeper.cases.queue import AlertQuery
    from watchkeeper.cases.service import CaseNew
    ws = _workspace(tmp_path)
    ok(ws, "access", "detect-violations")
    ident = ok(ws, "access", "violations", "--limit", "1")[0]["id"]
    shown = cli(ws, "access", "violation", ident)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert max(map(len, lines)) <= 80 and lines[0] == f"Violation {ident} (open)"
    assert "Alert: not queued yet" in shown.stdout and "not analysed yet" in shown.stdout
    trace = ok(ws, "access", "violation", ident)
    assert [e["operation"] for e in trace["events"]] == ["export"]
    assert trace["events"][0]["records"] == 9000 and trace["state"] == "open"
    done = ok(ws, "access", "resolve-violation", ident, "--resolution", "remediated",
              "--note", "export deleted")
    assert done["state"] == "resolved" and done["resolution"]["resolution"] == "remediated"
    again = cli(ws, "access", "resolve-violation", ident, "--resolution", "authorized",
                "--note", "x")
    assert again.returncode == 1 and "resolved already" in again.stderr
    bad = cli(ws, "access", "resolve-violation", ident, "--resolution", "forgiven",
              "--note", "x")
    assert bad.returncode == 1 and "resolution: 'forgiven'" in bad.stderr
    # a case about amy's first two violations: a hold from the first one's day
    w = Workspace.open(ws)
    w.alerts_sync()
    alerts = sorted(w.alerts_list(AlertQuery()).items, key=lambda a: a.event_time)[:2]
    case = w.case_create(w.case_viewer(), CaseNew("amy", alerts=tuple(a.id for a in alerts)))
    w.close_state()
    held = ok(ws, "holds", "case", str(case.id), "--reason", "litigation")
    assert [(h["person"], h["since"], h["until"], h["case_ref"]) for h in held] == \
        [("amy", "2025-01-06", None, str(case.id))]
    missing = cli(ws, "holds", "case", str(case.id + 1), "--reason", "x")
    assert missing.returncode == 1 and missing.stderr.strip().startswith("error:")
