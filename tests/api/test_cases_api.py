"""The case routes on both stores over the tiny HR lake of `cases.casework`: create, show
(audited), the workflow (a refused transition changes nothing), resolve (verdict
required), exports (SHA-256 in a header and in the audit log), recusal and roles (403
in the one error body, never naming the subject), and no real identity in any answer."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from cases.casework import REAL, add_alert, build_lake
from helpers.accounts import Seeded, bearer, seed
from watchkeeper.api import create_app
from watchkeeper.workspace import Workspace

CASES = "/api/v1/cases"


@dataclass(frozen=True)
class World:
    client: TestClient
    workspace: Workspace
    seeded: Seeded
    recused: str          # token of pat, an analyst whose person (PEER) manages ACM2278
    answers: list[str]    # every answer body seen, for the identity scan

    def call(self, method: str, path: str, token: str, **kwargs: object) -> Response:
        response = self.client.request(method, path, headers=bearer(token),
                                       **kwargs)  # type: ignore[arg-type]
        self.answers.append(response.text)
        return response

    def alert(self, ref: str, region: str | None = None) -> int:
        with self.workspace.state.session() as session:
            return add_alert(session, ref, ["ACM2278"], hosts=["PC-6377"], findings=["f-1"],
                             region=region)

    def open_case(self, ref: str) -> int:
        done = self.call("POST", CASES, self.seeded.analyst, json={
            "title": "USB copies", "alerts": [self.alert(ref)], "people": ["REP"],
            "observables": ["ip:10.0.0.9"], "priority": "high"})
        assert done.status_code == 201, done.text
        return int(done.json()["id"])


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory,
          module_database_url: str | None) -> Iterator[World]:
    root = tmp_path_factory.mktemp("casesapi") / "ws"
    seeded = seed(root, module_database_url)
    seeded.workspace.close_state()
    build_lake(root)
    ws = Workspace.open(root, create=False)
    accounts = ws.accounts()
    accounts.users.add("pat", "analyst", ["soc-eu"])
    ws.set_account_person("pat", "PEER")
    recused = accounts.tokens.create("pat", "test").token
    with TestClient(create_app(ws)) as client:
        yield World(client, ws, seeded, recused, [])
    ws.close_state()


def error(response: Response, status: int, kind: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert list(body) == ["error"] and body["error"]["type"] == kind
    message = str(body["error"]["message"])
    assert "\n" not in message
    return message


def audit_actions(ws: Workspace, case_id: int) -> list[tuple[str, str, dict[str, object]]]:
    return [(e.actor, e.action, dict(e.detail)) for e in ws.audit_log().store.entries()
            if e.object_type == "case" and e.object_id == str(case_id)]


def test_create_then_show_pseudonymized_and_audited(world: World) -> None:
    case = world.open_case("show")
    shown = world.call("GET", f"{CASES}/{case}", world.seeded.analyst)
    assert shown.status_code == 200, shown.text
    detail = shown.json()
    assert (detail["case"]["id"], detail["case"]["status"]) == (case, "new")
    assert detail["case"]["priority"] == "high" and detail["summary"]
    assert len(detail["alerts"]) == 1 and detail["timeline"]["events"]
    names = world.workspace.pseudonymizer()
    assert names.pseudonym("ACM2278") in detail["people"]
    assert names.pseudonym("REP") in detail["people"]
    assert ("bob", "case.read", {"window_hours": "24"}) in audit_actions(world.workspace,
                                                                         case)
    world.open_case("show-2")
    listed = world.call("GET", CASES, world.seeded.analyst,
                        params={"person": names.pseudonym("ACM2278"), "limit": 1})
    assert listed.status_code == 200 and len(listed.json()["items"]) == 1
    assert listed.json()["next_cursor"] is not None
    more = world.call("GET", CASES, world.seeded.analyst,
                      params={"person": names.pseudonym("ACM2278"), "limit": 1,
                              "cursor": listed.json()["next_cursor"]})
    assert more.status_code == 200, more.text
    assert more.json()["items"][0]["id"] != listed.json()["items"][0]["id"]
    bad = world.call("GET", CASES, world.seeded.analyst, params={"cursor": "not-a-cursor"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "cursor"


def test_workflow_enforced_and_refusals_change_nothing(world: World) -> None:
    case = world.open_case("flow")
    token = world.seeded.analyst
    before = world.call("GET", f"{CASES}/{case}", token).json()
    message = error(world.call("PATCH", f"{CASES}/{case}", token, json={"status": "closed"}),
                    409, "conflict")
    assert message.startswith(f"case {case}: cannot go from new to closed")
    error(world.call("PATCH", f"{CASES}/{case}", token, json={"status": "asleep"}),
          422, "invalid")
    error(world.call("PATCH", f"{CASES}/{case}", token,
                     json={"status": "resolved", "severity": 1}), 422, "invalid")
    after = world.call("GET", f"{CASES}/{case}", token).json()
    assert after["case"] == before["case"] and after["events"] == before["events"]

    moved = world.call("PATCH", f"{CASES}/{case}", token,
                       json={"status": "in_progress", "severity": 5, "summary": "Checked."})
    assert moved.status_code == 200, moved.text
    assert (moved.json()["status"], moved.json()["severity"]) == ("in_progress", 5)
    assert moved.json()["summary"] == "Checked."
    assert world.call("POST", f"{CASES}/{case}/notes", token,
                      json={"template": True}).status_code == 201
    task = world.call("POST", f"{CASES}/{case}/tasks", token, json={"title": "Get laptop"})
    assert task.status_code == 201
    done = world.call("PATCH", f"{CASES}/{case}/tasks/{task.json()['id']}", token,
                      json={"done": True})
    assert done.status_code == 200, done.text
    linked = world.call("POST", f"{CASES}/{case}/links", token, json={"hosts": ["PC-1111"]})
    assert linked.json() == {"changed": 1}
    detail = world.call("GET", f"{CASES}/{case}", token).json()
    assert detail["tasks"][0]["done"] and len(detail["notes"]) == 1
    assert {"kind": "host", "value": "PC-1111"} in detail["links"]


def test_resolve_needs_a_verdict_then_export_is_audited(world: World) -> None:
    case = world.open_case("resolve")
    token = world.seeded.analyst
    missing = error(world.call("POST", f"{CASES}/{case}/resolve", token, json={}),
                    422, "invalid")
    assert missing.startswith("verdict")
    error(world.call("POST", f"{CASES}/{case}/resolve", token, json={"verdict": "maybe"}),
          422, "invalid")
    assert world.call("GET", f"{CASES}/{case}", token).json()["case"]["status"] == "new"
    resolved = world.call("POST", f"{CASES}/{case}/resolve", token,
                          json={"verdict": "True Positive", "note": "Confirmed."})
    assert resolved.status_code == 200, resolved.text
    assert (resolved.json()["status"], resolved.json()["verdict"]) == (
        "resolved", "true_positive")
    for fmt in ("markdown", "json", "ocsf"):
        exported = world.call("GET", f"{CASES}/{case}/export", token, params={"format": fmt})
        assert exported.status_code == 200, exported.text
        digest = hashlib.sha256(exported.content).hexdigest()
        assert exported.headers["x-content-sha256"] == digest
        if fmt != "markdown":
            json.loads(exported.content)
        assert ("bob", "case.export", {"format": fmt, "sha256": digest,
                                       "bytes": len(exported.content)}) in audit_actions(
            world.workspace, case)
    error(world.call("GET", f"{CASES}/{case}/export", token, params={"format": "pdf"}),
          422, "invalid")


def test_recused_analyst_gets_403_without_the_subject(world: World) -> None:
    case = world.open_case("recusal")
    names = world.workspace.pseudonymizer()
    subject = ("ACM2278", "PEER", names.pseudonym("ACM2278"), names.pseudonym("PEER"))
    before = world.call("GET", f"{CASES}/{case}", world.seeded.analyst).json()["case"]
    for method, path, body in (
            ("GET", f"{CASES}/{case}", None), ("GET", f"{CASES}/{case}/export", None),
            ("PATCH", f"{CASES}/{case}", {"status": "in_progress"}),
            ("POST", f"{CASES}/{case}/notes", {"body": "peek"}),
            ("POST", f"{CASES}/{case}/resolve", {"verdict": "benign"})):
        message = error(world.call(method, path, world.recused, json=body), 403, "forbidden")
        assert message == f"case {case}: pat is recused: a subject of it is your direct report"
        assert not any(s.lower() in message.lower() for s in subject)
    listed = world.call("GET", CASES, world.recused).json()["items"]
    assert case not in [c["id"] for c in listed]
    after = world.call("GET", f"{CASES}/{case}", world.seeded.analyst).json()["case"]
    assert after == before
    assert not [a for a in audit_actions(world.workspace, case) if a[0] == "pat"]


@pytest.mark.parametrize("who", ["auditor", "service"])
@pytest.mark.parametrize("method,path", [
    ("GET", CASES), ("POST", CASES), ("GET", f"{CASES}/1"), ("PATCH", f"{CASES}/1"),
    ("GET", f"{CASES}/1/export"), ("POST", f"{CASES}/1/resolve"),
])
def test_auditor_and_service_read_no_case_content(world: World, who: str, method: str,
                                                  path: str) -> None:
    body = {"title": "x"} if path == CASES else {"verdict": "benign"}
    message = error(world.call(method, path, getattr(world.seeded, who),
                               json=body if method != "GET" else None), 403, "forbidden")
    assert message.startswith(f"role {who} may not")


def test_bad_requests_are_one_line(world: World) -> None:
    token = world.seeded.analyst
    error(world.call("GET", f"{CASES}/999999", token), 404, "not_found")
    error(world.call("POST", CASES, token, json={"title": ""}), 422, "invalid")
    error(world.call("POST", CASES, token, json={"title": "x", "priority": "urgent"}),
          422, "invalid")
    error(world.call("POST", CASES, token, json={"title": "x", "colour": "red"}),
          422, "invalid")
    taken = world.alert("taken")
    assert world.call("POST", CASES, token, json={"title": "a", "alerts": [taken]}
                      ).status_code == 201
    error(world.call("POST", CASES, token, json={"title": "b", "alerts": [taken]}),
          409, "conflict")
    message = error(world.call("POST", CASES, token, json={"title": "c", "assignee": "alice"}),
                    403, "forbidden")
    assert "may not assign cases" in message
    error(world.client.get(CASES), 401, "unauthenticated")


def test_no_real_identity_in_any_answer(world: World) -> None:
    case = world.open_case("scan")
    token = world.seeded.analyst
    world.call("POST", f"{CASES}/{case}/notes", token, json={"template": True})
    world.call("GET", CASES, token)
    world.call("GET", f"{CASES}/{case}", token, params={"hours": 72})
    for fmt in ("markdown", "json", "ocsf"):
        world.call("GET", f"{CASES}/{case}/export", token, params={"format": fmt})
    assert len(world.answers) >= 7
    for token_text in REAL:
        pattern = re.compile(rf"\b{re.escape(token_text)}\b", re.IGNORECASE)
        for answer in world.answers:
            assert not pattern.search(answer), (token_text, answer[:200])



def test_cases_are_scoped_by_the_regions_of_their_alerts(world: World) -> None:
    admin, bob = world.seeded.admin, world.seeded.analyst
    us_alert, eu_alert = world.alert("scope-us", "us"), world.alert("scope-eu", "EU")
    made = world.call("POST", CASES, admin, json={"title": "US data", "alerts": [us_alert]})
    assert made.status_code == 201, made.text
    theirs = made.json()["id"]
    listed = world.call("GET", CASES, bob, params={"limit": 500}).json()["items"]
    assert theirs not in [c["id"] for c in listed]
    for method, path, body in (("GET", "", None), ("PATCH", "", {"title": "x"}),
                               ("POST", "/notes", {"body": "x"}),
                               ("POST", "/resolve", {"verdict": "benign"}),
                               ("GET", "/export", None)):
        message = error(world.call(method, f"{CASES}/{theirs}{path}", bob, json=body),
                        403, "forbidden")
        assert message == (f"case {theirs}: it holds alerts of a region outside those "
                           "bob's teams see")
    ours = world.call("POST", CASES, bob, json={"title": "EU data", "alerts": [eu_alert]})
    assert ours.status_code == 201, ours.text
    moved = world.call("POST", f"{CASES}/{ours.json()['id']}/links", bob,
                       json={"alerts": [us_alert]})
    assert error(moved, 404, "not_found") == f"alert {us_alert}: no such alert"
    assert world.call("GET", f"{CASES}/{theirs}", admin).json()["case"]["title"] == "US data"
