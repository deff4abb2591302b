"""Three teams in three time zones, their leads and analysts, on SQLite and PostgreSQL,
and a clock the tests drive.

soc-apac (Asia/Tokyo, no daylight saving), soc-eu (Europe/Berlin: summer time from
30 March 2025) and soc-us (America/New_York: from 9 March 2025) each work
mon-fri 09:00-17:00 local. soc-eu sees region eu only; soc-us and soc-apac see us
and apac (data residency keeps eu cases in the EU)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cases.casework import add_alert
from helpers.accounts import new_workspace
from watchkeeper.cases.service import CaseNew
from watchkeeper.cases.views import CaseView
from watchkeeper.ops.clock import FixedClock
from watchkeeper.security.recusal import Viewer
from watchkeeper.store import upgrade
from watchkeeper.store.models import Alert
from watchkeeper.store.url import StoreLocation
from watchkeeper.workspace import Workspace

FRI = datetime(2025, 3, 7, 15, 30, tzinfo=UTC)   # Friday: Berlin 16:30 CET, NY 10:30 EST
TEAMS = {"soc-apac": ("Asia/Tokyo", ["apac", "us"]), "soc-eu": ("Europe/Berlin", ["eu"]),
         "soc-us": ("America/New_York", ["us", "apac"])}
# ada, an admin, opens the cases: she sees every region (a soc-eu lead may not put
# another region's alert into a case)
PEOPLE = {"ada": ("admin", "soc-eu"), "lena": ("lead", "soc-eu"), "ana": ("analyst", "soc-eu"),
          "uma": ("lead", "soc-us"), "ulf": ("analyst", "soc-us"),
          "kai": ("analyst", "soc-apac")}


@dataclass
class World:
    ws: Workspace
    clock: FixedClock
    refs: int = 0

    def viewer(self, name: str = "lena") -> Viewer:
        return self.ws.case_viewer(name)

    def alert(self, region: str | None, severity: int = 4) -> int:
        self.refs += 1
        with self.ws.state.session() as s:
            ident = add_alert(s, f"ops-{self.refs}", ["ACM2278"], at=self.clock.now(),
                              severity=severity)
            s.get_one(Alert, ident).region = region
        return ident

    def case(self, region: str | None = None, *, severity: int = 4, who: str = "ada",
             team: str | None = None) -> CaseView:
        return self.ws.case_create(self.viewer(who), CaseNew(
            f"Case {self.refs + 1}", alerts=(self.alert(region, severity),), team=team))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    ws = new_workspace(tmp_path / "ws")
    if request.param == "postgres":
        url = request.getfixturevalue("pg_schemas")()
        upgrade(StoreLocation(url, "test"))
        ws.database_url = url
    clock = FixedClock(FRI)
    ws.clock = clock
    accounts = ws.accounts()
    for name, (zone, regions) in TEAMS.items():
        accounts.teams.add(name, regions)
        ws.shifts_set(name, zone, ["mon-fri 09:00-17:00"])
    for name, (role, team) in PEOPLE.items():
        accounts.users.add(name, role, [team])
    yield World(ws, clock)
    ws.close_state()
