"""`analyze` on new days continues from the stored run and gives what a full run gives."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from ueba.lakes import ev, make_lake, person
from watchkeeper.analysis import AnalysisStore, analyze
from watchkeeper.lake import Lake
from watchkeeper.schema import CLASSES, EventClass
from watchkeeper.ueba import UebaConfig
from watchkeeper.ueba.analyze import lookback_days

D0 = datetime(2025, 1, 6, 14)
DAYS = 120
CUT = 80
# short windows, so the look-back (lookback_days: 77) is shorter than the history
CFG = UebaConfig(window_days=7, warmup_active_days=3, week_gap_days=7, week_history_days=21,
                 week_warmup=2, model_block_days=7, model_history_days=14,
                 first_time_min_history_days=7, min_peers=3, change_recent_days=7,
                 change_trailing_days=21, change_min_active_days=5)


def _events() -> list[dict[str, Any]]:
    rng = np.random.default_rng(5)
    out = []
    for u in range(14):
        # u13 joins on day 20, u11 on day 70: its hours are learned after the first run
        for i in range({13: 20, 11: 70}.get(u, 0), DAYS):
            t = D0 + timedelta(days=i)
            if (t.weekday() >= 5 and u % 3) or (u == 12 and 25 <= i < 75):  # u12: a leave
                continue
            out.append(ev("authentication", f"u{u}", t, "logon", status="success"))
            if rng.random() < 0.3:   # now and then a late evening
                out.append(ev("authentication", f"u{u}", t + timedelta(hours=9), "logon",
                              status="success"))
            for _ in range(int(rng.poisson(0.4))):
                out.append(ev("web", f"u{u}", t + timedelta(hours=1), "visit",
                              domain="indeed.com"))
            out.append(ev("authentication", f"u{u}", t + timedelta(hours=8), "logoff"))
            for _ in range(int(rng.integers(2, 6))):
                out.append(ev("web", f"u{u}", t + timedelta(minutes=30), "visit",
                              domain="bbc.co.uk"))
            for _ in range(int(rng.poisson(2.0)) if u < 6 else 0):
                out.append(ev("datastore", f"u{u}", t + timedelta(hours=1), "read",
                              dataset="p_us", data_region="US", record_count=3,
                              sensitivity="restricted", ticket=None if rng.random() < 0.3
                              else "TCK-1", purpose="support"))
    # u3: a first USB drive, job sites and reads without a ticket or purpose, late on
    for i in (CUT + 1, CUT + 3, CUT + 8):
        t = D0 + timedelta(days=i, hours=2)
        out.append(ev("peripheral", "u3", t, "connect"))
        out += [ev("web", "u3", t, "visit", domain="indeed.com") for _ in range(6)]
        out += [ev("datastore", "u3", t, "read", dataset="p_us", data_region="US",
                   record_count=2, sensitivity="restricted") for _ in range(4)]
    # u5 logs on at night on a machine never used before, after the cut
    out.append(ev("authentication", "u5", D0 + timedelta(days=CUT + 2, hours=9), "logon",
                  status="success", host="PC-other"))
    return out


def _lake(root: Path, events: list[dict[str, Any]]) -> Lake:
    people = [person(f"u{u}", "US") for u in range(14)]
    return make_lake(root, events, people)


def _add(lake: Lake, events: list[dict[str, Any]]) -> None:
    with lake.transaction("more") as txn:
        for cls in sorted({e["class"] for e in events}):
            rows = [e for e in events if e["class"] == cls]
            txn.stage(cls, pa.Table.from_pylist(rows, schema=CLASSES[EventClass(cls)].schema), 1)
        txn.commit({})


def _rows(table: pa.Table) -> list[dict[str, Any]]:
    return sorted(table.to_pylist(), key=lambda r: (r["user"], r["day"]))


def test_incremental_analyze_equals_a_full_run(tmp_path: Path) -> None:
    assert lookback_days(CFG) < CUT
    events = _events()
    split = D0 + timedelta(days=CUT)
    early = [e for e in events if e["time"].replace(tzinfo=None) < split]
    late = [e for e in events if e["time"].replace(tzinfo=None) >= split]

    lake = _lake(tmp_path / "inc", early)
    store = AnalysisStore(tmp_path / "inc" / "analytics")
    first = analyze(lake, store, behaviour_config=CFG)
    assert not first.incremental and store.state_tables()      # the state is kept
    assert "u11" in store.table("state_pending")["user"].to_pylist()
    for n in range(CUT, DAYS, 7):   # new data arrives a week at a time
        week = [e for e in late if n <= (e["time"].replace(tzinfo=None) - D0).days < n + 7]
        _add(lake, week)
        report = analyze(lake, store, behaviour_config=CFG)
        assert report.incremental and report.new_days >= 1

    full_lake = _lake(tmp_path / "full", events)
    full_store = AnalysisStore(tmp_path / "full" / "analytics")
    analyze(full_lake, full_store, behaviour_config=CFG)

    for name in ("features", "anomalies", "risk_history", "risk_alerts", "touched", "zcache"):
        assert _rows(store.table(name)) == _rows(full_store.table(name)), name
    assert "u11" in store.table("state_hours")["user"].to_pylist()
    assert "u11" not in store.table("state_pending")["user"].to_pylist()
    history = store.table("risk_history")
    assert max(r["score"] for r in history.to_pylist() if r["user"] == "u3") > 0
