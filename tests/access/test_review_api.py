"""`/api/v1/access/entitlements`, `/access/reviews/…` and `/access/report` on both
stores: auditors read, leads run campaigns as their own employee and never review
themselves, the wrong role is 403, a bad period 422 naming it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from access.conftest import World, make_world
from access.test_grants import ask
from helpers.accounts import add_accounts, bearer
from watchkeeper.api import create_app
from watchkeeper.workspace import Workspace


@dataclass(frozen=True)
class Api:
    client: TestClient
    world: World
    tokens: dict[str, str]

    @property
    def ws(self) -> Workspace:
        return self.world.ws

    def call(
        self,
        method: str,
        path: str,
        who: str,
        body: object = None,
        params: dict[str, str] | None = None,
    ) -> Response:
        return self.client.request(
            method, f"/api/v1{path}", json=body, params=params, headers=bearer(self.tokens[who])
        )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def api(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Api]:
    url = request.getfixturevalue("pg_schemas")() if request.param == "postgres" else None
    made = make_world(tmp_path, url)
    seeded = add_accounts(made.ws)
    accounts = made.ws.accounts()
    accounts.users.add("lee", "lead", ["soc-eu"])
    tokens = {
        "alice": seeded.admin,
        "bob": seeded.analyst,
        "audrey": seeded.auditor,
        "lee": accounts.tokens.create("lee", "t").token,
    }
    for account, person in (("lee", "leo"), ("alice", "ana")):
        made.ws.set_account_person(account, person, actor="test")
    with TestClient(create_app(made.ws)) as client:
        yield Api(client, made, tokens)
    made.ws.close_state()
    made.ws.lake.close()


def test_a_campaign_over_the_api(api: Api) -> None:
    ident = ask(api.world, "ana", "eu-users", action="export")
    grant = api.ws.access_approve(ident, approver="leo", actor="cli:t").grant_id
    assert api.call("POST", "/access/reviews", "bob", {"name": "q"}).status_code == 403
    made = api.call("POST", "/access/reviews", "lee", {"name": "Q2", "scope": "grants"})
    assert made.status_code == 201, made.text
    rid = made.json()["id"]
    shown = api.call("GET", f"/access/reviews/{rid}", "lee").json()
    (item,) = shown["items"]
    assert (item["principal"], item["grant_id"], item["unused"]) == ("ana", grant, True)
    own = api.call(
        "POST", f"/access/reviews/{rid}/items/{item['id']}/decide", "alice", {"outcome": "keep"}
    )
    assert own.status_code == 422 and own.json()["error"]["field"] == "reviewer"
    done = api.call(
        "POST",
        f"/access/reviews/{rid}/items/{item['id']}/decide",
        "lee",
        {"outcome": "revoke", "reason": "unused"},
    )
    assert done.status_code == 200, done.text
    assert (done.json()["reviewer"], done.json()["effect"]) == ("leo", f"grant {grant} revoked")
    closed = api.call("POST", f"/access/reviews/{rid}/close", "lee")
    assert closed.json()["status"] == "closed"
    assert [
        r["id"]
        for r in api.call("GET", "/access/reviews", "lee", params={"status": "closed"}).json()
    ] == [rid]


def test_entitlements_and_report_are_for_auditors(api: Api) -> None:
    assert api.call("GET", "/access/entitlements", "lee").status_code == 403
    got = api.call("GET", "/access/entitlements", "audrey", params={"region": "US"})
    assert got.status_code == 200, got.text
    assert [(e["principal"], e["resource"]) for e in got.json()["entitlements"]] == [
        ("sam", "us-users")
    ]
    assert api.call("GET", "/access/unused-grants", "audrey").json() == []
    assert api.call("GET", "/access/unused-grants", "lee").status_code == 403
    report = api.call("GET", "/access/report", "audrey", params={"period": "2026-06"})
    assert report.status_code == 200, report.text
    assert report.json()["period"] == "2026-06"
    bad = api.call("GET", "/access/report", "audrey", params={"period": "2026-13"})
    assert bad.status_code == 422 and "2026-13" in bad.json()["error"]["message"]
