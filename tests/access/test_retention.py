"""Retention purges: day partitions past their keeping time go in one commit, per region
and class; rows of people under a legal hold on those days never go."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ueba.lakes import ev, make_lake
from watchkeeper.config import RetentionSettings
from watchkeeper.lake import Lake
from watchkeeper.lake.check import check as check_lake
from watchkeeper.lake.retention import HeldSpan, purge

TODAY = date(2025, 3, 31)


def _lake(root: Path, web: bool = True) -> Lake:
    start = datetime(2025, 1, 1, 12)
    events = []
    for d in range(90):                      # Jan 1 .. Mar 31
        for user, region in (("alice", "EU"), ("bob", "US")):
            when = start + timedelta(days=d)
            if web:
                events.append(ev("web", user, when, "visit", region=region, url="http://x"))
            events.append(ev("datastore", user, when, "read", region=region,
                             dataset="p", record_count=1))
    return make_lake(root, events)


def _days(lake: Lake, cls: str, user: str) -> list[date]:
    t = lake.table(cls)
    return sorted(t.filter(t.user == user).day.to_pyarrow().to_pylist())


def _settings(**kw: object) -> RetentionSettings:
    return RetentionSettings.model_validate(kw)


def _run(lake: Lake, s: RetentionSettings, holds: list[HeldSpan], dry_run: bool = False):  # type: ignore[no-untyped-def]
    return purge(lake, s.days, list(s.regions), holds, TODAY, dry_run=dry_run)


def test_purge_by_class_and_region_in_one_commit(tmp_path: Path) -> None:
    lake = _lake(tmp_path)
    s = _settings(classes={"web": 30}, regions={"eu": {"datastore": 60}})
    seq = lake.manifest().seq
    dry = _run(lake, s, [], dry_run=True)
    assert lake.manifest().seq == seq and dry.commit is None
    done = _run(lake, s, [])
    assert done.commit == seq + 1 and lake.manifest().seq == seq + 1
    assert (dry.rows_removed, dry.classes) == (done.rows_removed, done.classes)
    cutoff = TODAY - timedelta(days=30)
    assert _days(lake, "web", "alice")[0] == cutoff == _days(lake, "web", "bob")[0]
    # EU datastore rows keep 60 days; US ones have no setting and stay
    assert _days(lake, "datastore", "alice")[0] == TODAY - timedelta(days=60)
    assert _days(lake, "datastore", "bob")[0] == date(2025, 1, 1)
    assert done.rows_removed == 2 * 59 + 29     # Jan 1 - Feb 28 of web; Jan 1 - 29 of EU
    commit = lake.manifest().commits[-1]
    assert commit.kind == "retention-purge" and commit.summary["rows"] == done.rows_removed
    assert check_lake(lake).ok
    assert _run(lake, s, []).commit is None          # nothing left to purge


def test_held_people_and_days_stay(tmp_path: Path) -> None:
    lake = _lake(tmp_path)
    hold = HeldSpan("alice", date(2025, 1, 10), date(2025, 1, 20))
    done = _run(lake, _settings(default_days=30), [hold])
    alice = _days(lake, "web", "alice")
    assert alice[:11] == [date(2025, 1, 10) + timedelta(days=k) for k in range(11)]
    assert alice[11] == TODAY - timedelta(days=30)
    assert _days(lake, "web", "bob")[0] == TODAY - timedelta(days=30)
    assert done.rows_held == 2 * 11
    assert check_lake(lake).ok


@pytest.mark.slow
@settings(max_examples=10, deadline=None)
@given(keep=st.integers(1, 100), first=st.integers(0, 95), length=st.integers(0, 40),
       open_ended=st.booleans())
def test_retention_never_touches_held_data(tmp_path_factory: pytest.TempPathFactory,
                                           keep: int, first: int, length: int,
                                           open_ended: bool) -> None:
    lake = _lake(tmp_path_factory.mktemp("held"), web=False)
    since = date(2025, 1, 1) + timedelta(days=first)
    hold = HeldSpan("bob", since, None if open_ended else since + timedelta(days=length))
    held_before = [d for d in _days(lake, "datastore", "bob") if hold.covers(d)]
    _run(lake, _settings(default_days=keep), [hold])
    after = _days(lake, "datastore", "bob")
    assert all(d in after for d in held_before)
    assert all(hold.covers(d) or d >= TODAY - timedelta(days=keep) for d in after)


def test_settings_name_the_bad_field() -> None:
    with pytest.raises(ValueError, match="'mail' is not an event class"):
        _settings(classes={"mail": 3})
    with pytest.raises(ValueError, match="0 days"):
        _settings(regions={"EU": {"default": 0}})
    s = _settings(default_days=400, classes={"web": 30}, regions={"eu": {"default": 90}})
    assert (s.days("EU", "web"), s.days("US", "web"), s.days(None, "email")) == (90, 30, 400)
