"""The detection run over a real lake: findings stored once, incremental and full re-runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest

from watchkeeper.detect.engine import BEGINNING, detect, last_watermarks
from watchkeeper.detect.findings import finding_id
from watchkeeper.lake import Lake
from watchkeeper.schema.events import class_spec

RULES = Path(__file__).resolve().parents[2] / "src/watchkeeper/rules/insider"


def web_rows(start: datetime, days: int, leak_every: int = 3) -> pa.Table:
    schema = class_spec("web").schema
    rows = []
    for d in range(days):
        t = start + timedelta(days=d, hours=10)
        leak = d % leak_every == 0
        rows.append({"event_id": f"w{d}", "time": t, "source": "test", "class": "web",
                     "activity": "upload" if leak else "visit", "user": "U1", "host": "PC-1",
                     "domain": "wikileaks.org" if leak else "intranet.corp.example"})
    return pa.Table.from_pylist(rows, schema=schema)


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    lake = Lake(tmp_path / "lake")
    with lake.transaction("ingest") as txn:
        txn.stage("web", web_rows(datetime(2025, 1, 1, tzinfo=UTC), 10), 0)
        txn.commit({})
    return lake


def findings(lake: Lake, rule_id: str) -> list[str]:
    t = lake.table("finding")
    return sorted(t.filter(t.rule_id == rule_id).event_id.to_pyarrow().to_pylist())


def test_detect_stores_findings_once(lake: Lake) -> None:
    report = detect(lake, [RULES / "insider.exfil.leak_site_upload.yml"])
    assert report.alerts == {"insider.exfil.leak_site_upload": 4}
    assert report.scanned == {"web": 10} and report.stored == 4
    stored = findings(lake, "insider.exfil.leak_site_upload")
    assert stored == sorted(finding_id("insider.exfil.leak_site_upload", [f"w{d}"])
                            for d in (0, 3, 6, 9))
    row = lake.table("finding").to_pyarrow().to_pylist()[0]
    assert row["user"] == "U1" and row["severity"] == "critical" and row["vendor"] == "watchkeeper"
    assert "insider.exfiltration" in row["tags"] and '"domain": "wikileaks.org"' in row["raw"]


def test_incremental_run_reads_from_watermark_and_full_rerun_adds_nothing(lake: Lake) -> None:
    rules = [RULES / "insider.exfil.leak_site_upload.yml"]
    detect(lake, rules)
    assert last_watermarks(lake.manifest()) == {"web": datetime(2025, 1, 10).date()}
    with lake.transaction("ingest") as txn:
        txn.stage("web", web_rows(datetime(2025, 1, 11, tzinfo=UTC), 3, leak_every=1)
                  .set_column(0, "event_id", pa.array(["n0", "n1", "n2"])), 0)
        txn.commit({})
    second = detect(lake, rules)
    assert second.since == datetime(2025, 1, 9).date()  # one day of overlap
    assert second.scanned == {"web": 5} and second.stored == 3
    full = detect(lake, rules, since=BEGINNING)
    assert full.total == 7 and full.stored == 0
    assert len(findings(lake, "insider.exfil.leak_site_upload")) == 7


def test_sql_rule_runs_on_lake_views(lake: Lake) -> None:
    report = detect(lake, [RULES / "insider.exfil.notice_period_data_movement.yml",
                           RULES / "insider.recon.job_search_spike.yml"])
    assert report.total == 0 and report.errors == ()
