"""The compiled-rule cache as a person meets it: a second `rules validate` or `detect` over
the same rules parses none of them and reports exactly what the first did; an edited rule
alone is parsed again; a damaged entry is rebuilt; pack rules are cached too.

Each test gives the CLI a cache folder of its own (``WATCHKEEPER_CACHE``), so the counts
do not depend on what other tests left in the run's shared one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from helpers.runtime import SHARED, require

SIGMA = SHARED / "sigma"
PROC = "windows/process_creation"
FIRING = "proc_creation_win_bitsadmin_download"  # fires on its own regression sample
OTHERS = ("proc_creation_win_amsi_registry_tampering", "proc_creation_win_certutil_encode")
UNMAPPED = "windows/file/file_access/file_access_win_susp_credhist.yml"


def cli(cache: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "WATCHKEEPER_HOME"}
    env["WATCHKEEPER_CACHE"] = str(cache)
    return subprocess.run([sys.executable, "-m", "watchkeeper", *args], capture_output=True,
                          text=True, env=env, timeout=300)


def validate(cache: Path, *paths: Path) -> dict[str, Any]:
    done = cli(cache, "rules", "validate", *map(str, paths), "--json")
    assert done.returncode in (0, 1), done.stderr
    found: dict[str, Any] = json.loads(done.stdout)
    return found


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    """SigmaHQ rules copied (editable), one that no table maps and one broken file."""
    require(SIGMA.is_dir(), "SigmaHQ corpus not available")
    folder = tmp_path / "rules"
    folder.mkdir()
    for name in (FIRING, *OTHERS):
        text = (SIGMA / "rules" / PROC / f"{name}.yml").read_text(encoding="utf-8")
        (folder / f"{name}.yml").write_text(text, encoding="utf-8")
    (folder / "credhist.yml").write_text((SIGMA / "rules" / UNMAPPED).read_text(
        encoding="utf-8"), encoding="utf-8")
    (folder / "broken.yml").write_text("title: broken\nlevel: high\n  bad: indent\n",
                                       encoding="utf-8")
    return folder


def test_second_validate_is_served_from_the_cache_and_says_the_same(
        rules: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = validate(cache, rules)
    second = validate(cache, rules)
    assert first.pop("rule_cache") == {"files": 5, "cached": 0, "compiled": 5}
    assert second.pop("rule_cache") == {"files": 5, "cached": 5, "compiled": 0}
    assert second == first  # rules, rejections (with their lines) and warnings alike
    lines = {r["path"].rsplit("/", 1)[-1]: r["line"] for r in second["rejected"]["rules"]}
    assert lines == {"broken.yml": 3, "credhist.yml": 16}  # the YAML error, `logsource:`


def test_an_edited_rule_alone_recompiles(rules: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    validate(cache, rules)
    edited = rules / f"{OTHERS[0]}.yml"
    edited.write_text(edited.read_text(encoding="utf-8").replace("level: high", "level: low")
                      .replace("level: medium", "level: low"), encoding="utf-8")
    again = validate(cache, rules)
    assert again["rule_cache"] == {"files": 5, "cached": 4, "compiled": 1}


def test_a_damaged_entry_is_rebuilt(rules: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = validate(cache, rules)
    for entry in (cache / "sigma").glob("*.json"):
        entry.write_bytes(entry.read_bytes()[:-20])  # truncated: fails its checksum
    again = validate(cache, rules)
    assert again.pop("rule_cache")["compiled"] == 5
    first.pop("rule_cache")
    assert again == first
    assert validate(cache, rules)["rule_cache"]["cached"] == 5


def test_the_shipped_pack_is_cached_and_its_golden_tests_still_run(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = validate(cache)
    assert first["rule_cache"]["compiled"] == first["rule_cache"]["files"] > 0
    second = validate(cache)
    # the files with correlations (and the rules they count) are parsed each time
    assert second["rule_cache"]["cached"] > second["rule_cache"]["compiled"]
    assert second["rules"] == first["rules"] and second["errors"] == []
    tested = cli(cache, "rules", "test", "--json")
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert json.loads(tested.stdout)["failed"] == []


def test_a_cached_detect_finds_and_explains_what_a_fresh_one_does(
        rules: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    sample = next((SIGMA / "regression_data" / "rules" / PROC / FIRING).glob("*.evtx"))
    ws = str(tmp_path / "ws")
    assert cli(cache, "-w", ws, "ingest", "evtx", str(sample)).returncode == 0
    runs = []
    for _ in range(2):
        done = cli(cache, "-w", ws, "detect", "--rules", str(rules), "--dry-run", "--json")
        assert done.returncode == 0, done.stderr
        runs.append(json.loads(done.stdout))
    assert runs[0]["rule_cache"]["compiled"] == 5 and runs[1]["rule_cache"]["cached"] == 5
    assert runs[1]["alerts"] == runs[0]["alerts"] and runs[1]["total"] == 1
    assert runs[1]["rejected"] == runs[0]["rejected"]
    stored = cli(cache, "-w", ws, "detect", "--rules", str(rules), "--json")
    assert json.loads(stored.stdout)["stored"] == 1
    (finding,) = json.loads(cli(cache, "-w", ws, "findings", "list", "--json").stdout)
    shown = json.loads(cli(cache, "-w", ws, "findings", "show", finding["id"], "--json")
                       .stdout)
    matched = [s for s in shown["matched"] if s["matched"]]
    assert matched and all(s["fields"] for s in matched)  # explained from the cached rule
