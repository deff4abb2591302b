"""`watchkeeper rules …` and `watchkeeper detect` as a person runs them."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa

from helpers.cli import run_cli
from watchkeeper.schema.events import class_spec
from watchkeeper.workspace import Workspace


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, timeout=300)


def test_rules_validate_and_test_pass_on_the_shipped_pack(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    done = cli("-w", ws, "rules", "validate")
    assert done.returncode == 0, done.stderr
    done = cli("-w", ws, "rules", "test", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["rules"] >= 20 and report["failed"] == []


def test_rules_validate_names_file_and_rule_and_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "my.rule.yml"
    bad.write_text("name: my.rule\ntitle: x\nquery: SELECT 1\n", encoding="utf-8")
    done = cli("-w", str(tmp_path / "ws"), "rules", "validate", str(bad))
    assert done.returncode == 1
    assert "my.rule.yml" in done.stderr and "my.rule" in done.stderr


def test_detect_json_and_backtest(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    lake = Workspace.open(ws, create=True).lake
    start = datetime(2025, 1, 6, 10, tzinfo=UTC)
    rows = [{"event_id": f"w{i}", "time": start + timedelta(hours=i), "source": "test",
             "class": "web", "activity": "upload", "user": "U1", "host": "PC-1",
             "domain": "wikileaks.org"} for i in range(3)]
    with lake.transaction("ingest") as txn:
        txn.stage("web", pa.Table.from_pylist(rows, schema=class_spec("web").schema), 0)
        txn.commit({})
    done = cli("-w", str(ws), "detect", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["alerts"]["insider.exfil.leak_site_upload"] == 3
    assert report["total"] >= 3 and report["scanned"]["web"] == 3 and "seconds" in report
    assert report["suppressed"] == {}
    again = json.loads(cli("-w", str(ws), "detect", "--since", "all", "--json").stdout)
    assert again["stored"] == 0
    answers = tmp_path / "answers"
    answers.mkdir()
    (answers / "insiders.csv").write_text(
        "dataset,scenario,details,user,start,end\n"
        "t,1,x.csv,U1,01/06/2025 10:30:00,01/06/2025 13:00:00\n", encoding="utf-8")
    done = cli("-w", str(ws), "rules", "backtest", "insider.exfil.leak_site_upload",
               "--answers", str(answers), "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert (result["true_positives"], result["false_positives"]) == (2, 1)
    assert result["per_day"] == {"2025-01-06": 3}
