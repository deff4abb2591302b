"""Baselines, detectors and explanations on a small hand-made population."""

from __future__ import annotations

import csv
import subprocess
import sys
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from ueba.lakes import ev, make_lake, person
from watchkeeper.lake import Lake
from watchkeeper.ueba import ANOMALY_SCHEMA, analyze_behaviour
from watchkeeper.ueba.baselines import peer_groups
from watchkeeper.ueba.config import UebaConfig

D0 = datetime(2025, 1, 6, 14)
SPIKE = date(2025, 2, 12)


def population(tmp_path: Path) -> Lake:
    rng = np.random.default_rng(1)
    events = []
    for u in range(12):
        for i in range(42):
            t = D0 + timedelta(days=i)
            for _ in range(int(rng.integers(3, 6))):
                events.append(ev("web", f"u{u}", t, "visit", domain="bbc.co.uk"))
    # u3 browses job sites and uploads to cloud storage on one day
    t = datetime(2025, 2, 12, 15)
    events += [ev("web", "u3", t, "visit", domain="indeed.com") for _ in range(12)]
    events += [ev("web", "u3", t, "upload", domain="dropbox.com") for _ in range(4)]
    people = [person(f"u{u}", "US") for u in range(12)]
    return make_lake(tmp_path, events, people)


def test_injected_anomaly_ranks_first_and_is_explained(tmp_path: Path) -> None:
    result = analyze_behaviour(population(tmp_path), config=UebaConfig(min_peers=3))
    a = result.anomalies
    assert a.schema.equals(ANOMALY_SCHEMA)
    for col in ("score", "robust", "model", "week_score"):
        values = a[col].to_numpy()
        assert values.min() >= 0.0 and values.max() <= 1.0
    top = a.sort_by([("robust", "descending")]).slice(0, 1).to_pylist()[0]
    assert (top["user"], top["day"]) == ("u3", SPIKE)
    names = [f["feature"] for f in top["top_features"]]
    assert names[0] in ("web_job", "web_cloud", "web_cloud_uploads")
    assert top["top_features"][0]["peer_baseline"] == 0
    ev_job = next(e for e, f in zip(top["evidence"], names, strict=True) if f == "web_job")
    assert ev_job["class"] == "web" and "category = 'job'" in ev_job["filter"]
    assert "user = 'u3'" in ev_job["filter"]
    fused_top = a.sort_by([("score", "descending")]).slice(0, 3)["user"].to_pylist()
    assert "u3" in fused_top


def test_incremental_matches_full_run(tmp_path: Path) -> None:
    lake = population(tmp_path)
    cfg = UebaConfig(min_peers=3, model_history_days=10, model_block_days=7)
    full = analyze_behaviour(lake, config=cfg)
    part = analyze_behaviour(lake, since=date(2025, 2, 10), config=cfg)
    assert part.features["day"].to_pylist()[0] >= date(2025, 2, 10)
    for got, all_days in ((part.features, full.features), (part.anomalies, full.anomalies)):
        want = [r for r in all_days.to_pylist() if r["day"] >= date(2025, 2, 10)]
        assert sorted(got.to_pylist(), key=lambda r: (r["user"], r["day"])) == \
            sorted(want, key=lambda r: (r["user"], r["day"]))


def test_incremental_from_a_kept_state_matches_full_run(tmp_path: Path) -> None:
    """A later run continues from the earlier run's state and features: it reads only
    the new events and still returns what a full run over all events returns."""
    lake = population(tmp_path)
    events = [ev("peripheral", "u1", datetime(2025, 2, 11, 15), "connect"),
              ev("peripheral", "u1", datetime(2025, 2, 13, 15), "connect"),
              ev("authentication", "u2", datetime(2025, 2, 12, 23), "logon",
                 status="success", host="PC-new")]
    with lake.transaction("more") as txn:
        from watchkeeper.schema import CLASSES, EventClass
        for cls in ("peripheral", "authentication"):
            rows = [e for e in events if e["class"] == cls]
            txn.stage(cls, pa.Table.from_pylist(rows, schema=CLASSES[EventClass(cls)].schema), 1)
        txn.commit({})
    cfg = UebaConfig(min_peers=3, model_history_days=10, model_block_days=7,
                     first_time_min_history_days=7)
    full = analyze_behaviour(lake, config=cfg)
    assert full.state is not None and "first_usb" in full.state.firsts["flag"].to_pylist()
    cut = date(2025, 2, 12)
    keep = pc.less(full.features["day"], pa.scalar(cut, pa.date32()))
    earlier = replace(full, features=full.features.filter(keep),
                      anomalies=full.anomalies.filter(
                          pc.less(full.anomalies["day"], pa.scalar(cut, pa.date32()))))
    # the kept state may know days after the cut: taking the earlier first day is exact
    part = analyze_behaviour(lake, since=cut, config=cfg, previous=earlier)
    for got, all_days in ((part.features, full.features), (part.anomalies, full.anomalies)):
        want = [r for r in all_days.to_pylist() if r["day"] >= cut]
        assert sorted(got.to_pylist(), key=lambda r: (r["user"], r["day"])) == \
            sorted(want, key=lambda r: (r["user"], r["day"]))
    flags = {(r["user"], r["day"]): r["first_usb"] for r in part.features.to_pylist()}
    assert flags[("u1", date(2025, 2, 13))] == 0          # u1's first USB was on the 11th
    row = {(r["user"], r["day"]): r for r in full.features.to_pylist()}
    assert row[("u1", date(2025, 2, 11))]["first_usb"] == 1
    assert row[("u2", date(2025, 2, 12))]["first_new_machine"] == 1


def test_peer_group_is_taken_as_of_the_day(tmp_path: Path) -> None:
    people = [person("u", "US", team="A", valid_to=date(2025, 1, 10)),
              person("u", "US", team="B", valid_from=date(2025, 1, 10))]
    lake = make_lake(tmp_path, [ev("web", "u", D0, "visit")], people)
    keys = pa.table({"user": ["u", "u"], "day": [date(2025, 1, 9), date(2025, 1, 10)]})
    assert peer_groups(lake, keys)["team"].to_pylist() == ["A", "B"]


@pytest.mark.slow
def test_incident_users_rank_high_on_a_simulation(tmp_path: Path) -> None:
    cli = [sys.executable, "-m", "watchkeeper"]
    subprocess.run([*cli, "simulate", "--users", "120", "--days", "60", "--seed", "3",
                    "--profile", "classic", "--out", str(tmp_path / "sim")], check=True,
                   capture_output=True)
    subprocess.run([*cli, "-w", str(tmp_path / "ws"), "ingest", "auto",
                    str(tmp_path / "sim")], check=True, capture_output=True)
    from watchkeeper.workspace import Workspace
    a = analyze_behaviour(Workspace.open(tmp_path / "ws").lake).anomalies
    insiders = {r["user"] for r in csv.DictReader((tmp_path / "sim/answers/insiders.csv").open())}
    best: dict[str, float] = {}
    for u, s in zip(a["user"].to_pylist(), a["score"].to_pylist(), strict=True):
        best[u] = max(best.get(u, 0.0), s)
    pos = [v for u, v in best.items() if u in insiders]
    neg = [v for u, v in best.items() if u not in insiders]
    auc = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg) / (len(pos) * len(neg))
    print(f"person-level AUC on sim-3 (120 users x 60 days): {auc:.3f}")
    assert auc > 0.6
