"""Account changes through the API are audited as the calling account, in the request's
transaction: teams, users (created, disabled, enabled), members, tokens (created,
revoked, also one's own); a refused request records nothing; no secret in any entry."""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from helpers.accounts import ADMIN_PASSWORD, Seeded, bearer, seed
from watchkeeper.api import create_app

API = "/api/v1"
PASSWORD = "another long password"


@pytest.fixture
def seeded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Seeded:
    monkeypatch.delenv("WATCHKEEPER_DATABASE_URL", raising=False)
    return seed(tmp_path / "ws")


@pytest.fixture
def client(seeded: Seeded) -> Iterator[TestClient]:
    with TestClient(create_app(seeded.workspace)) as c:
        yield c


def changes(seeded: Seeded, actor: str) -> list[tuple[str, str, str, dict[str, object]]]:
    return [(e.action, e.object_type, e.object_id, dict(e.detail))
            for e in seeded.workspace.audit_log().store.entries() if e.actor == actor]


def test_changes_through_the_api_are_audited_as_the_caller(seeded: Seeded,
                                                           client: TestClient) -> None:
    admin = bearer(seeded.admin)
    seeding = changes(seeded, f"cli:{getpass.getuser()}")   # seed() ran on the CLI path
    assert [a for a, *_ in seeding] == ["team.create", *["account.create"] * 4,
                                        *["token.create"] * 4]
    calls = [
        ("POST", "/teams", {"name": "soc-us", "regions": ["us"]}),
        ("POST", "/users", {"name": "carol", "role": "lead", "teams": ["soc-us"],
                            "password": PASSWORD}),
        ("PATCH", "/users/carol", {"disabled": True}),
        ("PATCH", "/users/carol", {"disabled": False}),
        ("PUT", "/teams/soc-us/members/bob", None),
        ("DELETE", "/teams/soc-us/members/bob", None),
        ("POST", "/tokens", {"user": "carol", "label": "laptop"}),
    ]
    for method, path, body in calls:
        done = client.request(method, API + path, json=body, headers=admin)
        assert done.status_code in (200, 201), done.text
    issued = done.json()
    assert client.delete(f"{API}/tokens/{issued['id']}", headers=admin).status_code == 200
    token = str(issued["id"])
    assert changes(seeded, "alice") == [
        ("team.create", "team", "soc-us", {"regions": "us"}),
        ("account.create", "account", "carol",
         {"role": "lead", "teams": "soc-us", "password": True}),
        ("account.disable", "account", "carol",
         {"field": "disabled", "before": False, "after": True, "sessions_ended": 0}),
        ("account.enable", "account", "carol",
         {"field": "disabled", "before": True, "after": False, "sessions_ended": 0}),
        ("team.member_add", "team", "soc-us", {"account": "bob"}),
        ("team.member_remove", "team", "soc-us", {"account": "bob"}),
        ("token.create", "token", token, {"account": "carol", "label": "laptop"}),
        ("token.revoke", "token", token, {"account": "carol", "label": "laptop"}),
    ]
    text = json.dumps([dict(e.detail) for e in seeded.workspace.audit_log().store.entries()])
    for secret in (PASSWORD, ADMIN_PASSWORD, issued["token"], seeded.admin, seeded.analyst):
        assert secret not in text
    report = seeded.workspace.audit_verify()
    assert report.ok and report.checkpoint_seq == report.last_seq


def test_own_tokens_are_audited_as_their_owner(seeded: Seeded, client: TestClient) -> None:
    made = client.post(f"{API}/tokens", json={"label": "second"},
                       headers=bearer(seeded.analyst))
    assert made.status_code == 201, made.text
    assert changes(seeded, "bob") == [
        ("token.create", "token", str(made.json()["id"]), {"account": "bob",
                                                           "label": "second"})]


def test_a_refused_request_records_nothing(seeded: Seeded, client: TestClient) -> None:
    before = seeded.workspace.audit_verify().last_seq
    refused = [
        client.post(f"{API}/teams", json={"name": "x", "regions": ["us"]},
                    headers=bearer(seeded.analyst)),                          # 403
        client.post(f"{API}/users", json={"name": "bob", "role": "lead"},
                    headers=bearer(seeded.admin)),                            # 409
        client.post(f"{API}/users", json={"name": "zoe", "role": "lead", "password": "x"},
                    headers=bearer(seeded.admin)),                            # 422
        client.post(f"{API}/users", json={"name": "zoe", "role": "lead", "teams": ["no"]},
                    headers=bearer(seeded.admin)),                            # 404
    ]
    assert [r.status_code for r in refused] == [403, 409, 422, 404]
    assert seeded.workspace.audit_verify().last_seq == before
