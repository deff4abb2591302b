"""Who may call what: Bearer tokens, 401 with a challenge, 403 for a role that may not."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from helpers.accounts import Seeded, bearer
from watchkeeper.api import create_app


@pytest.fixture
def client(seeded: Seeded) -> Iterator[TestClient]:
    with TestClient(create_app(seeded.workspace)) as c:
        yield c


def unauthenticated(response: object) -> str:
    assert getattr(response, "status_code", None) == 401
    assert response.headers["www-authenticate"] == "Bearer"  # type: ignore[attr-defined]
    error = response.json()["error"]  # type: ignore[attr-defined]
    assert error["type"] == "unauthenticated"
    return str(error["message"])


@pytest.mark.parametrize("headers", [
    {}, {"Authorization": "Basic YWxpY2U6cGFzc3dvcmQ="}, {"Authorization": "Bearer"},
    {"Authorization": "Bearer wk_not-a-real-token"}, {"Authorization": "Bearer junk"},
], ids=["none", "basic", "empty", "unknown", "not-ours"])
def test_without_a_valid_token_401(client: TestClient, headers: dict[str, str]) -> None:
    message = unauthenticated(client.get("/api/v1/me", headers=headers))
    assert "token" in message and "wk_" not in message


def test_revoked_token_401(seeded: Seeded, client: TestClient) -> None:
    assert client.get("/api/v1/me", headers=bearer(seeded.analyst)).status_code == 200
    tokens = client.get("/api/v1/tokens", headers=bearer(seeded.analyst)).json()
    assert client.delete(f"/api/v1/tokens/{tokens[0]['id']}",
                         headers=bearer(seeded.analyst)).json()["revoked"] is True
    assert "revoked" in unauthenticated(client.get("/api/v1/me",
                                                   headers=bearer(seeded.analyst)))


def test_disabled_account_401(seeded: Seeded, client: TestClient) -> None:
    done = client.patch("/api/v1/users/bob", json={"disabled": True},
                        headers=bearer(seeded.admin))
    assert done.status_code == 200 and done.json()["disabled"] is True
    unauthenticated(client.get("/api/v1/me", headers=bearer(seeded.analyst)))


@pytest.mark.parametrize("who", ["analyst", "auditor", "service"])
@pytest.mark.parametrize("method,path", [
    ("GET", "/api/v1/users"), ("POST", "/api/v1/users"), ("PATCH", "/api/v1/users/bob"),
    ("GET", "/api/v1/teams"), ("PUT", "/api/v1/teams/soc-eu/members/bob"),
])
def test_wrong_role_403(seeded: Seeded, client: TestClient, who: str, method: str,
                        path: str) -> None:
    body = {"name": "eve", "role": "admin"} if method == "POST" else {"disabled": True}
    done = client.request(method, path, headers=bearer(getattr(seeded, who)),
                          json=body if method in ("POST", "PATCH") else None)
    assert done.status_code == 403
    assert done.json()["error"]["type"] == "forbidden"
    assert "may not manage accounts" in done.json()["error"]["message"]
    assert [u.name for u in seeded.workspace.accounts().users.list()] == [
        "alice", "audrey", "bob", "splunk"]


def test_me_shows_role_teams_and_scope(seeded: Seeded, client: TestClient) -> None:
    me = client.get("/api/v1/me", headers=bearer(seeded.analyst)).json()
    assert (me["name"], me["role"], me["teams"], me["regions"]) == (
        "bob", "analyst", ["soc-eu"], ["eu"])
    assert me["scope"] == {"case_content": True, "all_regions": False, "regions": ["eu"],
                           "unregioned": True}
    auditor = client.get("/api/v1/me", headers=bearer(seeded.auditor)).json()
    assert auditor["scope"]["case_content"] is False
    assert auditor["permissions"] == ["read_audit"]


def test_tokens_are_managed_by_their_owner_or_an_admin(seeded: Seeded,
                                                       client: TestClient) -> None:
    mine = client.post("/api/v1/tokens", json={"label": "ci"}, headers=bearer(seeded.analyst))
    assert mine.status_code == 201 and mine.json()["token"].startswith("wk_")
    assert client.get("/api/v1/me", headers=bearer(mine.json()["token"])).status_code == 200
    listed = client.get("/api/v1/tokens", headers=bearer(seeded.analyst)).json()
    assert {t["user"] for t in listed} == {"bob"} and all("token" not in t for t in listed)
    other = client.post("/api/v1/tokens", json={"user": "alice"},
                        headers=bearer(seeded.analyst))
    assert other.status_code == 403
    admins = client.get("/api/v1/tokens", headers=bearer(seeded.admin)).json()
    alice_token = next(t["id"] for t in admins if t["user"] == "alice")
    hidden = client.delete(f"/api/v1/tokens/{alice_token}", headers=bearer(seeded.analyst))
    assert hidden.status_code == 404
    assert client.get("/api/v1/me", headers=bearer(seeded.admin)).status_code == 200
    for_bob = client.post("/api/v1/tokens", json={"user": "bob", "label": "given"},
                          headers=bearer(seeded.admin))
    assert for_bob.status_code == 201 and for_bob.json()["user"] == "bob"


def test_admin_manages_accounts_and_teams(seeded: Seeded, client: TestClient) -> None:
    admin = bearer(seeded.admin)
    made = client.post("/api/v1/users", headers=admin,
                       json={"name": "carol", "role": "lead", "teams": ["soc-eu"],
                             "password": "a long enough password"})
    assert made.status_code == 201
    assert made.json() == {**made.json(), "name": "carol", "role": "lead",
                           "teams": ["soc-eu"], "has_password": True, "disabled": False}
    assert "password" not in made.json() and "password_hash" not in made.text
    team = client.post("/api/v1/teams", headers=admin,
                       json={"name": "soc-us", "regions": ["US"]}).json()
    assert team["regions"] == ["us"]
    joined = client.put("/api/v1/teams/soc-us/members/carol", headers=admin).json()
    assert joined["members"] == ["carol"]
    left = client.delete("/api/v1/teams/soc-us/members/carol", headers=admin).json()
    assert left["members"] == []


def test_token_list_by_user(seeded: Seeded, client: TestClient) -> None:
    admin = client.get("/api/v1/tokens", params={"user": "bob"}, headers=bearer(seeded.admin))
    assert [t["user"] for t in admin.json()] == ["bob"]
    assert client.get("/api/v1/tokens", params={"user": "alice"},
                      headers=bearer(seeded.analyst)).status_code == 403
    assert client.get("/api/v1/tokens", params={"user": "nobody"},
                      headers=bearer(seeded.admin)).status_code == 404
