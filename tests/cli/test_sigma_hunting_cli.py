"""Plain SigmaHQ rules, findings and hunting, as a person runs them from the command line.

The rules and EVTX samples are SigmaHQ's own (read from the shared corpus, never copied
into the repository); each rule is checked against the sample its regression test names.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from helpers.cli import run_cli
from helpers.runtime import SHARED, require
from watchkeeper.workspace import Workspace

SIGMA = SHARED / "sigma"
PROC = "windows/process_creation"
#: rule id -> rule file (= regression sample folder) of SigmaHQ rules that fire on their
#: own sample
RULES = {
    "d059842b-6b9d-4ed1-b5c3-5b89143c6ede": "proc_creation_win_bitsadmin_download",
    "7dbbcac2-57a0-45ac-b306-ff30a8bd2981": "proc_creation_win_amsi_registry_tampering",
}
SILENT = "proc_creation_win_certutil_encode"  # runs, but its sample is not ingested
UNMAPPED = "windows/file/file_access/file_access_win_susp_credhist.yml"  # file_access: no table


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, timeout=300)


def rules_folder(root: Path, broken: bool = True) -> Path:
    """A small folder in SigmaHQ's layout: links to the shared rules, one broken file."""
    folder = root / "sigma-rules"
    (folder / "windows" / "process_creation").mkdir(parents=True)
    (folder / "windows" / "file_access").mkdir(parents=True)
    for name in [*RULES.values(), SILENT]:
        (folder / PROC / f"{name}.yml").symlink_to(SIGMA / "rules" / PROC / f"{name}.yml")
    (folder / "windows" / "file_access" / "credhist.yml").symlink_to(
        SIGMA / "rules" / UNMAPPED)
    if broken:
        (folder / "windows" / "broken.yml").write_text(
            "title: broken\nlevel: high\n  bad: indent\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def hunted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, object]]:
    """A workspace with two SigmaHQ regression samples ingested and detect run once."""
    require(SIGMA.is_dir(), "SigmaHQ corpus not available")
    root = tmp_path_factory.mktemp("hunt")
    ws = root / "ws"
    samples = [next((SIGMA / "regression_data" / "rules" / PROC / name).glob("*.evtx"))
               for name in RULES.values()]
    done = cli("-w", str(ws), "ingest", "evtx", *map(str, samples), "--json")
    assert done.returncode == 0, done.stderr
    folder = rules_folder(root)
    done = cli("-w", str(ws), "detect", "--rules", str(folder), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    report["stderr"] = done.stderr
    return ws, folder, report


def test_plain_sigmahq_rules_run_and_find(hunted: tuple[Path, Path, dict[str, object]]) -> None:
    _, _, report = hunted
    alerts = report["alerts"]
    assert isinstance(alerts, dict)
    assert {k: alerts[k] for k in RULES} == {k: 1 for k in RULES}
    assert len(alerts) == 3 and report["stored"] == 2
    findings = report["findings"]
    assert isinstance(findings, list)
    by_rule = {f["rule_id"]: f for f in findings}
    bits = by_rule["d059842b-6b9d-4ed1-b5c3-5b89143c6ede"]
    assert bits["title"] == "File Download Via Bitsadmin" and bits["severity"] == "medium"
    assert "attack.t1197" in bits["attack"]


def test_rules_that_cannot_run_are_one_summary_line(
        hunted: tuple[Path, Path, dict[str, object]]) -> None:
    _, _, report = hunted
    rejected = report["rejected"]
    assert isinstance(rejected, dict)
    assert rejected["by_reason"] == {"YAML error": 1, "no log-source mapping": 1}
    lines = str(report["stderr"]).strip().splitlines()
    assert lines == ["warning: 2 rule(s) cannot run (YAML error 1, no log-source mapping 1); "
                     "--verbose lists them"]
    broken = next(r for r in rejected["rules"] if r["reason"] == "YAML error")
    assert broken["path"].endswith("broken.yml") and broken["line"] == 3


def test_verbose_lists_file_and_line_and_strict_fails_storing_nothing(
        hunted: tuple[Path, Path, dict[str, object]], tmp_path: Path) -> None:
    ws, folder, _ = hunted
    done = cli("-w", str(ws), "detect", "--rules", str(folder), "--dry-run", "--verbose")
    assert done.returncode == 0, done.stderr
    assert "broken.yml:3: cannot parse" in done.stderr
    assert "credhist.yml:" in done.stderr and "'file_access' has no table mapping" in done.stderr
    strict_ws = tmp_path / "strict"
    sample = next((SIGMA / "regression_data/rules" / PROC / RULES[next(iter(RULES))]).glob(
        "*.evtx"))
    assert cli("-w", str(strict_ws), "ingest", "evtx", str(sample)).returncode == 0
    done = cli("-w", str(strict_ws), "detect", "--rules", str(folder), "--strict")
    assert done.returncode == 1
    assert len(done.stderr.strip().splitlines()) == 1 and "strict" in done.stderr
    listed = cli("-w", str(strict_ws), "findings", "list", "--json")
    assert json.loads(listed.stdout) == []


def test_a_run_where_no_rule_can_run_exits_1(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    Workspace.open(ws, create=True)
    broken = tmp_path / "rules"
    broken.mkdir()
    (broken / "a.yml").write_text("title: [unclosed\n", encoding="utf-8")
    done = cli("-w", str(ws), "detect", "--rules", str(broken))
    assert done.returncode == 1 and "no rule can run" in done.stderr
    assert "Traceback" not in done.stderr


def test_findings_list_and_show_say_what_matched(
        hunted: tuple[Path, Path, dict[str, object]]) -> None:
    ws = str(hunted[0])
    listed = json.loads(cli("-w", ws, "findings", "list", "--json").stdout)
    assert {f["rule_id"] for f in listed} == set(RULES)
    assert [f["time"] for f in listed] == sorted((f["time"] for f in listed), reverse=True)
    only = json.loads(cli("-w", ws, "findings", "list", "--rule",
                          "d059842b-6b9d-4ed1-b5c3-5b89143c6ede", "--json").stdout)
    assert len(only) == 1
    assert json.loads(cli("-w", ws, "findings", "list", "--user", "nobody", "--json")
                      .stdout) == []
    shown = cli("-w", ws, "findings", "show", only[0]["id"][:12], "--json")
    assert shown.returncode == 0, shown.stderr
    detail = json.loads(shown.stdout)
    assert detail["event_count"] == 1 and detail["events"][0]["fields"]["Image"].endswith(
        "bitsadmin.exe")
    matched = {s["selection"]: s for s in detail["matched"]}
    # condition: selection_img and (selection_cmd or all of selection_cli_*)
    assert matched["selection_img"]["matched"] and matched["selection_cmd"]["matched"]
    assert {(f["field"], f["test"], f["pattern"]) for f in matched["selection_img"]["fields"]
            } == {("Image", "endswith", "\\bitsadmin.exe"),
                  ("OriginalFileName", "eq", "bitsadmin.exe")}
    assert matched["selection_cmd"]["fields"][0]["value"].startswith("bitsadmin  /transfer")
    human = cli("-w", ws, "findings", "show", only[0]["id"])
    assert "selection_img: matched" in human.stdout and "attack.t1197" in human.stdout
    assert max(len(line) for line in cli("-w", ws, "findings", "list").stdout.splitlines()
               ) <= 80
    missing = cli("-w", ws, "findings", "show", "wk:nope")
    assert missing.returncode == 1 and "no stored finding" in missing.stderr


def test_dry_run_prints_matches_and_stores_nothing(tmp_path: Path) -> None:
    require(SIGMA.is_dir(), "SigmaHQ corpus not available")
    ws = str(tmp_path / "ws")
    sample = next((SIGMA / "regression_data/rules" / PROC / RULES[next(iter(RULES))]).glob(
        "*.evtx"))
    assert cli("-w", ws, "ingest", "evtx", str(sample)).returncode == 0
    folder = rules_folder(tmp_path, broken=False)
    done = cli("-w", ws, "detect", "--rules", str(folder), "--dry-run", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["dry_run"] and report["stored"] == 0 and report["commit"] is None
    assert [f["rule_id"] for f in report["findings"]] == [next(iter(RULES))]
    human = cli("-w", ws, "detect", "--rules", str(folder), "--dry-run")
    assert "Matches (dry run" in human.stdout and "File Download Via" in human.stdout
    counted = cli("-w", ws, "query", "SELECT count(*) AS n FROM findings", "--json")
    assert json.loads(counted.stdout)["rows"] == [[0]]


def test_query_is_read_only_and_writes_csv(hunted: tuple[Path, Path, dict[str, object]],
                                           tmp_path: Path) -> None:
    ws = str(hunted[0])
    done = cli("-w", ws, "query", "SELECT rule_id, user FROM findings ORDER BY rule_id",
               "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["columns"] == ["rule_id", "user"] and len(result["rows"]) == 2
    for sql, message in (("DELETE FROM finding", "only a read-only SELECT"),
                         ("CREATE TABLE x AS SELECT 1", "only a read-only SELECT"),
                         ("SELECT 1; DROP VIEW web", "one statement expected"),
                         ("SELECT * FROM read_csv('/etc/passwd')", "table functions"),
                         ("SELECT * FROM '/etc/passwd'", "unknown table"),
                         ("SELECT nope FROM windows", "nope")):
        refused = cli("-w", ws, "query", sql)
        assert refused.returncode == 1, sql
        assert len(refused.stderr.strip().splitlines()) == 1 and message in refused.stderr
    target = tmp_path / "hits.csv"
    done = cli("-w", ws, "query", "SELECT event_id, Image FROM windows ORDER BY event_id",
               "--csv", str(target), "--limit", "1")
    assert done.returncode == 0, done.stderr
    assert "more rows exist" in done.stdout
    lines = target.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "event_id,Image" and len(lines) == 2 and lines[1].startswith("evtx:")
    assert json.loads(cli("-w", ws, "query", "SELECT count(*) FROM windows", "--json")
                      .stdout)["rows"] == [[2]]
