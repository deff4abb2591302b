"""Mistakes on the command line: one `error:` line, exit code 1, nothing created or changed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers.cert_files import HEADERS, logon_row, write
from helpers.cli import run_cli
from watchkeeper.cli.options import INTERRUPTED


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, timeout=120)


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    write(tmp_path / "cert" / "logon.csv", HEADERS["logon"], [logon_row(i) for i in range(3)])
    done = cli("-w", str(tmp_path / "ws"), "ingest", "cert", str(tmp_path / "cert"), "--json")
    assert done.returncode == 0, done.stderr
    return tmp_path / "ws"


def one_error(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 1, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert "╭" not in done.stderr and "Usage:" not in done.stderr
    return lines[0]


@pytest.mark.parametrize(("args", "says"), [
    (["status", "--jsn"], "watchkeeper status: No such option: --jsn"),
    (["risk", "explain"], "Missing argument"),
    (["risk", "top", "-n", "many"], "'--limit'"),
    (["risk", "top", "-n", "0"], "'--limit'"),
    (["nosuch"], "No such command 'nosuch'"),
    (["status", "-w"], "'-w' requires an argument"),
])
def test_usage_errors_are_one_line_and_exit_1(tmp_path: Path, args: list[str],
                                              says: str) -> None:
    assert says in one_error(cli(*args))


@pytest.mark.parametrize(("args", "option"), [
    (["risk", "explain", "U1", "--day", "2025-02-30"], "--day"),
    (["risk", "top", "--day", "2025-01-0199"], "--day"),
    (["detect", "--since", "2025-13-01"], "--since"),
    (["simulate", "--out", "sim", "--start", "2025-02-29"], "--start"),
])
def test_days_that_do_not_exist_name_the_option(ws: Path, args: list[str],
                                                option: str) -> None:
    line = one_error(cli("-w", str(ws), *args))
    assert f"{option} '{args[args.index(option) + 1]}': not a day" in line


def test_global_options_before_or_after_the_command(ws: Path) -> None:
    after = cli("status", "-w", str(ws), "--json")
    before = cli("--json", "-w", str(ws), "status")
    assert after.returncode == before.returncode == 0, (after.stderr, before.stderr)
    assert json.loads(after.stdout)["events"] == json.loads(before.stdout)["events"] == 3
    debug = cli("status", "--debug", "-w", str(ws / "nope"))
    assert debug.returncode == 1 and "Traceback" in debug.stderr


def test_unknown_rule_is_an_error_with_a_suggestion(ws: Path, tmp_path: Path) -> None:
    answers = tmp_path / "answers"
    answers.mkdir()
    (answers / "insiders.csv").write_text("dataset,scenario,details,user,start,end\n")
    line = one_error(cli("-w", str(ws), "rules", "backtest", "insider.exfil.leak_site_uplod",
                         "--answers", str(answers)))
    assert "insider.exfil.leak_site_uplod" in line
    assert "did you mean insider.exfil.leak_site_upload" in line


@pytest.mark.parametrize("args", [
    ["status"], ["detect"], ["analyze"], ["evaluate", "--answers", "a"], ["risk", "top"],
    ["risk", "explain", "U1"], ["risk", "history"],
    ["rules", "backtest", "insider.exfil.leak_site_upload", "--answers", "a"],
])
def test_a_mistyped_workspace_is_an_error_and_creates_nothing(tmp_path: Path,
                                                              args: list[str]) -> None:
    typo = tmp_path / "wrokspace"
    line = one_error(cli("-w", str(typo), *args))
    assert f"{typo}: no workspace here" in line
    assert not typo.exists()


def test_yaml_errors_name_file_line_and_column(tmp_path: Path) -> None:
    rule = tmp_path / "my.rule.yml"
    rule.write_text("title: x\ndetection:\n  sel: [a, b\n  condition: sel\n")
    done = cli("rules", "validate", str(rule))
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert lines[-1] == "error: no rule can run"
    assert any(f"{rule}:4:12" in line and "not valid YAML" in line for line in lines)


def test_yaml_errors_in_exceptions_name_file_line_and_column(tmp_path: Path) -> None:
    from watchkeeper.detect.allow import load_exceptions
    from watchkeeper.errors import RuleError
    path = tmp_path / "exceptions.yml"
    path.write_text("exceptions:\n  - rules: [a, b\n    until: 2025-01-01\n")
    with pytest.raises(RuleError) as caught:
        load_exceptions(path)
    assert str(caught.value).startswith(f"{path}:3:") and "\n" not in str(caught.value)


def test_brackets_in_file_names_survive(tmp_path: Path) -> None:
    write(tmp_path / "in" / "logon.csv", HEADERS["logon"], [logon_row(0)])
    (tmp_path / "in" / "[red]notes[bold].txt").write_text("hello")
    done = cli("-w", str(tmp_path / "ws"), "ingest", "auto", str(tmp_path / "in"))
    assert done.returncode == 0, done.stderr
    assert "/[red]notes[bold].txt: format not recognized" in done.stdout


def test_ctrl_c_is_one_line_exit_130_and_changes_nothing(tmp_path: Path) -> None:
    """Ctrl-C while the ingest stages its files: exit 130, one line, the lake as before.
    Ctrl-C that lands once the commit has begun is too late by design (the commit
    finishes: exit 0, everything stored); on a loaded machine the staging can end before
    the signal lands, so the scenario is tried again on a fresh workspace, up to 4 times,
    and must be interrupted in time once."""
    sim = tmp_path / "sim"
    assert cli("simulate", "--users", "150", "--days", "40", "--out", str(sim),
               "--json").returncode == 0
    outcomes = []
    for attempt in range(4):
        outcome = _interrupt_ingest(tmp_path / f"ws{attempt}", sim)
        outcomes.append(outcome)
        if outcome == 130:
            break
    assert 130 in outcomes, outcomes


def _interrupt_ingest(ws: Path, sim: Path) -> int:
    assert cli("-w", str(ws), "ingest", "hr", str(sim / "hr_feed.csv")).returncode == 0
    manifest = (ws / "lake" / "manifest.json").read_bytes()
    env = {k: v for k, v in os.environ.items() if k != "WATCHKEEPER_HOME"}
    # a child inherits an ignored SIGINT (pytest-xdist's workers ignore it), and Python
    # then never raises KeyboardInterrupt: give the ingest the default disposition
    job = subprocess.Popen([sys.executable, "-m", "watchkeeper", "-w", str(ws), "ingest",
                            "auto", str(sim)], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, env=env,
                           preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    staging = ws / "lake" / "_staging"

    def staged() -> bool:   # the folder appears once the ingest starts staging
        try:
            return any(p.name != "spill" for p in staging.iterdir())
        except FileNotFoundError:
            return False

    while job.poll() is None and not staged():
        time.sleep(0.02)   # wait until the ingest is staging files, then interrupt it
    job.send_signal(signal.SIGINT)
    _, stderr = job.communicate(timeout=120)
    status = json.loads(cli("-w", str(ws), "status", "--json").stdout)
    if job.returncode == 0:   # too late: the ingest finished, whole
        assert status["events"] > 0
        return 0
    assert job.returncode == 130, stderr
    assert stderr.strip().splitlines() == [f"error: {INTERRUPTED}"]
    assert (ws / "lake" / "manifest.json").read_bytes() == manifest
    assert status["events"] == 0
    return 130
