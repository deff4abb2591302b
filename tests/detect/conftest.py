"""Shared fixtures: SigmaHQ corpus paths, rule loading once per session, tiny tables."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest

from helpers.runtime import SHARED, in_ci
from watchkeeper.detect import RuleSet, load_rules
from watchkeeper.schema.windows import windows_schema

SIGMA = SHARED / "sigma"
FOLDERS = ("rules", "rules-emerging-threats", "rules-threat-hunting")

# under CI=true the corpus must be there: the tests run and fail without it
needs_corpus = pytest.mark.skipif(not SIGMA.exists() and not in_ci(),
                                  reason="SigmaHQ corpus not available")


@pytest.fixture(scope="session")
def corpus() -> RuleSet:
    if not SIGMA.exists():
        pytest.skip("SigmaHQ corpus not available")
    return load_rules([SIGMA / folder for folder in FOLDERS])


BASE_EVENT: dict[str, Any] = {
    "event_id": "evtx:test:1",
    "source": "evtx",
    "channel": "Microsoft-Windows-Sysmon/Operational",
    "provider": "Microsoft-Windows-Sysmon",
    "event_code": 1,
    "computer": "host1",
    "record_id": 1,
    "host": "host1",
    "Image": "C:\\Windows\\System32\\cmd.exe",
    "CommandLine": "cmd.exe /c whoami",
    "ParentImage": "C:\\Windows\\explorer.exe",
}


@pytest.fixture(scope="session")
def regression_events() -> pa.Table:
    """Every event of the SigmaHQ regression samples, read once per session."""
    from watchkeeper.sources.evtx import read_evtx

    files = sorted((SIGMA / "regression_data").rglob("*.evtx"))
    if not files:
        if in_ci():
            pytest.fail("required under CI: SigmaHQ regression samples")
        pytest.skip("regression data not available")
    tables = [batch.table for path in files for batch in read_evtx(path)]
    return pa.concat_tables(tables, promote_options="permissive").combine_chunks()


def events_table(*events: dict[str, Any]) -> pa.Table:
    """Rows built from BASE_EVENT with per-case overrides (None deletes the field)."""
    rows = []
    for number, override in enumerate(events, start=1):
        row = {**BASE_EVENT, "event_id": f"evtx:test:{number}", "record_id": number, **override}
        rows.append({k: v for k, v in row.items() if v is not None})
    fields = sorted({k for row in rows for k in row} - set(windows_schema([]).names))
    return pa.Table.from_pylist(rows, schema=windows_schema(fields))
