"""`analyze`, `risk top|explain|history` and `evaluate` as a person runs them."""

from __future__ import annotations

import csv
import json
import subprocess
from pathlib import Path

import pytest

from helpers.cli import run_cli

pytestmark = pytest.mark.slow


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, timeout=600)


@pytest.fixture(scope="module")
def analysed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("analyze")
    sim, ws = tmp / "sim", str(tmp / "ws")
    assert cli("simulate", "--users", "120", "--days", "45", "--seed", "3", "--out",
               str(sim), "--json").returncode == 0
    assert cli("-w", ws, "ingest", "auto", str(sim), "--json").returncode == 0
    assert cli("-w", ws, "detect", "--json").returncode == 0
    done = cli("-w", ws, "analyze", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["people"] >= 100 and not report["incremental"]
    assert report["top"] and report["top"][0]["rank"] == 1
    return tmp / "ws", sim / "answers"


def test_risk_top_json(analysed: tuple[Path, Path]) -> None:
    ws, _ = analysed
    rows = json.loads(cli("-w", str(ws), "risk", "top", "--limit", "5", "--json").stdout)
    assert [r["rank"] for r in rows] == [1, 2, 3, 4, 5]
    assert all({"user", "score", "rank"} <= set(r) for r in rows)
    assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)


def test_explain_names_sources(analysed: tuple[Path, Path]) -> None:
    ws, _ = analysed
    first = json.loads(cli("-w", str(ws), "risk", "top", "--limit", "1", "--json").stdout)[0]
    doc = json.loads(cli("-w", str(ws), "risk", "explain", first["user"], "--json").stdout)
    assert doc["user"] == first["user"] and doc["score"] == pytest.approx(first["score"])


def test_explain_is_one_readable_screen_that_adds_up(analysed: tuple[Path, Path]) -> None:
    ws, _ = analysed
    first = json.loads(cli("-w", str(ws), "risk", "top", "--limit", "1", "--json").stdout)[0]
    done = cli("-w", str(ws), "risk", "explain", first["user"])
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) <= 24 and max(map(len, lines)) <= 80
    assert lines[0].startswith(f"{first['user']} on ") and f"risk {first['score']:.2f}" in lines[0]
    assert "{" not in done.stdout and "'" not in lines[0]   # no dict dump
    for section in ("Risk = (anomalies + rules + external alerts)", "Strongest events",
                    "Most unusual days"):
        assert section in done.stdout
    doc = json.loads(cli("-w", str(ws), "risk", "explain", first["user"], "--json").stdout)
    assert doc["score"] == pytest.approx(sum(doc["by_source"].values())
                                         * doc["modifiers"]["factor"] * doc["scenario_boost"])
    everything = cli("-w", str(ws), "risk", "explain", first["user"], "--all").stdout
    assert all(e["reason"] in everything for e in doc["events"])


def test_explain_of_a_typo_is_an_error(analysed: tuple[Path, Path]) -> None:
    ws, _ = analysed
    first = json.loads(cli("-w", str(ws), "risk", "top", "--limit", "1", "--json").stdout)[0]
    for args, says in ((["risk", "explain", first["user"] + "X"], "no person"),
                       (["risk", "explain", first["user"], "--day", "2030-01-01"],
                        "outside the analysed days"),
                       (["risk", "top", "--day", "1999-01-01"], "outside the analysed days")):
        done = cli("-w", str(ws), *args)
        assert done.returncode == 1 and says in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1


def test_top_fits_80_columns_one_line_per_person(analysed: tuple[Path, Path]) -> None:
    ws, _ = analysed
    done = cli("-w", str(ws), "risk", "top", "--limit", "10")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert max(map(len, lines)) <= 80
    assert sum(1 for line in lines if line.startswith("│")) == 10


def test_history_prints_a_summary(analysed: tuple[Path, Path]) -> None:
    ws, _ = analysed
    done = cli("-w", str(ws), "risk", "history")
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) <= 30
    summary = json.loads(cli("-w", str(ws), "risk", "history", "--json").stdout)["summary"]
    assert f"{summary['people']:,} people" in done.stdout
    assert summary["alerted_people"] >= len(summary["most_alerted"]) >= 1
    assert summary["person_days"] > 1000 and "history" not in summary


def test_history_csv_has_every_person_day(analysed: tuple[Path, Path], tmp_path: Path) -> None:
    ws, _ = analysed
    out = tmp_path / "h.csv"
    assert cli("-w", str(ws), "risk", "history", "--csv", str(out)).returncode == 0
    with open(out) as fh:
        rows = list(csv.DictReader(fh))
    assert {"user", "day", "score", "alert", "scenario"} <= set(rows[0])
    assert len({(r["user"], r["day"]) for r in rows}) == len(rows) > 1000


def test_incremental_rerun_and_evaluate(analysed: tuple[Path, Path]) -> None:
    ws, answers = analysed
    again = json.loads(cli("-w", str(ws), "analyze", "--json").stdout)
    assert again["incremental"] and again["new_days"] == 0
    done = cli("-w", str(ws), "evaluate", "--answers", str(answers), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert 0.0 <= report["person_auc"] <= 1.0 and report["incidents"] >= 1


def test_risk_before_analyze_is_a_clear_error(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "watchkeeper.toml").write_text("")
    done = cli("-w", str(ws), "risk", "top")
    assert done.returncode == 1 and "run `watchkeeper analyze` first" in done.stderr
