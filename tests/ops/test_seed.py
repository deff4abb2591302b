"""teams.yml seeds teams, calendars, holidays and SLA policies; the store stays the truth
(what it has is kept unless replaced); a bad file names file, line and field and
writes nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from ops.conftest import World
from watchkeeper.errors import InputError, OpsError

SEED = """\
teams:
  soc-eu:                      # exists: its calendar is kept
    regions: [eu]
    timezone: Europe/Paris
    shifts: [mon-fri 08:00-18:00]
  soc-latam:
    regions: [latam, us]
    timezone: America/Sao_Paulo
    shifts:
      - mon-fri 09:00-18:00
      - sat 09:00-13:00
    holidays:
      2025-03-03: Carnaval
      2025-03-04: Carnaval
    handoff_grace: 45m
sla:
  high: {acknowledge: 1h, resolve: 8h, clock: business, escalate_team: soc-latam}
  5: {acknowledge: 15m, resolve: 4h}
"""


def seed_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "teams.yml"
    path.write_text(text)
    return path


def test_seeding_adds_what_is_missing_and_keeps_what_is_stored(world: World,
                                                               tmp_path: Path) -> None:
    report = world.ws.teams_seed(seed_file(tmp_path, SEED))
    done = {t.name: t for t in report.teams}
    assert (done["soc-eu"].created, done["soc-eu"].calendar) == (False, "kept")
    assert (done["soc-latam"].created, done["soc-latam"].calendar) == (True, "set")
    assert done["soc-latam"].holidays_added == 2 and report.policies == ("high", "critical")
    (latam,) = world.ws.shifts_show("soc-latam")
    assert latam.timezone == "America/Sao_Paulo" and latam.handoff_grace_minutes == 45
    assert "sat 09:00-13:00" in latam.hours and latam.regions == ("latam", "us")
    assert [h.day for h in world.ws.holidays("soc-latam")] == [date(2025, 3, 3),
                                                                date(2025, 3, 4)]
    (eu,) = world.ws.shifts_show("soc-eu")
    assert eu.timezone == "Europe/Berlin"                         # the store is the truth
    policy = {p.severity_name: p for p in world.ws.sla_policies()}
    assert policy["high"].escalate_team == "soc-latam" and policy["critical"].clock == "wall"
    again = world.ws.teams_seed(seed_file(tmp_path, SEED))
    assert {t.calendar for t in again.teams} == {"kept"} and again.policies_kept == (
        "high", "critical")
    replaced = world.ws.teams_seed(seed_file(tmp_path, SEED), replace=True)
    assert {t.name: t.calendar for t in replaced.teams}["soc-eu"] == "replaced"
    assert world.ws.shifts_show("soc-eu")[0].timezone == "Europe/Paris"


@pytest.mark.parametrize(("text", "message"), [
    ("teams:\n  x:\n    regions: [eu]\n    timezone: Europe/Berln\n    shifts: [mon 08:00-16:00]\n",
     r"teams.yml:4 teams.x.timezone: 'Europe/Berln': not an IANA time zone"),
    ("teams:\n  x:\n    regions: [eu]\n    timezone: UTC\n    shifts:\n      - mon 8-16\n",
     r"teams.yml:6 teams.x.shifts\[0\]: 'mon 8-16': expected a time range"),
    ("teams:\n  x:\n    regions: [eu]\n    timezone: UTC\n",
     r"teams.yml:3 teams.x: give both timezone and shifts, or neither"),
    ("teams:\n  x:\n    regions: [eu]\n    holidays: [2025-02-30]\n",
     r"teams.yml:4 teams.x.holidays.2025-02-30: '2025-02-30': not a day"),
    ("teams:\n  x:\n    colour: red\n", r"teams.yml:3 teams.x.colour: unknown key"),
    ("teams:\n  x:\n    timezone: UTC\n    shifts: [daily 00:00-24:00]\n",
     r"teams.yml:3 teams.x.regions: give at least one region"),
    ("sla:\n  high: {acknowledge: 2h, resolve: 1h}\n",
     r"teams.yml:2 sla.high: resolve: a case cannot be due resolved"),
    ("sla:\n  urgent: {acknowledge: 1h, resolve: 2h}\n",
     r"teams.yml:2 sla.urgent: 'urgent': expected 0-6"),
    ("people: []\n", r"teams.yml:1 people: unknown section"),
])
def test_a_bad_file_names_its_line_and_field_and_writes_nothing(
        world: World, tmp_path: Path, text: str, message: str) -> None:
    before = world.ws.shifts_show()
    with pytest.raises(OpsError, match=message):
        world.ws.teams_seed(seed_file(tmp_path, text))
    assert world.ws.shifts_show() == before and world.ws.sla_policies() == ()


def test_a_team_refused_late_undoes_the_teams_before_it(world: World, tmp_path: Path) -> None:
    text = ("teams:\n  soc-new:\n    regions: [eu]\n    timezone: UTC\n"
            "    shifts: [daily 00:00-06:00]\n  soc-bad:\n    timezone: UTC\n"
            "    shifts: [daily 06:00-12:00]\n")
    with pytest.raises(OpsError, match=r"teams.yml:7 teams.soc-bad.regions"):
        world.ws.teams_seed(seed_file(tmp_path, text))
    assert "soc-new" not in {t.team for t in world.ws.shifts_show()}


def test_a_file_that_is_not_yaml(world: World, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"teams.yml:3:1: not valid YAML"):
        world.ws.teams_seed(seed_file(tmp_path, "teams:\n  x: [\n"))
    with pytest.raises(InputError, match=r"missing\.yml: No such file"):
        world.ws.teams_seed(tmp_path / "missing.yml")
