"""`/api/v1/rules/stats`, `/api/v1/rules/proposals` and `/api/v1/watchlists` over the tiny
HR lake: an analyst resolves a case false positive and proposes an allow-list entry, a
lead accepts it into a suppression; rule stats count the verdict in the caller's
regions; watchlist entries added and withdrawn, people as pseudonyms; the wrong role is
403, bad input 422 naming the field, in the one error body; refusals store nothing."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from cases.casework import build_lake
from helpers.accounts import Seeded, bearer, seed
from ops.feedbackwork import put_alert
from watchkeeper.api import create_app
from watchkeeper.workspace import Workspace

RULE = "insider.exfil.file_to_removable"


@dataclass(frozen=True)
class World:
    client: TestClient
    workspace: Workspace
    seeded: Seeded
    lee: str   # a lead's token (team soc-eu)

    def call(self, method: str, path: str, who: str, body: object = None) -> Response:
        token = self.lee if who == "lee" else getattr(self.seeded, who)
        return self.client.request(method, f"/api/v1{path}", json=body,
                                   headers=bearer(token))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("WATCHKEEPER_DATABASE_URL", raising=False)
        root = tmp_path_factory.mktemp("feedbackapi") / "ws"
        seeded = seed(root)
        seeded.workspace.close_state()
        build_lake(root)
        ws = Workspace.open(root, create=False)
        accounts = ws.accounts()
        accounts.users.add("lee", "lead", ["soc-eu"])
        lee = accounts.tokens.create("lee", "test").token
        for ref, region in (("a1", "eu"), ("a2", "eu"), ("a3", "us")):
            put_alert(ws.state, ref, rule=RULE, region=region)
        with TestClient(create_app(ws)) as client:
            yield World(client, ws, seeded, lee)


def refused(response: Response, status: int, kind: str) -> str:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["type"] == kind
    return str(error.get("field") or error["message"])


def test_a_proposal_from_a_false_positive_reviewed_by_a_lead(world: World) -> None:
    case = world.call("POST", "/cases", "analyst", {"title": "USB", "alerts": [1]}).json()
    world.call("POST", f"/cases/{case['id']}/resolve", "analyst",
               {"verdict": "false_positive"}).raise_for_status()
    body = {"case_id": case["id"], "field": "subject", "reason": "backups to a company stick"}
    made = world.call("POST", "/rules/proposals", "analyst", body)
    assert made.status_code == 201, made.text
    proposal = made.json()
    assert (proposal["status"], proposal["rule"], proposal["value"][:2]) == \
        ("pending", RULE, "P-")
    assert "ACM2278" not in made.text
    assert refused(world.call("POST", "/rules/proposals", "analyst", body), 409,
                   "conflict").endswith("pending already")
    assert refused(world.call("POST", f"/rules/proposals/{proposal['id']}/accept",
                              "analyst", {}), 403, "forbidden")
    assert refused(world.call("POST", "/rules/proposals", "analyst",
                              {**body, "field": "colour"}), 422, "invalid") == "field"
    done = world.call("POST", f"/rules/proposals/{proposal['id']}/accept", "lee",
                      {"expires": "2099-12-31", "note": "ok"})
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "accepted" and done.json()["suppression_id"]
    listed = world.call("GET", "/rules/proposals?status=all", "analyst").json()
    assert [p["status"] for p in listed] == ["accepted"]
    assert world.call("GET", "/rules/proposals", "analyst").json() == []

    stats = world.call("GET", "/rules/stats", "analyst").json()
    (rule,) = stats["rules"]
    assert (rule["alerts"], rule["judged"], rule["false_positives"], rule["precision"]) \
        == (2, 1, 1, 0.0)                 # the US alert is outside bob's regions
    assert world.call("GET", "/rules/stats", "admin").json()["total"]["alerts"] == 3
    refused(world.call("GET", "/rules/stats", "auditor"), 403, "forbidden")
    assert refused(world.call("GET", "/rules/stats?since=2010-13-01", "analyst"), 422,
                   "invalid") == "query.since"


def test_watchlists_added_listed_and_withdrawn(world: World) -> None:
    code = world.workspace.pseudonymizer().pseudonym("REP")
    made = world.call("POST", "/watchlists", "analyst",
                      {"person": code, "reason": "manager's request", "since": "2010-01-01"})
    assert made.status_code == 201, made.text
    entry = made.json()
    assert (entry["person"], entry["origin"], entry["added_by"], entry["active"]) == \
        (code, "analyst", "bob", True)
    assert refused(world.call("POST", "/watchlists", "analyst",
                              {"person": code, "reason": "again", "since": "2010-01-01"}),
                   409, "conflict")
    assert refused(world.call("POST", "/watchlists", "analyst",
                              {"person": code, "reason": "x", "watchlist": "Bad List"}),
                   422, "invalid") == "watchlist"
    assert refused(world.call("POST", "/watchlists", "service",
                              {"person": code, "reason": "x"}), 403, "forbidden")
    listed = world.call("GET", f"/watchlists?person={code}", "analyst").json()
    assert [w["id"] for w in listed] == [entry["id"]]
    gone = world.call("DELETE", f"/watchlists/{entry['id']}", "analyst")
    assert gone.status_code == 200 and gone.json()["removed_by"] == "bob"
    assert world.call("GET", "/watchlists", "analyst").json() == []
    assert len(world.call("GET", "/watchlists?all=true", "analyst").json()) == 1
    refused(world.call("DELETE", "/watchlists/99", "analyst"), 404, "not_found")
    assert refused(world.call("DELETE", f"/watchlists/{2**63}", "analyst"), 422,
                   "invalid") == "path.ident"
