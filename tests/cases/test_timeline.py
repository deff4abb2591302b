"""build_timeline and window_around on hand-made lakes (real DuckDB, exact events)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from ueba.lakes import ev, make_lake
from watchkeeper.cases.model import AlertIn, Severity
from watchkeeper.cases.timeline import (
    CLASSES,
    Window,
    alert_event_ids,
    alert_times,
    build_timeline,
    window_around,
)
from watchkeeper.errors import TimelineError
from watchkeeper.lake import Lake
from watchkeeper.schema.windows import CORE_SCHEMA

T0 = dt.datetime(2025, 3, 10, 12, 0, tzinfo=dt.UTC)


def at(hours: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours)


def windows_row(event_id: str, when: dt.datetime, user: str, host: str,
                code: int) -> dict[str, Any]:
    return {"event_id": event_id, "time": when, "source": "evtx", "channel": "Security",
            "provider": "Microsoft-Windows-Security-Auditing", "event_code": code,
            "computer": host, "record_id": 1, "user": user, "host": host}


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    """ann on PC-ann, bob on PC-bob; events two days either side of T0."""
    events = [
        ev("file", "ann", at(-30), "copy", event_id="far-before", path="C:\\x\\old.txt"),
        ev("file", "ann", at(-23), "copy", event_id="copy", path="C:\\x\\report.xlsx",
           to_removable=True),
        ev("email", "ann", at(-1), "send", event_id="mail", recipient_count=3,
           external_recipient_count=2, attachment_count=1),
        ev("datastore", "ann", at(0), "read", event_id="read", dataset="profiles_eu",
           record_count=12000, data_region="EU", sensitivity="restricted"),
        ev("authentication", "bob", at(1), "logon", event_id="bob-on-ann",
           host="PC-ann", status="success", logon_type="remote"),
        ev("web", "bob", at(2), "visit", event_id="bob-web", domain="example.org"),
        ev("peripheral", "ann", at(23.5), "connect", event_id="usb", device_kind="usb"),
        ev("file", "ann", at(25), "copy", event_id="far-after", path="C:\\x\\new.txt"),
    ]
    lake = make_lake(tmp_path / "lake", events)
    with lake.transaction("windows") as txn:
        rows = [windows_row("win-4624", at(3), "ann", "PC-ann", 4624),
                windows_row("win-other", at(3), "carl", "PC-carl", 4688)]
        txn.stage("windows", pa.Table.from_pylist(rows, schema=CORE_SCHEMA), 0)
        txn.commit({})
    return lake


def ids(timeline: Any) -> list[str]:
    return [e.event_id for e in timeline.events]


def test_window_around_spans_hours_either_side_of_first_and_last() -> None:
    w = window_around([at(5), at(-2), at(1)], hours=24)
    assert w == Window(at(-26), at(29))
    assert window_around([T0.replace(tzinfo=None)], hours=1.5) == Window(at(-1.5), at(1.5))
    assert window_around([at(0)], hours=0) == Window(at(0), at(0))


def test_window_around_refuses_nothing_and_negative_hours() -> None:
    with pytest.raises(TimelineError, match="at least one alert time"):
        window_around([])
    with pytest.raises(TimelineError, match="window hours must be between 0 and 8784, not -1"):
        window_around([T0], hours=-1)


def test_timeline_holds_the_people_and_hosts_events_in_the_window_only(lake: Lake) -> None:
    w = window_around([T0])
    tl = build_timeline(lake, ["ann"], ["PC-ann"], w.start, w.end, ["read"])
    # far-before (-30 h) and far-after (+25 h) fall outside; bob's logon on PC-ann is in
    # (host), bob's web visit on his own machine is not; carl's Windows event is not
    assert ids(tl) == ["copy", "mail", "read", "bob-on-ann", "win-4624", "usb"]
    assert [e.marked for e in tl.events] == [False, False, True, False, False, False]
    assert tl.counts == {"authentication": 1, "peripheral": 1, "file": 1, "email": 1,
                         "web": 0, "datastore": 1, "process": 0, "finding": 0, "windows": 1}
    assert set(tl.counts) == set(CLASSES) and tl.total == 6 and not tl.truncated
    assert (tl.people, tl.hosts, tl.limit) == (("ann",), ("PC-ann",), 2000)


def test_each_event_is_described_from_its_columns(lake: Lake) -> None:
    w = window_around([T0])
    by_id = {e.event_id: e for e in build_timeline(lake, ["ann"], ["PC-ann"], w.start,
                                                   w.end, ()).events}
    assert by_id["copy"].summary == "copied report.xlsx to removable media"
    assert by_id["mail"].summary == "emailed 3 recipients (2 external) with 1 attachment"
    assert by_id["read"].summary == ("read 12,000 records from profiles_eu (region EU, "
                                     "restricted), no ticket")
    assert by_id["bob-on-ann"].summary == "logon (remote)"
    assert by_id["bob-on-ann"].user == "bob" and by_id["bob-on-ann"].host == "PC-ann"
    assert by_id["win-4624"].summary == ("Windows event 4624 in Security from "
                                         "Microsoft-Windows-Security-Auditing")
    assert (by_id["win-4624"].cls, by_id["win-4624"].activity) == ("windows", "event 4624")
    assert by_id["usb"].summary == "connected usb device"
    assert by_id["read"].time == at(0) and by_id["read"].source == "test"


def test_window_ends_are_included_and_days_outside_are_not_read(lake: Lake) -> None:
    tl = build_timeline(lake, ["ann"], [], at(-23), at(-1), ())
    assert ids(tl) == ["copy", "mail"]
    naive = build_timeline(lake, ["ann"], [], at(-23).replace(tzinfo=None),
                           at(-1).replace(tzinfo=None), ())
    assert ids(naive) == ids(tl)


def test_a_person_alone_or_a_host_alone(lake: Lake) -> None:
    w = window_around([T0])
    assert ids(build_timeline(lake, ["bob"], [], w.start, w.end, ())) == ["bob-on-ann",
                                                                          "bob-web"]
    assert ids(build_timeline(lake, [], ["PC-ann"], w.start, w.end, ())) == [
        "copy", "mail", "read", "bob-on-ann", "win-4624", "usb"]
    empty = build_timeline(lake, [], [], w.start, w.end, ())
    assert empty.events == () and empty.total == 0


def test_cut_keeps_marked_events_then_the_nearest_to_the_middle(lake: Lake) -> None:
    w = window_around([T0])
    tl = build_timeline(lake, ["ann"], ["PC-ann"], w.start, w.end, ["copy"], limit=3)
    # copy is marked (kept though 23 h out); then read (0 h) and bob-on-ann (1 h)
    assert ids(tl) == ["copy", "read", "bob-on-ann"]
    assert tl.truncated and tl.total == 6 and tl.counts["file"] == 1


def test_bad_span_or_limit_is_one_clear_error(lake: Lake) -> None:
    with pytest.raises(TimelineError, match=re.escape(
            "timeline end 2025-03-10T11:00:00+00:00 is before its start "
            "2025-03-10T12:00:00+00:00")):
        build_timeline(lake, ["ann"], [], at(0), at(-1), ())
    with pytest.raises(TimelineError, match="limit must be at least 1, not 0"):
        build_timeline(lake, ["ann"], [], at(0), at(1), (), limit=0)


def _alert(**kw: Any) -> AlertIn:
    base: dict[str, Any] = {"source": "watchkeeper.detect", "source_ref": "f1",
                            "title": "Copy to USB", "severity": Severity.HIGH,
                            "event_time": T0, "raw": "{}"}
    base.update(kw)
    return AlertIn(**base)


def test_alert_times_and_the_events_behind_findings(tmp_path: Path) -> None:
    finding = ev("finding", "ann", at(0), "detect", event_id="wk:1", rule_id="r",
                 title="Copy to USB", severity="high", event_refs=["copy", "usb"])
    other = ev("finding", "ann", at(1), "detect", event_id="wk:2", event_refs=["x"])
    lake = make_lake(tmp_path / "lake", [finding, other])
    alerts = [_alert(finding_ids=("wk:1",), first_seen=at(-2), last_seen=at(3)),
              _alert(source_ref="f2")]
    assert sorted(alert_times(alerts)) == [at(-2), at(0), at(0), at(3)]
    w = window_around(alert_times(alerts))
    assert alert_event_ids(lake, alerts, w) == {"wk:1", "copy", "usb"}
    assert alert_event_ids(lake, [_alert()], w) == frozenset()


def test_a_class_with_more_events_than_the_limit_is_ranked_in_the_query(
        tmp_path: Path) -> None:
    visits = [ev("web", "ann", at(h), "visit", event_id=f"w{h:+03d}", domain="example.org")
              for h in range(-20, 21, 4)]  # 11 visits: -20, -16 … +20 h
    lake = make_lake(tmp_path / "lake", visits)
    w = window_around([T0])
    tl = build_timeline(lake, ["ann"], [], w.start, w.end, ["w-20"], limit=3)
    # w-04 and w+04 are as near the middle; the tie goes to the smaller event id
    assert ids(tl) == ["w-20", "w+00", "w+04"]
    assert [e.marked for e in tl.events] == [True, False, False]
    assert tl.counts["web"] == 11 and tl.truncated
    full = build_timeline(lake, ["ann"], [], w.start, w.end, ["w-20"], limit=11)
    assert len(full.events) == 11 and not full.truncated


def test_the_direct_read_and_the_ibis_view_find_the_same_events(
        lake: Lake, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each class is read straight from its day files; the Ibis view (used on another
    engine, or when a file cannot be read) gives the same timeline."""
    w = window_around([T0])
    direct = build_timeline(lake, ["ann"], ["PC-ann"], w.start, w.end, ["copy"])
    monkeypatch.setattr(Lake, "duckdb", lambda _: None)
    assert build_timeline(lake, ["ann"], ["PC-ann"], w.start, w.end, ["copy"]) == direct
    assert ids(direct) == ["copy", "mail", "read", "bob-on-ann", "win-4624", "usb"]


def test_a_day_file_that_cannot_be_read_falls_back_to_the_view_that_skips_it(
        lake: Lake) -> None:
    w = window_around([T0])
    (broken,) = [Path(f) for f in lake.day_files("email", w.start.date(), w.end.date())]
    broken.write_bytes(b"not parquet")
    tl = build_timeline(lake, ["ann"], [], w.start, w.end, ())
    assert "mail" not in ids(tl) and "read" in ids(tl)
    assert any("email" in line for line in lake.notices())
