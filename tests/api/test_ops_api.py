"""The operations routes on SQLite with the clock fixed: shifts and holidays (leads and
admins change them), SLA policies and a case's clocks (acknowledge, pause, resume),
hand-offs (read with the cases one may open, acknowledged by the receiving team),
the compliance report and notifications; errors in the one error body."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from cases.casework import add_alert
from helpers.accounts import Seeded, bearer, seed
from watchkeeper.api import create_app
from watchkeeper.ops.clock import FixedClock
from watchkeeper.store.models import Alert
from watchkeeper.workspace import Workspace

API = "/api/v1"
FRI = datetime(2025, 3, 7, 15, 30, tzinfo=UTC)


@dataclass(frozen=True)
class World:
    client: TestClient
    ws: Workspace
    seeded: Seeded
    clock: FixedClock
    lead: str            # lena: a lead in soc-us

    def call(self, method: str, path: str, token: str, **kwargs: object) -> Response:
        return self.client.request(method, API + path, headers=bearer(token),
                                   **kwargs)  # type: ignore[arg-type]

    def ok(self, method: str, path: str, token: str, **kwargs: object) -> object:
        done = self.call(method, path, token, **kwargs)
        assert done.status_code in (200, 201), done.text
        return done.json()

    def case(self, region: str | None) -> int:
        with self.ws.state.session() as s:
            alert = add_alert(s, f"api-{region}-{self.clock.now():%H%M%S%f}", ["ACM2278"],
                              at=self.clock.now())
            s.get_one(Alert, alert).region = region
        made = self.ok("POST", "/cases", self.seeded.analyst,
                       json={"title": "USB copies", "alerts": [alert]})
        assert isinstance(made, dict)
        return int(made["id"])


def error(response: Response, status: int, kind: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert list(body) == ["error"] and body["error"]["type"] == kind
    return str(body["error"]["message"])


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("WATCHKEEPER_DATABASE_URL", raising=False)
        seeded = seed(tmp_path_factory.mktemp("opsapi") / "ws")
        ws = seeded.workspace
        clock = FixedClock(FRI)
        ws.clock = clock
        accounts = ws.accounts()
        accounts.teams.add("soc-us", ["us"])
        accounts.users.add("lena", "lead", ["soc-us"])
        accounts.users.add("ulf", "analyst", ["soc-us"])
        lead = accounts.tokens.create("lena", "test").token
        with TestClient(create_app(ws)) as client:
            yield World(client, ws, seeded, clock, lead)


def test_shifts_are_set_by_leads_and_admins_and_read_by_analysts(world: World) -> None:
    body = {"timezone": "Europe/Berlin", "hours": ["mon-fri 09:00-17:00"]}
    error(world.call("PUT", "/shifts/soc-eu", world.seeded.analyst, json=body), 403,
          "forbidden")
    error(world.call("GET", "/shifts", world.seeded.auditor), 403, "forbidden")
    shown = world.ok("PUT", "/shifts/soc-eu", world.seeded.admin, json=body)
    assert isinstance(shown, dict) and shown["on_shift"] and shown["shift_ends"] == \
        "2025-03-07T16:00:00Z"
    world.ok("PUT", "/shifts/soc-us", world.lead, json={
        "timezone": "America/New_York", "hours": ["mon-fri 09:00-17:00"],
        "handoff_grace_minutes": 20})
    listed = world.ok("GET", "/shifts", world.seeded.analyst)
    assert isinstance(listed, list) and [t["team"] for t in listed] == ["soc-eu", "soc-us"]
    bad = world.call("PUT", "/shifts/soc-eu", world.seeded.admin,
                     json={"timezone": "Europe/Berln", "hours": ["mon 08:00-16:00"]})
    assert "not an IANA time zone" in error(bad, 422, "invalid")
    assert bad.json()["error"]["field"] == "timezone"
    assert error(world.call("PUT", "/shifts/soc-eu", world.seeded.admin, json={
        "timezone": "UTC", "hours": ["mon 8-16"]}), 422, "invalid").startswith("hours: ")
    error(world.call("GET", "/shifts/nobody", world.seeded.analyst), 404, "not_found")
    day = world.ok("PUT", "/shifts/soc-eu/holidays/2025-12-25", world.lead,
                   json={"name": "Christmas Day"})
    assert day == {"day": "2025-12-25", "name": "Christmas Day"}
    assert world.ok("GET", "/shifts/soc-eu/holidays", world.seeded.analyst) == [day]
    assert world.ok("DELETE", "/shifts/soc-eu/holidays/2025-12-25", world.lead) == day
    error(world.call("DELETE", "/shifts/soc-eu/holidays/2025-12-25", world.lead), 404,
          "not_found")


def test_sla_policy_case_clocks_and_the_report(world: World) -> None:
    error(world.call("PUT", "/sla/policies/high", world.seeded.analyst,
                     json={"acknowledge": "1h", "resolve": "8h"}), 403, "forbidden")
    bad = world.call("PUT", "/sla/policies/high", world.lead,
                     json={"acknowledge": "soon", "resolve": "8h"})
    assert bad.json()["error"]["field"] == "acknowledge" and bad.status_code == 422
    policy = world.ok("PUT", "/sla/policies/high", world.lead,
                      json={"acknowledge": "1h", "resolve": "8h", "clock": "business"})
    assert isinstance(policy, dict) and policy["acknowledge_seconds"] == 3600
    case = world.case("eu")
    clocks = world.ok("GET", f"/sla/cases/{case}", world.seeded.analyst)
    assert isinstance(clocks, dict) and clocks["team"] == "soc-eu"
    assert clocks["acknowledge"]["due_at"] == "2025-03-10T08:30:00Z"    # after the weekend
    paused = world.ok("POST", f"/sla/cases/{case}/pause", world.seeded.analyst,
                      json={"party": "HR", "reason": "last working day"})
    assert isinstance(paused, dict) and paused["resolve"]["state"] == "paused"
    assert "paused already" in error(world.call(
        "POST", f"/sla/cases/{case}/pause", world.seeded.analyst,
        json={"party": "HR", "reason": "again"}), 409, "conflict")
    error(world.call("POST", f"/sla/cases/{case}/pause", world.seeded.analyst,
                     json={"party": "", "reason": "x"}), 422, "invalid")
    world.ok("POST", f"/sla/cases/{case}/resume", world.seeded.analyst)
    acked = world.ok("POST", f"/sla/cases/{case}/ack", world.seeded.analyst)
    assert isinstance(acked, dict) and acked["acknowledged_by"] == "bob"
    error(world.call("POST", f"/sla/cases/{case}/ack", world.seeded.auditor), 403,
          "forbidden")
    error(world.call("GET", "/sla/cases/999", world.seeded.analyst), 404, "not_found")
    report = world.ok("GET", "/sla/report", world.seeded.analyst,
                      params={"since": "2025-03-01T00:00:00", "until": "2025-04-01T00:00:00"})
    assert isinstance(report, dict) and report["overall"]["ack_met"] >= 1
    assert {r["group"] for r in report["by_region"]} >= {"eu"}


def test_handoffs_are_read_and_acknowledged_and_breaches_notify(world: World) -> None:
    world.ok("PUT", "/sla/policies/critical", world.lead,
             json={"acknowledge": "15m", "resolve": "4h", "clock": "wall"})
    with world.ws.state.session() as s:
        alert = add_alert(s, "api-crit", ["ACM2278"], at=world.clock.now(), severity=5)
        s.get_one(Alert, alert).region = "us"
    made = world.ok("POST", "/cases", world.seeded.admin,
                    json={"title": "Exfil", "alerts": [alert]})
    assert isinstance(made, dict) and made["team"] == "soc-us"
    world.clock.advance(timedelta(minutes=40))                 # 16:10: soc-eu went off
    world.ws.handoffs_due()
    (breach,) = world.ws.sla_tick().breaches
    assert breach.case_id == made["id"]
    inbox = world.ok("GET", "/notifications", world.lead)
    assert isinstance(inbox, list) and [n["kind"] for n in inbox] == ["sla.breach"]
    read = world.ok("POST", f"/notifications/{inbox[0]['id']}/read", world.lead)
    assert isinstance(read, dict) and read["read_at"] is not None
    assert world.ok("GET", "/notifications", world.lead) == []
    listed = world.ok("GET", "/handoffs", world.seeded.analyst, params={"team": "soc-eu"})
    assert isinstance(listed, list) and listed[0]["to_team"] == "soc-us"
    latest = world.ok("GET", "/handoffs/latest", world.seeded.analyst,
                      params={"team": "soc-eu"})
    assert isinstance(latest, dict) and latest["handoff"]["id"] == listed[0]["id"]
    assert latest["items"] and latest["items"][0]["moved"] is False   # eu stays in the EU
    ident = listed[0]["id"]
    assert world.ok("GET", f"/handoffs/{ident}", world.seeded.admin) is not None
    error(world.call("POST", f"/handoffs/{ident}/ack", world.seeded.analyst), 403,
          "forbidden")                                          # bob is not in soc-us
    done = world.ok("POST", f"/handoffs/{ident}/ack", world.lead)
    assert isinstance(done, dict) and done["state"] == "acknowledged"
    error(world.call("POST", f"/handoffs/{ident}/ack", world.lead), 409, "conflict")
    error(world.call("GET", "/handoffs/999", world.seeded.analyst), 404, "not_found")
