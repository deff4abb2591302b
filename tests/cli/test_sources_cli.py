"""`evaluate --by-source` and `sources value` on a small simulated workspace that has
only logons, LDAP/HR and email (so a handful of analysis runs)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from helpers.cli import narrow, one_error, run_cli

pytestmark = pytest.mark.slow


def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, timeout=900)


def ok(*args: str | Path) -> object:
    import json

    done = cli(*args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def partial(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("sources")
    sim, chosen = tmp / "sim", tmp / "chosen"
    ok("simulate", "--users", "60", "--days", "40", "--seed", "5", "--out", str(sim))
    chosen.mkdir()
    for name in ("logon.csv", "email.csv", "hr_feed.csv"):
        shutil.copy(sim / name, chosen / name)
    shutil.copytree(sim / "LDAP", chosen / "LDAP")
    ok("-w", str(tmp / "ws"), "ingest", "auto", str(chosen))
    return tmp / "ws", sim / "answers"


def test_by_source_json_runs_and_changes(partial: tuple[Path, Path]) -> None:
    ws, answers = partial
    doc = ok("-w", str(ws), "evaluate", "--answers", str(answers), "--by-source")
    assert isinstance(doc, dict)
    runs = {r["run"]: r for r in doc["runs"]}
    assert doc["base"] == ["logons", "directory"]
    assert list(runs) == [
        "all sources",
        "- logons",
        "- LDAP/HR",
        "- email",
        "base: logons + LDAP/HR",
        "base + email",
    ]
    everything, without = runs["all sources"], runs["- email"]
    assert everything["families"] == ["logons", "directory", "email"]
    assert runs["base + email"]["families"] == ["logons", "directory", "email"]
    # the same families analysed twice give the same figures (nothing is stored between)
    assert runs["base + email"]["metrics"] == everything["metrics"]
    for name, value in without["metrics"].items():
        ref = everything["metrics"][name]
        expected = None if value is None or ref is None else value - ref
        assert without["change"][name] == pytest.approx(expected)
    assert everything["change"] == {} and everything["cpu_seconds"] > 0


def test_by_source_table_and_progress(partial: tuple[Path, Path]) -> None:
    ws, answers = partial
    done = cli("-w", str(ws), "evaluate", "--answers", str(answers), "--by-source")
    text = narrow(done)
    assert text.splitlines()[0].split()[:3] == ["run", "AUC", "AP"]
    assert "base + email" in text and "- LDAP/HR" in text


def test_sources_value_needs_an_analysis_then_shares_add_up(partial: tuple[Path, Path]) -> None:
    ws, _ = partial
    assert "analyze" in one_error(cli("-w", str(ws), "sources", "value"))
    assert cli("-w", str(ws), "analyze", "--json").returncode == 0
    doc = ok("-w", str(ws), "sources", "value")
    assert isinstance(doc, dict)
    families = {r["family"]: r for r in doc["sources"]}
    assert {"logons", "directory", "email"} <= set(families)
    assert families["logons"]["rows"] > 0 and families["directory"]["alert_share"] == 0.0
    if doc["deviating_features"]:
        assert sum(r["deviation_share"] for r in doc["sources"]) == pytest.approx(1.0)
    if doc["alerts"]:
        assert sum(r["alert_share"] for r in doc["sources"]) == pytest.approx(1.0)
    text = narrow(cli("-w", str(ws), "sources", "value"))
    assert "alert evidence" in text and "email" in text
