"""The built-in jobs through the facade, on a real workspace driven by a `FixedClock`:
events become alerts in the queue (events, then detect woken at once), drop folders take
each new file once and refuse bad ones, detect and analyze skip when nothing is new,
ended suppressions are audited once; settings name jobs that exist."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from ops.events import T0, new_workspace, web
from watchkeeper.cases.queue import AlertQuery
from watchkeeper.cases.suppression import add_suppression
from watchkeeper.config import SchedulerSettings
from watchkeeper.errors import ConfigError
from watchkeeper.ops.clock import FixedClock
from watchkeeper.ops.jobs import REGISTRY, configured
from watchkeeper.ops.scheduler import JobRun
from watchkeeper.security.audit_sql import AuditFilter
from watchkeeper.workspace import Workspace

OLD = (T0 - timedelta(hours=1)).timestamp()   # a modification time long settled


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def make_ws(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[str], Workspace]:
    """A workspace (with `extra` settings) on each kind of state store."""
    def make(extra: str = "") -> Workspace:
        url = request.getfixturevalue("pg_schemas")() if request.param == "postgres" \
            else None
        return new_workspace(tmp_path / "ws", extra, url)
    return make


def by_name(runs: tuple[JobRun, ...]) -> dict[str, JobRun]:
    return {r.name: r for r in runs}


def test_a_posted_event_a_rule_matches_becomes_a_queued_alert(
        make_ws: Callable[[str], Workspace]) -> None:
    ws = make_ws("")
    clock = FixedClock(T0)
    idle = by_name(ws.scheduler_run_once(["detect"], clock))["detect"]
    assert idle.summary == "no new data since the last run"
    assert "detect" not in ws.scheduler(clock).due(clock.now())   # its next is in a minute
    ws.events_receive(json.dumps([web(1), web(2, host="example.org")]).encode(), T0)
    events = by_name(ws.scheduler_run_once(["events"], clock))["events"]
    assert events.outcome == "ok"
    assert events.summary == ("2 event(s) from 1 post(s): accepted 2, duplicates 0, "
                              "quarantined 0 (commit #1)")
    scheduler = ws.scheduler(clock)
    assert "detect" in scheduler.due(clock.now())      # woken by the new data
    detect = by_name(ws.scheduler_run_once(["detect"], clock))["detect"]
    assert detect.outcome == "ok", detect.error
    assert detect.summary is not None and "queued 1 new" in detect.summary
    alerts = ws.alerts_list(AlertQuery())
    assert [a.rule for a in alerts.items] == ["Visit to a leak site"]
    again = by_name(ws.scheduler_run_once(["detect"], clock))["detect"]
    assert again.summary == "no new data since the last run"


def test_drop_folders_take_each_new_file_once_and_refuse_bad_ones(
        make_ws: Callable[[str], Workspace], tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    ws = make_ws(f'\n[[scheduler.drop_folders]]\npath = "{drop}"\nformat = "ocsf"\n'
                 '\n[[scheduler.drop_folders]]\npath = "missing"\n')
    good = drop / "web.jsonl"
    good.write_text("\n".join(json.dumps(web(n)) for n in range(3)) + "\n")
    (drop / "notes.txt").write_text("not, ocsf\n1, 2\n")
    (drop / ".hidden.jsonl").write_text(json.dumps(web(9)) + "\n")
    (drop / "late.jsonl.part").write_text(json.dumps(web(8)) + "\n")
    for path in drop.iterdir():
        os.utime(path, (OLD, OLD))
    fresh = drop / "fresh.jsonl"             # still being written: waits
    fresh.write_text(json.dumps(web(7)) + "\n")
    os.utime(fresh, (T0.timestamp() - 2, T0.timestamp() - 2))
    clock = FixedClock(T0)
    run = by_name(ws.scheduler_run_once(["drop-folders"], clock))["drop-folders"]
    assert run.outcome == "warning"
    assert run.summary is not None
    assert run.summary.startswith("1 file(s): read 3 = accepted 3 + duplicates 0 + "
                                  "quarantined 0 (commit #1); refused 1: notes.txt: not "
                                  "OCSF JSON lines")
    assert run.summary.endswith(f"no such folder: {ws.root / 'missing'}")
    clock.advance(timedelta(minutes=1))
    run = by_name(ws.scheduler_run_once(["drop-folders"], clock))["drop-folders"]
    assert run.summary is not None and run.summary.startswith(
        "1 file(s): read 1 = accepted 1")      # fresh.jsonl has settled; nothing else
    with good.open("a") as fh:                  # a file that changes is taken in again
        fh.write(json.dumps(web(3)) + "\n")
    os.utime(good, (OLD + 1, OLD + 1))
    run = by_name(ws.scheduler_run_once(["drop-folders"], clock))["drop-folders"]
    assert run.summary is not None and run.summary.startswith(
        "1 file(s): read 4 = accepted 1 + duplicates 3")
    assert ws.lake.rows("web") == 5


def test_analyze_skips_without_new_data(make_ws: Callable[[str], Workspace]) -> None:
    ws = make_ws("")
    run = by_name(ws.scheduler_run_once(["analyze"], FixedClock(T0)))["analyze"]
    assert (run.outcome, run.summary) == ("ok", "no new data since the last run")


def test_ended_suppressions_are_audited_once(make_ws: Callable[[str], Workspace]) -> None:
    ws = make_ws("")
    with ws.state.session() as session:
        ident = add_suppression(session, {"rule": "usb_copy"}, reason="pilot", owner="lead",
                                expires_at=T0 + timedelta(hours=1), now=T0).id
    clock = FixedClock(T0)
    first = by_name(ws.scheduler_run_once(["expiry"], clock))["expiry"]
    assert first.summary == ("no suppression ended; 0 expired browser session(s) "
                             "removed; 0 grant(s) revoked on HR's word, 0 ended grant(s) "
                             "audited")
    clock.advance(timedelta(hours=2))
    second = by_name(ws.scheduler_run_once(["expiry"], clock))["expiry"]
    assert second.summary is not None and second.summary.startswith(
        f"1 suppression(s) ended (#{ident})")
    clock.advance(timedelta(hours=2))
    third = by_name(ws.scheduler_run_once(["expiry"], clock))["expiry"]
    assert third.summary is not None and third.summary.startswith("no suppression ended")
    entries = ws.audit_entries(AuditFilter(action="suppression.ended")).items
    assert [(e.actor, e.object_id) for e in entries] == [("scheduler", str(ident))]


def test_job_settings_apply_and_unknown_names_are_refused() -> None:
    jobs = {j.name: j for j in configured(SchedulerSettings.model_validate(
        {"jobs": {"detect": {"every": "5m"}, "analyze": {"enabled": False}}}))}
    assert jobs["detect"].every == timedelta(minutes=5)
    assert (jobs["analyze"].enabled, jobs["analyze"].disabled_why) == \
        (False, "disabled in watchkeeper.toml")
    assert (jobs["drop-folders"].enabled, jobs["drop-folders"].disabled_why) == \
        (False, "no [[scheduler.drop_folders]] configured")
    assert set(jobs) == set(REGISTRY)
    with pytest.raises(ConfigError, match=r"setting scheduler\.jobs\.detekt: no such job"):
        configured(SchedulerSettings.model_validate({"jobs": {"detekt": {}}}))


def test_the_job_list_shows_outcome_and_next_run(make_ws: Callable[[str], Workspace]) -> None:
    ws = make_ws("")
    clock = FixedClock(T0)
    ws.scheduler_run_once(["expiry"], clock)
    listed = {j.name: j for j in ws.scheduler_jobs(clock)}
    assert list(listed) == list(REGISTRY)
    expiry = listed["expiry"]
    assert (expiry.outcome, expiry.runs, expiry.running, expiry.last_start) == \
        ("ok", 1, False, T0)
    assert expiry.next_run == T0 + timedelta(minutes=5)
    assert listed["events"].next_run == T0 and listed["events"].outcome is None
