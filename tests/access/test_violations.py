"""Violation checks on hand-made lakes: each kind on its case, and not on the look-alike."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa

from ueba.lakes import ev, make_lake, person
from watchkeeper.access import violations_store as vstore
from watchkeeper.access.violations import Thresholds, detect, windows_table
from watchkeeper.lake import Lake
from watchkeeper.schema import ENTITIES

T = datetime(2025, 3, 3, 10)


def ds(user: str, when: datetime, activity: str = "read", dataset: str = "p_us",
       region: str = "US", records: int = 1, **fields: Any) -> dict[str, Any]:
    fields.setdefault("sensitivity", "restricted")
    return ev("datastore", user, when, activity, dataset=dataset, data_region=region,
              record_count=records, **fields)


def window(user: str, resource: str = "*", start: datetime = T - timedelta(days=30),
           end: datetime | None = None, action: str = "*", source: str = "grant") -> dict[str, Any]:
    return {"principal": user, "action": action, "resource": resource,
            "start": start.replace(tzinfo=UTC),
            "end": end.replace(tzinfo=UTC) if end else None, "source": source}


def found(lake: Lake, windows: pa.Table | None = None) -> list[tuple[str, str, str | None]]:
    rows = detect(lake, windows).to_pylist()
    return sorted((r["kind"], r["user"], r["dataset"]) for r in rows)


def test_grants_and_decisions_allow_and_expiry_is_told_apart(tmp_path: Path) -> None:
    lake = make_lake(tmp_path, [
        ds("ok", T), ds("dec", T, "export"), ds("late", T + timedelta(days=2)),
        ds("none", T), ds("other", T, dataset="p_us2")],
        [person(u, "US") for u in ("ok", "dec", "late", "none", "other")])
    w = windows_table([window("ok"), window("dec", "p_us", action="export", source="decision"),
                       window("late", "p_us", end=T + timedelta(days=1)),
                       window("other", "p_us")])
    assert found(lake, w) == [("expired_grant", "late", "p_us"),
                              ("no_grant", "none", "p_us"), ("no_grant", "other", "p_us2")]


def test_without_windows_grant_kinds_are_not_checked(tmp_path: Path) -> None:
    lake = make_lake(tmp_path, [ds("u", T)], [person("u", "US")])
    assert found(lake) == []


def test_cross_region_needs_no_ticket_and_no_window(tmp_path: Path) -> None:
    lake = make_lake(tmp_path, [
        ds("a", T, dataset="p_eu", region="EU"),                    # violation
        ds("b", T, dataset="p_eu", region="EU", ticket="TCK-1"),    # ticketed: benign
        ds("c", T, dataset="p_eu", region="EU"),                    # granted: benign
        ds("d", T),                                                 # own region
        ds("e", T, dataset="stats_eu", region="EU", sensitivity="medium")],  # no personal data
        [person(u, "US") for u in "abcde"])
    # a window allows a cross-region access; one for another store does not
    granted = windows_table([window("a", "p_us"), window("b"), window("c", "p_eu"),
                             window("d"), window("e")])
    assert found(lake, granted) == [("cross_region", "a", "p_eu"), ("no_grant", "a", "p_eu")]
    assert [k for k in found(lake) if k[0] == "cross_region"] == [
        ("cross_region", "a", "p_eu"), ("cross_region", "c", "p_eu")]


def test_catalog_region_wins_over_the_events(tmp_path: Path) -> None:
    lake = make_lake(tmp_path, [ds("a", T, dataset="p_x", region="US")], [person("a", "US")])
    with lake.transaction("t") as txn:
        txn.stage("data_assets", pa.Table.from_pylist(
            [{"dataset": "p_x", "region": "EU", "sensitivity": "high", "owner_team": None,
              "description": None}], schema=ENTITIES["data_assets"].schema), 0)
        txn.commit({})
    assert found(lake) == [("cross_region", "a", "p_x")]


def test_leaver_after_last_day_only(tmp_path: Path) -> None:
    last = T.date()
    lake = make_lake(tmp_path, [ds("gone", T), ds("gone", T + timedelta(days=1))],
                     [person("gone", "US", end_date=last)])
    rows = detect(lake).to_pylist()
    assert [(r["kind"], r["day"]) for r in rows] == [("leaver", last + timedelta(days=1))]


def _reads(user: str, day: int, n: int) -> list[dict[str, Any]]:
    return [ds(user, T + timedelta(days=day, minutes=k)) for k in range(n)]


def test_volume_sustained_beyond_self_and_peers(tmp_path: Path) -> None:
    events = []
    for user in ("ramp", "burst", "peer"):
        for d in range(20):
            events += _reads(user, d, 2)
    for d in range(20, 26):                       # ramp: 12 reads a day for a week
        events += _reads("ramp", d, 12)
    events += _reads("burst", 20, 12)             # on-call: one busy day only
    people = [person(u, "US", role="Admin") for u in ("ramp", "burst", "peer")]
    lake = make_lake(tmp_path, events, people)
    rows = detect(lake, thresholds=Thresholds(peer_quantile=0.9)).to_pylist()
    hits = sorted((r["user"], r["day"]) for r in rows if r["kind"] == "volume")
    assert {u for u, _ in hits} == {"ramp"}
    assert hits[0][1] == (T + timedelta(days=22)).date()   # third high day of the week
    assert all(r["events"] == 12 for r in rows if r["kind"] == "volume")


def test_movement_export_then_write_into_another_region(tmp_path: Path) -> None:
    lake = make_lake(tmp_path, [
        ds("m", T, "export", "p_us", "US", 5000), ds("m", T + timedelta(hours=3), "write",
                                                     "p_eu", "EU", 5000),
        ds("s", T, "export", "p_us", "US", 5000), ds("s", T + timedelta(hours=3), "write",
                                                     "q_us", "US", 5000),
        ds("l", T, "export", "p_us", "US", 5000), ds("l", T + timedelta(hours=30), "write",
                                                     "p_eu", "EU", 5000)],
        [person(u, "US") for u in "msl"])
    rows = [r for r in detect(lake).to_pylist() if r["kind"] == "movement"]
    assert [(r["user"], r["dataset"], r["events"]) for r in rows] == [("m", "p_us -> p_eu", 2)]


def test_stored_as_ocsf_2006_findings_once(tmp_path: Path) -> None:
    lake = make_lake(tmp_path, [ds("a", T, "export", "p_eu", "EU", 900)], [person("a", "US")])
    found_ = vstore.from_rows(detect(lake))
    assert vstore.save(lake, found_, {})[0] == 1
    assert vstore.save(lake, found_, {}) == (0, None)        # a re-run adds nothing
    listed = vstore.stored(lake)
    assert listed == found_
    raw = lake.table("finding").to_pyarrow().to_pylist()[0]
    doc = json.loads(raw["raw"])
    assert doc["class_uid"] == 2006 and doc["finding_info"]["related_events"]
    assert raw["rule_id"] == "access.cross_region" and "insider.cross-region" in raw["tags"]
    assert raw["event_refs"] == list(listed[0].event_refs)


def test_violations_become_risk_signals(tmp_path: Path) -> None:
    from watchkeeper.risk.config import RiskConfig
    from watchkeeper.risk.signals import finding_events

    lake = make_lake(tmp_path, [ds("a", T, "export", "p_eu", "EU", 900)], [person("a", "US")])
    vstore.save(lake, vstore.from_rows(detect(lake)), {})
    signals = finding_events(lake.table("finding").to_pyarrow(), RiskConfig())
    assert [(s["user"], s["rule_id"], s["kinds"]) for s in signals] == [
        ("a", "access.cross_region", ["other_region"])]
    assert signals[0]["day"] == date(2025, 3, 3)
