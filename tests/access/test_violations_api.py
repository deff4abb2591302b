"""Violations and legal holds over the API and the scheduler, on both stores: leads list,
show and resolve violations (once), place, list and release holds, and hold a case's
people from its first alert's day; analysts are refused; bad input is 422 naming the
field. The ``violations`` job finds and queues violations after an ingest, and skips a
run when nothing was ingested since."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from helpers.accounts import add_accounts, bearer, new_workspace
from ueba.lakes import ev, make_lake
from watchkeeper.api import create_app
from watchkeeper.cases.queue import AlertQuery
from watchkeeper.cases.service import CaseNew
from watchkeeper.workspace import Workspace

T = datetime(2025, 1, 6, 10)
HR = ("id,name,email,department,team,role,manager,region,country,hire_date,notice_date,"
      "end_date,watchlists\n"
      "amy,Amy,amy@corp.example,Ops,T,Analyst,,US,US,2020-01-01,,,\n"
      "bea,Bea,bea@corp.example,Ops,T,Analyst,,US,US,2020-01-01,,,\n")


@dataclass(frozen=True)
class World:
    client: TestClient
    ws: Workspace
    tokens: dict[str, str]

    def call(self, method: str, path: str, who: str, body: object = None,
             params: dict[str, str] | None = None) -> Response:
        return self.client.request(method, f"/api/v1{path}", json=body, params=params,
                                   headers=bearer(self.tokens[who]))


def workspace(tmp_path: Path, url: str | None) -> Workspace:
    ws = new_workspace(tmp_path / "ws", url)
    # amy exports EU customers' records on three days from the US, no ticket (three
    # cross-region violations); bea reads her own region's store (none)
    events = [ev("datastore", "amy", T + timedelta(days=d), "export", dataset="p_eu",
                 data_region="EU", record_count=9000, region="US",
                 sensitivity="restricted") for d in range(3)]
    events += [ev("datastore", "bea", T + timedelta(days=d), "read", dataset="p_us",
                  data_region="US", record_count=3, region="US", sensitivity="restricted")
               for d in range(3)]
    make_lake(ws.root / "lake", events).close()
    (tmp_path / "hr.csv").write_text(HR)
    ws.ingest([tmp_path / "hr.csv"], "hr")    # an ingest commit: the job's trigger
    return ws


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    url = request.getfixturevalue("pg_schemas")() if request.param == "postgres" else None
    ws = workspace(tmp_path, url)
    seeded = add_accounts(ws)
    accounts = ws.accounts()
    accounts.users.add("lee", "lead", ["soc-eu"])
    tokens = {"alice": seeded.admin, "bob": seeded.analyst,
              "lee": accounts.tokens.create("lee", "t").token}
    with TestClient(create_app(ws)) as client:
        yield World(client, ws, tokens)
    ws.close_state()
    ws.lake.close()


def refused(response: Response, status: int) -> str:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    return str(error.get("field") or error["message"])


def test_the_job_finds_and_queues_violations_once(world: World) -> None:
    [first] = world.ws.scheduler_run_once(["violations"])
    assert first.outcome == "ok", (first.summary, first.error)
    assert (first.summary or "").startswith("3 violation(s) (cross_region 3), 3 new; queued 3 new")
    queued = world.ws.alerts_sync()   # nothing left to queue: the job did
    assert queued.intake.new == 0
    [again] = world.ws.scheduler_run_once(["violations"])
    assert again.summary == "no new data since the last run"
    assert {v.user for v in world.ws.violations(limit=0)} == {"amy"}


def test_violations_listed_shown_and_resolved_once(world: World) -> None:
    world.ws.violations_detect()
    listed = world.call("GET", "/access/violations", "lee")
    assert listed.status_code == 200, listed.text
    found = listed.json()
    assert [(v["kind"], v["user"], v["state"]) for v in found] == \
        [("cross_region", "amy", "open")] * 3
    assert found[0]["day"] == "2025-01-08" and len(found[0]["event_refs"]) == 1
    ident = found[0]["id"]
    shown = world.call("GET", f"/access/violations/{ident}", "lee").json()
    assert shown == found[0]
    done = world.call("POST", f"/access/violations/{ident}/resolve", "lee",
                      {"resolution": "remediated", "note": "export deleted"})
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "resolved"
    assert done.json()["resolution"]["resolved_by"] == "lee"
    assert "resolved already" in refused(world.call(
        "POST", f"/access/violations/{ident}/resolve", "alice",
        {"resolution": "authorized", "note": "x"}), 409)
    still_open = world.call("GET", "/access/violations", "lee", params={"status": "open"})
    assert len(still_open.json()) == 2
    closed = world.call("GET", "/access/violations", "lee", params={"status": "resolved"})
    assert [v["id"] for v in closed.json()] == [ident]
    assert refused(world.call("POST", f"/access/violations/{ident}/resolve", "lee",
                              {"resolution": "forgiven", "note": "x"}), 422) == \
        "resolution"
    assert refused(world.call("GET", "/access/violations/wk:00", "lee"), 404)
    assert refused(world.call("GET", "/access/violations/nope", "lee"), 422)
    assert refused(world.call("GET", "/access/violations", "bob"), 403)
    audit = [e.action for e in world.ws.audit_entries().items]
    assert audit.count("access.violation.resolve") == 1


def test_holds_placed_listed_released_and_from_a_case(world: World) -> None:
    made = world.call("POST", "/holds", "lee", {"person": "bea", "since": "2025-01-01",
                                                "reason": "litigation"})
    assert made.status_code == 201, made.text
    assert made.json()["active"] is True and made.json()["placed_by"] == "lee"
    assert refused(world.call("POST", "/holds", "lee", {
        "person": "bea", "since": "2025-02-01", "until": "2025-01-01", "reason": "x"}),
        422) == "until"
    assert [h["person"] for h in world.call("GET", "/holds", "lee").json()] == ["bea"]
    gone = world.call("POST", f"/holds/{made.json()['id']}/release", "lee")
    assert gone.status_code == 200 and gone.json()["active"] is False
    assert refused(world.call("POST", f"/holds/{made.json()['id']}/release", "lee"), 409)
    assert world.call("GET", "/holds", "lee").json() == []
    assert len(world.call("GET", "/holds", "lee", params={"all": "true"}).json()) == 1
    # a case about amy's violations: one hold on amy from the first violation's day
    world.ws.violations_detect()
    world.ws.alerts_sync()
    ids = tuple(a.id for a in world.ws.alerts_list(AlertQuery()).items)
    assert len(ids) == 3
    case = world.ws.case_create(world.ws.case_viewer("alice"), CaseNew("amy's exports",
                                                                       alerts=ids))
    held = world.call("POST", "/holds/from-case", "alice",
                      {"case_id": case.id, "reason": "regulator request"})
    assert held.status_code == 201, held.text
    assert [(h["person"], h["since"], h["until"], h["case_ref"]) for h in held.json()] == \
        [("amy", date(2025, 1, 6).isoformat(), None, str(case.id))]
    assert refused(world.call("POST", "/holds/from-case", "alice",
                              {"case_id": case.id + 1, "reason": "x"}), 404)
    assert refused(world.call("GET", "/holds", "bob"), 403)
