"""One error body for every failure, the CLI's message in it; commit before a 2xx;
/healthz, /readyz and the published OpenAPI."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from helpers.accounts import Seeded, bearer
from watchkeeper.api import create_app
from watchkeeper.api.deps import SessionDep
from watchkeeper.store.models import Account


@pytest.fixture
def client(seeded: Seeded) -> Iterator[TestClient]:
    with TestClient(create_app(seeded.workspace), raise_server_exceptions=False) as c:
        yield c


def error(response: object, status: int) -> dict[str, str]:
    assert getattr(response, "status_code", None) == status, getattr(response, "text", "")
    body = response.json()  # type: ignore[attr-defined]
    assert list(body) == ["error"] and {"type", "message"} <= set(body["error"])
    assert "\n" not in body["error"]["message"]
    return dict(body["error"])


def cli_error(workspace: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items()
           if k not in ("WATCHKEEPER_HOME", "WATCHKEEPER_DATABASE_URL")}
    done = subprocess.run([sys.executable, "-m", "watchkeeper", "-w", str(workspace), *args],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 1
    return done.stderr.strip().removeprefix("error: ")


def test_not_found_carries_the_message_the_cli_prints(seeded: Seeded,
                                                      client: TestClient) -> None:
    body = error(client.patch("/api/v1/users/nobody", json={"disabled": True},
                              headers=bearer(seeded.admin)), 404)
    assert body["type"] == "not_found"
    assert body["message"] == cli_error(seeded.workspace.root, "users", "disable", "nobody")


def test_invalid_field_is_422_naming_it_and_never_echoes_a_password(
        seeded: Seeded, client: TestClient) -> None:
    secret = "hunter2!"
    body = error(client.post("/api/v1/users", headers=bearer(seeded.admin),
                             json={"name": "carol", "role": "analyst", "password": secret}),
                 422)
    assert (body["type"], body["field"]) == ("invalid", "password")
    assert body["message"] == "password: too short: use at least 12 characters"
    schema = error(client.post("/api/v1/users", headers=bearer(seeded.admin),
                               json={"name": "carol", "role": "boss", "password": secret}),
                   422)
    assert schema["field"] == "role" and secret not in str(schema)
    extra = error(client.post("/api/v1/teams", headers=bearer(seeded.admin),
                              json={"name": "t", "regions": ["eu"], "colour": "red"}), 422)
    assert extra["field"] == "colour"
    garbage = error(client.post("/api/v1/teams", content=b"{not json",
                                headers={**bearer(seeded.admin),
                                         "content-type": "application/json"}), 422)
    assert garbage["type"] == "invalid"
    assert [u.name for u in seeded.workspace.accounts().users.list()] == [
        "alice", "audrey", "bob", "splunk"]


def test_conflict_409_and_unknown_route(seeded: Seeded, client: TestClient) -> None:
    body = error(client.post("/api/v1/users", headers=bearer(seeded.admin),
                             json={"name": "BOB", "role": "analyst"}), 409)
    assert body == {"type": "conflict", "message": "account 'BOB' already exists"}
    assert error(client.get("/api/v1/nothing-here"), 404)["type"] == "http"
    assert error(client.delete("/api/v1/me", headers=bearer(seeded.admin)), 405)


def test_a_2xx_is_sent_only_after_the_commit(seeded: Seeded) -> None:
    """A handler whose change fails at commit (a unique name, flushed only then) must not
    answer 2xx: the session commits before the answer leaves."""
    app = create_app(seeded.workspace)

    @app.post("/test/clash", status_code=201)
    def clash(session: SessionDep) -> dict[str, str]:
        session.add(Account(name="alice", role="admin", disabled=False))
        return {"status": "created"}

    @app.post("/test/fine", status_code=201)
    def fine(session: SessionDep) -> dict[str, str]:
        session.add(Account(name="zed", role="analyst", disabled=False))
        return {"status": "created"}

    with TestClient(app, raise_server_exceptions=False) as client:
        assert error(client.post("/test/clash"), 409)["type"] == "conflict"
        assert client.post("/test/fine").status_code == 201
        with seeded.workspace.state.session() as s:   # visible as soon as the 201 is
            names = s.scalars(select(Account.name).order_by(Account.name)).all()
            assert s.scalar(select(func.count()).select_from(Account)) == 5
    assert names == ["alice", "audrey", "bob", "splunk", "zed"]


def test_healthz_and_readyz(seeded: Seeded, client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["ready"] is True
    lake = seeded.workspace.root / "lake"
    lake.mkdir(exist_ok=True)
    (lake / "manifest.json").write_text("{damaged")
    broken = client.get("/readyz")
    assert broken.status_code == 503
    checks = {c["name"]: c for c in broken.json()["checks"]}
    assert checks["state"]["ok"] and not checks["lake"]["ok"]
    assert "damaged manifest" in checks["lake"]["detail"]
    (lake / "manifest.json").unlink()
    with seeded.workspace.state.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0000'"))
    behind = client.get("/readyz").json()
    assert behind["ready"] is False
    assert "watchkeeper db upgrade" in behind["checks"][0]["detail"]


def test_openapi_is_published_and_nothing_comes_from_a_cdn(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    assert {"/api/v1/me", "/api/v1/users", "/api/v1/users/{name}", "/api/v1/tokens",
            "/api/v1/tokens/{token_id}", "/api/v1/teams", "/api/v1/teams/{name}/members/{user}",
            "/healthz", "/readyz"} <= set(spec["paths"])
    assert spec["components"]["securitySchemes"]["token"]["scheme"] == "bearer"
    assert "ErrorBody" in spec["components"]["schemas"]
    assert "404" in spec["paths"]["/api/v1/tokens"]["get"]["responses"]   # ?user=nobody
    for path in ("/docs", "/redoc", "/api/v1/docs", "/api/v1/redoc"):
        assert client.get(path).status_code == 404
    assert "cdn" not in client.get("/api/v1/openapi.json").text.casefold()


def test_unreadable_body_is_422_naming_the_body(seeded: Seeded, client: TestClient) -> None:
    """Found by schemathesis: a body that is not UTF-8 was a 400 outside the documented
    answers, while malformed JSON was a 422."""
    for path in ("/api/v1/users", "/api/v1/teams", "/api/v1/tokens"):
        body = error(client.post(path, content=b'{"name": "\xff\xfe"}',
                                 headers={**bearer(seeded.admin),
                                          "content-type": "application/json"}), 422)
        assert (body["type"], body["field"]) == ("invalid", "body")


@pytest.mark.parametrize("method,path,json_body,field", [
    ("GET", "/api/v1/tokens/2147483648", None, "path.token_id"),
    ("DELETE", "/api/v1/tokens/0", None, "path.token_id"),
    ("GET", "/api/v1/alerts/99999999999999999999", None, "path.alert_id"),
    ("GET", "/api/v1/cases/9223372036854775808", None, "path.case_id"),
    ("POST", "/api/v1/cases/2147483648/notes", {"body": "n"}, "path.case_id"),
    ("PATCH", "/api/v1/cases/1/tasks/9223372036854775808", {"done": True}, "path.task_id"),
    ("POST", "/api/v1/cases", {"title": "t", "alerts": [2**63]}, "alerts.0"),
    ("POST", "/api/v1/cases/1/links", {"alerts": [1, -3]}, "alerts.1"),
])
def test_an_id_beyond_the_id_columns_is_422(
        seeded: Seeded, client: TestClient, method: str, path: str, json_body: object,
        field: str) -> None:
    """Found by schemathesis: an id beyond what an id column holds (32 bits on
    PostgreSQL) failed in the store: a 500 on SQLite (beyond 64 bits), a 503 on
    PostgreSQL."""
    body = error(client.request(method, path, json=json_body,
                                headers=bearer(seeded.admin)), 422)
    assert (body["type"], body["field"]) == ("invalid", field)
    assert error(client.get("/api/v1/tokens/2147483647",
                            headers=bearer(seeded.admin)), 404)["type"] == "not_found"


@pytest.mark.parametrize("method,path,content,field", [
    ("POST", "/api/v1/users", '{"name": "a\\u0000b", "role": "analyst"}', "name"),
    ("POST", "/api/v1/users", '{"name": "a\\ud800", "role": "analyst"}', "name"),
    ("POST", "/api/v1/cases", '{"title": "t", "observables": ["ip:1", "x\\u0000"]}',
     "observables"),
    ("POST", "/api/v1/cases/1/tasks", '{"title": "\\u0000%"}', "title"),
    ("GET", "/api/v1/users/a%00b", None, "path.name"),
    ("GET", "/api/v1/alerts?rule=a%00b", None, "query.rule"),
    ("GET", "/api/v1/tokens?user=x%00", None, "query.user"),
])
def test_text_the_stores_cannot_hold_is_422(seeded: Seeded, client: TestClient, method: str,
                                            path: str, content: str | None,
                                            field: str) -> None:
    """Found by schemathesis: a NUL character (which PostgreSQL cannot hold in text) was
    a 503 on PostgreSQL. (A lone surrogate, which no store can write, is refused too.)"""
    headers = {**bearer(seeded.admin), "content-type": "application/json"}
    body = error(client.request(method, path, content=content, headers=headers), 422)
    assert (body["type"], body["field"]) == ("invalid", field)
    assert body["message"].startswith(f"{field}: ")
    assert [u.name for u in seeded.workspace.accounts().users.list()] == [
        "alice", "audrey", "bob", "splunk"]
