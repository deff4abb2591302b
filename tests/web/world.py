"""A workspace for the dashboard's tests: the tiny HR lake of `cases.casework` (ACM2278
reports to PEER), accounts that sign in with a password, and alerts in two regions.

- lee: lead in soc-eu (sees eu and unregioned alerts), may reveal
- bob: analyst in soc-eu; PEER is the person behind him when a test says so
- uma: lead in soc-us
- audrey: auditor (reads no case content)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from httpx import Response

from cases.casework import T0, add_alert, build_lake
from helpers.accounts import ADMIN_PASSWORD, new_workspace
from watchkeeper.cases.rollups import rebuild
from watchkeeper.ops.clock import FixedClock
from watchkeeper.workspace import Workspace

PASSWORD = ADMIN_PASSWORD
NOW = datetime(2010, 1, 10, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Alerts:
    eu: tuple[int, ...]      # about ACM2278, region eu
    us: int                  # about REP, region us
    subject: str             # ACM2278's pseudonym


def build_world(root: Path, database_url: str | None) -> tuple[Workspace, Alerts]:
    ws = new_workspace(root, database_url)
    ws.close_state()
    build_lake(root)
    ws = Workspace.open(root, create=False)
    ws.clock = FixedClock(NOW)
    accounts = ws.accounts()
    accounts.teams.add("soc-eu", ["eu"])
    accounts.teams.add("soc-us", ["us"])
    for name, role, team in (("lee", "lead", "soc-eu"), ("bob", "analyst", "soc-eu"),
                             ("uma", "lead", "soc-us"), ("audrey", "auditor", None)):
        accounts.users.add(name, role, [team] if team else [], password=PASSWORD)
    with ws.state.session() as s:
        eu = tuple(add_alert(s, f"eu-{i}", ["ACM2278"], hosts=["PC-6377"],
                             at=T0 + timedelta(hours=i), severity=2 + i, region="eu",
                             findings=[f"f-{i}"])
                   for i in range(3))
        us = add_alert(s, "us-1", ["REP"], hosts=["PC-1111"], at=T0, severity=5,
                       region="us")
        rebuild(s)   # alerts added past the intake: the overview's rollup counts them
    return ws, Alerts(eu, us, ws.pseudonymizer().pseudonym("ACM2278"))


def csrf_of_page(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def sign_in(client: TestClient, name: str, password: str = PASSWORD) -> Response:
    client.cookies.clear()
    token = csrf_of_page(client.get("/login").text)
    return client.post("/login", data={"csrf": token, "name": name, "password": password,
                                       "next": "/alerts"}, follow_redirects=False)


def signed_in(client: TestClient, name: str) -> str:
    """Sign `name` in; returns the CSRF token of their session."""
    done = sign_in(client, name)
    assert done.status_code == 303, done.text
    return csrf_of_page(client.get("/alerts").text)
