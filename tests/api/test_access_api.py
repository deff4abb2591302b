"""`/api/v1/authorize` and `/api/v1/access/…` on both stores: a service account asks for
decisions (one and a batch), accounts linked to employees request and approve as those
employees and no other, leads revoke, auditors read the decision log; the wrong role is
403, bad input 422 naming the field."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from access.conftest import make_world
from helpers.accounts import Seeded, add_accounts, bearer
from watchkeeper.api import create_app
from watchkeeper.workspace import Workspace


@dataclass(frozen=True)
class World:
    client: TestClient
    ws: Workspace
    tokens: dict[str, str]

    def call(self, method: str, path: str, who: str, body: object = None,
             params: dict[str, str] | None = None) -> Response:
        return self.client.request(method, f"/api/v1{path}", json=body, params=params,
                                   headers=bearer(self.tokens[who]))


@pytest.fixture
def world(tmp_path: Path, database_url: str | None) -> Iterator[World]:
    made = make_world(tmp_path, database_url)
    seeded: Seeded = add_accounts(made.ws)
    accounts = made.ws.accounts()
    accounts.users.add("lee", "lead", ["soc-eu"])
    accounts.users.add("lou", "lead", ["soc-eu"])
    tokens = {"alice": seeded.admin, "bob": seeded.analyst, "audrey": seeded.auditor,
              "splunk": seeded.service,
              "lee": accounts.tokens.create("lee", "t").token,
              "lou": accounts.tokens.create("lou", "t").token}
    for account, person in (("bob", "ana"), ("lee", "leo"), ("alice", "max")):
        made.ws.set_account_person(account, person, actor="test")
    with TestClient(create_app(made.ws)) as client:
        yield World(client, made.ws, tokens)
    made.ws.close_state()


def refused(response: Response, status: int, kind: str) -> str:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["type"] == kind
    return str(error.get("field") or error["message"])


def ask(w: World, who: str = "bob", **over: str) -> Response:
    body = {"for": "ana", "action": "export", "resource": "eu-users",
            "purpose": "investigation", "justification": "case 12", "duration": "8h",
            **over}
    return w.call("POST", "/access/requests", who, body)


def test_a_service_account_asks_one_and_a_batch(world: World) -> None:
    one = world.call("POST", "/authorize", "splunk",
                     {"principal": "ana", "action": "read", "resource": "eu-users"})
    assert one.status_code == 200, one.text
    assert one.json()["decision"] == "allow"
    assert one.json()["reasons"] == ["same-region read by a role that serves user data"]
    batch = world.call("POST", "/authorize/batch", "splunk", {"queries": [
        {"principal": "ana", "action": "read", "resource": "eu-users"},
        {"principal": "ana", "action": "read", "resource": "us-users"},
        {"principal": "ana", "action": "delete", "resource": "eu-users",
         "purpose": "legal"}]})
    assert batch.status_code == 200, batch.text
    got = [(d["resource"], d["action"], d["decision"], d["policies"])
           for d in batch.json()["decisions"]]
    assert got == [("eu-users", "read", "allow", ["same-region-read"]),
                   ("us-users", "read", "deny", ["cross-region-needs-grant"]),
                   ("eu-users", "delete", "deny", ["export-delete-need-grant"])]
    log = world.call("GET", "/access/decisions", "audrey", params={"principal": "ana"})
    assert log.status_code == 200 and len(log.json()) == 4
    assert {d["caller"] for d in log.json()} == {"splunk"}
    refused(world.call("GET", "/access/decisions", "bob"), 403, "forbidden")
    refused(world.call("POST", "/authorize", "bob", {"principal": "ana", "action": "read",
                                                     "resource": "eu-users"}),
            403, "forbidden")
    assert refused(world.call("POST", "/authorize", "splunk", {
        "principal": "ana", "action": "copy", "resource": "eu-users"}),
        422, "invalid") == "action"


def test_request_approve_revoke_as_linked_employees(world: World) -> None:
    made = ask(world)
    assert made.status_code == 201, made.text
    request = made.json()
    assert (request["requester"], request["requested_by"]) == ("ana", "bob")
    refused(world.call("POST", f"/access/requests/{request['id']}/approve", "bob"),
            403, "forbidden")                                  # analysts do not approve
    line = refused(world.call("POST", f"/access/requests/{request['id']}/approve", "lou"),
                   403, "forbidden")
    assert "linked to no employee" in line
    done = world.call("POST", f"/access/requests/{request['id']}/approve", "lee")
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "approved" and done.json()["approvers"] == ["leo"]
    grant = done.json()["grant_id"]
    allowed = world.call("POST", "/authorize", "splunk", {
        "principal": "ana", "action": "export", "resource": "eu-users",
        "purpose": "investigation"})
    assert allowed.json()["decision"] == "allow" and allowed.json()["grant_id"] == grant
    (listed,) = world.call("GET", "/access/grants", "bob").json()
    assert listed["id"] == grant and listed["state"] == "active"
    revoked = world.call("POST", f"/access/grants/{grant}/revoke", "lee",
                         {"reason": "case closed"})
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
    refused(world.call("POST", f"/access/grants/{grant}/revoke", "lee", {}), 409,
            "conflict")
    assert world.call("GET", "/access/grants", "bob").json() == []


def test_no_one_approves_their_own_and_cross_region_needs_two(world: World) -> None:
    own = ask(world, "lee", **{"for": "leo"}).json()
    assert own["requester"] == "leo"
    assert refused(world.call("POST", f"/access/requests/{own['id']}/approve", "lee"),
                   422, "invalid") == "approver"
    cross = ask(world, resource="us-users", action="read").json()
    assert cross["approvals_needed"] == 2
    first = world.call("POST", f"/access/requests/{cross['id']}/approve", "lee").json()
    assert first["status"] == "pending"
    refused(world.call("POST", f"/access/requests/{cross['id']}/approve", "lee"), 409,
            "conflict")
    second = world.call("POST", f"/access/requests/{cross['id']}/approve", "alice").json()
    assert second["status"] == "approved" and second["approvers"] == ["leo", "max"]
    denied = ask(world).json()
    gone = world.call("POST", f"/access/requests/{denied['id']}/deny", "lee",
                      {"reason": "no ticket"})
    assert gone.json()["status"] == "denied" and gone.json()["denied_by"] == "leo"
    pending = world.call("GET", "/access/requests", "bob").json()
    assert [r["id"] for r in pending] == [own["id"]]


def test_bad_requests_name_the_field(world: World) -> None:
    assert refused(ask(world, duration="soon"), 422, "invalid") == "duration"
    assert refused(ask(world, purpose="fun"), 422, "invalid") == "purpose"
    assert refused(ask(world, resource="nope"), 422, "invalid") == "resource"
    refused(ask(world, "audrey"), 403, "forbidden")
    refused(world.call("POST", "/access/requests/99/approve", "lee"), 404, "not_found")
    assert world.call("GET", "/access/requests", "bob", params={"status": "all"}).json() \
        == []
