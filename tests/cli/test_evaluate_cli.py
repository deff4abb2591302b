"""`evaluate` on an answer key in CERT's published layout, as a person runs it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from helpers.cert_answers import BAD_TIME, cert_rows, write_cert_answers
from helpers.cli import run_cli

pytestmark = pytest.mark.slow


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, timeout=600)


@pytest.fixture(scope="module")
def analysed(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """A small analysed workspace and a CERT-layout key whose r4.2 insiders are the
    simulation's own two insiders."""
    tmp = tmp_path_factory.mktemp("evaluate")
    sim, ws = tmp / "sim", str(tmp / "ws")
    assert cli("simulate", "--users", "60", "--days", "40", "--seed", "3", "--out",
               str(sim), "--json").returncode == 0
    assert cli("-w", ws, "ingest", "auto", str(sim), "--json").returncode == 0
    done = cli("-w", ws, "analyze", "--json")
    assert done.returncode == 0, done.stderr
    sim_rows = (sim / "answers" / "insiders.csv").read_text("utf-8").splitlines()[1:3]
    users = tuple(line.split(",")[3] for line in sim_rows)
    days = tuple(line.split(",")[4].split(" ")[0] for line in sim_rows)
    assert len(users) == 2
    return ws, write_cert_answers(tmp / "cert", cert_rows((users[0], users[1]),
                                                          (days[0], days[1])))


def test_evaluate_release_warns_on_stderr_and_in_json(analysed: tuple[str, Path]) -> None:
    ws, answers = analysed
    done = cli("-w", ws, "evaluate", "--answers", str(answers), "--dataset", "r4.2",
               "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["incidents"], report["incidents_unknown_user"]) == (2, 0)
    [warning] = report["warnings"]
    assert (warning["line"], warning["dataset"], warning["skipped"]) == \
        (6, "6.2", "other_release")
    lines = done.stderr.strip().splitlines()
    assert lines == [f"warning: {warning['message']}"]
    assert "insiders.csv:6: skipped (release '6.2' is not evaluated): unreadable time" \
        in lines[0] and BAD_TIME in lines[0]


def test_evaluate_whole_key_and_bad_release(analysed: tuple[str, Path]) -> None:
    ws, answers = analysed
    done = cli("-w", ws, "evaluate", "--answers", str(answers))
    assert done.returncode == 0, done.stderr
    assert "incidents: 2 (4 of unknown users left out)" in done.stdout
    assert "is not in the lake" in done.stderr and len(done.stderr.splitlines()) == 1
    bad = cli("-w", ws, "evaluate", "--answers", str(answers), "--dataset", "6.2")
    assert bad.returncode == 1
    assert bad.stderr.strip().splitlines() == [
        f"error: {answers / 'insiders.csv'}:6: unreadable time '{BAD_TIME}'"]
