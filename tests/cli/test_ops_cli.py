"""`watchkeeper shifts|sla|notifications|teams seed` as a person runs them: JSON, one
error line and exit code 1, output within 80 columns. The CLI runs on the machine's
clock, so nothing here depends on who is on shift now; hand-offs are written through
the facade at a time the test gives."""

from __future__ import annotations

import json
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from cases.casework import add_alert
from helpers.accounts import new_workspace
from helpers.cli import run_cli
from watchkeeper.cases.service import CaseNew

TEAMS_YML = """\
teams:
  soc-eu:
    regions: [eu]
    timezone: Europe/Berlin
    shifts: [mon-fri 08:00-16:00]
    holidays: {2030-12-25: Christmas Day}
  soc-us:
    regions: [us]
    timezone: America/New_York
    shifts: [mon-fri 09:00-17:00]
sla:
  high: {acknowledge: 1h, resolve: 8h, clock: business}
"""


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, timeout=120)


def run(ws: Path, *args: str) -> Any:
    done = cli("-w", str(ws), *args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def refused(ws: Path, *args: str) -> str:
    done = cli("-w", str(ws), *args)
    assert done.returncode == 1 and done.stdout == "", done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    return lines[0]


def text(ws: Path, *args: str) -> str:
    done = cli("-w", str(ws), *args)
    assert done.returncode == 0, done.stderr
    assert max(len(line) for line in done.stdout.splitlines()) <= 80, done.stdout
    return done.stdout


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("opscli") / "ws"
    workspace = new_workspace(root)
    accounts = workspace.accounts()
    accounts.teams.add("leads", ["*"])          # lena sees every region's cases
    accounts.users.add("lena", "lead", ["leads"])
    workspace.close_state()
    return root


def test_seed_then_show_and_change_shifts(ws: Path, tmp_path: Path) -> None:
    path = tmp_path / "teams.yml"
    path.write_text(TEAMS_YML)
    seeded = run(ws, "teams", "seed", str(path))
    assert [t["calendar"] for t in seeded["teams"]] == ["set", "set"]
    assert "calendar kept" in text(ws, "teams", "seed", str(path))
    shown = run(ws, "shifts", "show", "soc-eu")
    assert shown[0]["timezone"] == "Europe/Berlin" and shown[0]["holidays"][0]["name"] == \
        "Christmas Day"
    changed = run(ws, "shifts", "set", "soc-us", "--tz", "America/Chicago", "-H",
                  "mon-fri 08:00-12:00", "--hours", "mon-fri 13:00-17:00", "--grace", "45")
    assert changed["hours"][:2] == ["mon 08:00-12:00", "mon 13:00-17:00"]
    assert changed["handoff_grace_minutes"] == 45
    assert "America/Chicago" in text(ws, "shifts", "show")
    day = run(ws, "shifts", "holiday", "soc-us", "2030-07-04", "--name", "Independence Day")
    assert day == {"day": "2030-07-04", "name": "Independence Day"}
    assert run(ws, "shifts", "holiday", "soc-us", "2030-07-04", "--remove")["day"] == \
        "2030-07-04"


@pytest.mark.parametrize(("args", "message"), [
    (("shifts", "set", "soc-eu", "--tz", "Europe/Berln", "-H", "mon 08:00-16:00"),
     "error: timezone: 'Europe/Berln': not an IANA time zone"),
    (("shifts", "set", "soc-eu", "--tz", "UTC", "-H", "weekdays 08:00-16:00"),
     "error: hours: days 'weekdays': expected mon..sun"),
    (("shifts", "set", "nobody", "--tz", "UTC", "-H", "mon 08:00-16:00"),
     "error: no team named 'nobody'"),
    (("shifts", "holiday", "soc-eu", "2030-02-30"), "error: DAY '2030-02-30': not a day"),
    (("sla", "policy", "high", "--ack", "soon", "--resolve", "1d"),
     "error: acknowledge: 'soon': expected a duration"),
    (("sla", "policy", "high"), "error: sla policy: give --ack and --resolve"),
    (("sla", "show", "42", "--as", "lena"), "error: case 42: no such case"),
    (("shifts", "ack", "42", "--as", "lena"), "error: hand-off 42: no such hand-off"),
    (("sla", "report", "--since", "March"), "error: --since 'March': not a day"),
])
def test_bad_input_is_one_line(ws: Path, args: tuple[str, ...], message: str) -> None:
    assert refused(ws, *args).startswith(message)


def test_a_case_s_clocks_pause_resume_and_report(ws: Path) -> None:
    from watchkeeper.workspace import Workspace
    workspace = Workspace.open(ws, create=False)
    with workspace.state.session() as s:
        alert = add_alert(s, "cli-1", ["ACM2278"])
    case = workspace.case_create(workspace.case_viewer("lena"), CaseNew("USB", alerts=(alert,)))
    workspace.close_state()
    cid = str(case.id)
    run(ws, "sla", "policy", "high", "--ack", "30m", "--resolve", "4h", "--clock", "wall")
    assert [p["severity_name"] for p in run(ws, "sla", "show")] == ["high"]
    assert "high" in text(ws, "sla", "show")
    paused = run(ws, "sla", "pause", cid, "--party", "HR", "--reason", "leaver's last day",
                 "--as", "lena")
    assert paused["waiting_on"] == "HR" and paused["resolve"]["state"] == "paused"
    again = refused(ws, "sla", "pause", cid, "--party", "Legal", "--reason", "again", "--as",
                    "lena")
    assert "is paused already, waiting on HR" in again
    assert run(ws, "sla", "resume", cid, "--as", "lena")["waiting_on"] is None
    acked = run(ws, "sla", "ack", cid, "--as", "lena")
    assert acked["acknowledge"]["state"] == "met" and acked["acknowledged_by"] == "lena"
    assert "acknowledge: met at" in text(ws, "sla", "show", cid, "--as", "lena")
    report = run(ws, "sla", "report")
    assert report["cases"] == 1 and report["overall"]["ack_met"] == 1
    assert "overall" in text(ws, "sla", "report")


def test_handoff_print_list_and_acknowledge(ws: Path) -> None:
    from watchkeeper.workspace import Workspace
    workspace = Workspace.open(ws, create=False)
    workspace.handoffs_due(workspace.clock.now() + timedelta(days=4))  # a weekday end passed
    workspace.close_state()
    listed = run(ws, "shifts", "handoff", "--list", "--team", "soc-eu")   # from or to it
    assert listed and all("soc-eu" in (h["team"], h["to_team"]) for h in listed)
    latest = next(h for h in listed if h["team"] == "soc-eu")
    shown = run(ws, "shifts", "handoff", "--team", "soc-eu", "--as", "lena")
    assert shown["handoff"]["id"] == latest["id"]
    printed = text(ws, "shifts", "handoff", "--team", "soc-eu", "--as", "lena")
    assert printed.startswith(f"Hand-off {latest['id']}: soc-eu ->")
    ident = str(latest["id"])
    assert run(ws, "shifts", "ack", ident, "--as", "lena")["state"] == "acknowledged"
    assert "was acknowledged by lena" in refused(ws, "shifts", "ack", ident, "--as", "lena")
    assert run(ws, "notifications", "--as", "lena", "--all") is not None
