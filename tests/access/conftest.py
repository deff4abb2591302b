"""A workspace for access governance: people from an HR feed, a data-asset catalogue in
the short form, a clock the tests drive, on SQLite and PostgreSQL.

=====  ======  ==============  ===================================================
who    region  role            note
=====  ======  ==============  ===================================================
ana    EU      SupportAgent    asks for access
eve    EU      SupportAgent    HR moves her to US from 2026-06-03
kim    EU      SupportAgent    under notice from 2026-05-15, last day 2026-06-02
leo    EU      Manager         approver
max    EU      Director        approver
ron    US      Manager         approver
sam    US      DataEngineer
=====  ======  ==============  ===================================================
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from helpers.accounts import new_workspace
from watchkeeper.ops.clock import FixedClock
from watchkeeper.store import upgrade
from watchkeeper.store.url import StoreLocation
from watchkeeper.workspace import Workspace

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
HEADER = ("id,name,email,department,team,role,manager,region,country,hire_date,"
          "notice_date,end_date,watchlists,as_of\n")
PEOPLE = [
    ("ana", "EU", "SupportAgent", "", "", "2020-01-01"),
    ("eve", "EU", "SupportAgent", "", "", "2020-01-01"),
    ("eve", "US", "SupportAgent", "", "", "2026-06-03"),
    ("kim", "EU", "SupportAgent", "2026-05-15", "2026-06-02", "2026-05-15"),
    ("leo", "EU", "Manager", "", "", "2020-01-01"),
    ("max", "EU", "Director", "", "", "2020-01-01"),
    ("ron", "US", "Manager", "", "", "2020-01-01"),
    ("sam", "US", "DataEngineer", "", "", "2020-01-01"),
]
ASSETS = ("id,name,region,sensitivity,vip\n"
          "eu-users,EU customers,EU,high,false\n"
          "us-users,US customers,US,high,no\n"
          "eu-vip,EU prominent customers,EU,restricted,true\n")


def hr_feed(path: Path) -> Path:
    lines = [HEADER]
    for user, region, role, notice, end, as_of in PEOPLE:
        lines.append(f"{user},{user.title()},{user}@corp.example,Ops,Support {region},"
                     f"{role},,{region},XX,2020-01-01,{notice},{end},,{as_of}\n")
    path.write_text("".join(lines))
    return path


@dataclass
class World:
    ws: Workspace
    clock: FixedClock


def make_world(tmp_path: Path, url: str | None) -> World:
    ws = new_workspace(tmp_path / "ws")
    if url is not None:
        upgrade(StoreLocation(url, "test"))
        ws.database_url = url
    clock = FixedClock(NOW)
    ws.clock = clock
    ws.ingest([hr_feed(tmp_path / "hr.csv")], "hr")
    (tmp_path / "assets.csv").write_text(ASSETS)
    ws.ingest([tmp_path / "assets.csv"], "assets")
    return World(ws, clock)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    url = request.getfixturevalue("pg_schemas")() if request.param == "postgres" else None
    made = make_world(tmp_path, url)
    yield made
    made.ws.close_state()
    made.ws.lake.close()
