"""`watchkeeper playbooks list|validate|test|runs` as a person runs them: the shipped
examples valid and passing their golden tests, an error naming file, line and field
with exit 1, a golden test that fails naming what differs, runs as JSON; output
within 80 columns."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from helpers.accounts import new_workspace
from watchkeeper.ops.playbooks.loader import EXAMPLES

GOLDEN = EXAMPLES / "golden"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("WATCHKEEPER_HOME", "WATCHKEEPER_ACCOUNT", "WATCHKEEPER_DATABASE_URL")}
    env["COLUMNS"] = "80"
    return subprocess.run([sys.executable, "-m", "watchkeeper", *args], capture_output=True,
                          text=True, env=env, timeout=120)


def workspace(tmp_path: Path) -> Path:
    ws = new_workspace(tmp_path / "ws")
    ws.close_state()
    config = ws.root / "watchkeeper.toml"
    config.write_text(config.read_text().replace(
        "[playbooks]\n", '[playbooks]\nwebhook_allow = ["https://hooks.example.com/soc/"]\n'))
    (ws.root / "playbooks").mkdir()
    for path in EXAMPLES.glob("*.yml"):
        (ws.root / "playbooks" / path.name).write_text(path.read_text())
    return ws.root


def as_json(*args: str) -> Any:
    done = cli(*args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_shipped_examples_validate_and_list(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    listed = as_json("-w", str(ws), "playbooks", "list")
    assert sorted(p["id"] for p in listed["playbooks"]) == [
        "leaver-exfiltration", "noisy-after-hours", "sla-breach-page", "watchlist-review"]
    assert listed["errors"] == [] and listed["warnings"] == []
    done = cli("-w", str(ws), "playbooks", "validate", "--examples")
    assert done.returncode == 0, done.stderr
    assert "4 playbook(s) valid, 0 error(s)" in done.stdout
    shown = cli("-w", str(ws), "playbooks", "list")
    assert shown.returncode == 0
    assert max(len(line) for line in shown.stdout.splitlines()) <= 80


def test_an_error_names_file_line_and_field(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    (ws / "playbooks" / "bad.yml").write_text(
        "id: bad\ntitle: Bad\ntrigger: {on: alert}\nsteps:\n  - enrich:\n"
        "  - webhook: {url: 'ftp://example.com/x'}\n")
    done = cli("-w", str(ws), "playbooks", "validate")
    assert done.returncode == 1
    [line] = [x for x in done.stderr.splitlines() if x.startswith("error:")]
    assert line.startswith(f"error: {ws / 'playbooks' / 'bad.yml'}:6 steps.1.webhook.url:")
    assert "expected an http or https URL" in line


def test_golden_tests_pass_and_a_difference_is_named(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    passed = as_json("-w", str(ws), "playbooks", "test", "leaver-exfiltration",
                     "--alert", str(GOLDEN / "usb-copy-eu.json"),
                     "--expect", str(GOLDEN / "leaver-exfiltration.expected.yml"))
    assert passed["passed"] and passed["triggered"]
    assert [s["action"] for s in passed["plan"]] == [
        "enrich", "group", "set", "assign", "task", "webhook"]
    quiet = as_json("-w", str(ws), "playbooks", "test", "leaver-exfiltration",
                    "--alert", str(GOLDEN / "usb-copy-us.json"),
                    "--expect", str(GOLDEN / "not-triggered.expected.yml"))
    assert quiet["passed"] and not quiet["triggered"]
    wrong = tmp_path / "wrong.yml"
    wrong.write_text("triggered: true\nactions:\n  - enrich\n  - group\n"
                     "  - set: {severity: high}\n")
    done = cli("-w", str(ws), "playbooks", "test", "leaver-exfiltration",
               "--alert", str(GOLDEN / "usb-copy-eu.json"), "--expect", str(wrong))
    assert done.returncode == 1
    assert "actions[2] set.severity: expected 'high', got 5" in done.stderr
    assert "actions: expected 3, got 6 (assign, task, webhook more)" in done.stderr


def test_runs_are_reported(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    assert as_json("-w", str(ws), "playbooks", "runs") == []
    done = cli("-w", str(ws), "playbooks", "runs", "--status", "lost")
    assert done.returncode == 1
    assert done.stderr.strip() == ("error: --status: 'lost': expected pending, running, "
                                   "succeeded or failed")
