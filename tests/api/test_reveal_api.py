"""`POST /api/v1/people/{pseudonym}/reveal` over the tiny HR lake of `cases.casework`: a
lead with a reason sees who it is, recorded in ``reveals`` and the audit log before the
answer (no-store); every other role, a person outside the caller's regions or one they
are recused from is 403, an unknown pseudonym 404, no meaningful reason 422; a refusal
records nothing."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select

from cases.casework import build_lake
from helpers.accounts import Seeded, bearer, seed
from watchkeeper.api import create_app
from watchkeeper.store.models import Reveal
from watchkeeper.workspace import Workspace

WHY = {"reason": "case 12: HR asked who copied the files"}


@dataclass(frozen=True)
class World:
    client: TestClient
    workspace: Workspace
    seeded: Seeded
    tokens: dict[str, str]   # lee (lead, soc-eu), uma (lead, soc-us), mia (lead, PEER)

    def reveal(self, who: str, person: str, body: object = WHY) -> Response:
        token = self.tokens.get(who) or getattr(self.seeded, who)
        return self.client.post(f"/api/v1/people/{self.code(person)}/reveal",
                                json=body, headers=bearer(token))

    def code(self, user: str) -> str:
        """The pseudonym of a lake user id (upper case); anything else as it is."""
        known = user.isupper() and not user.startswith("P-")
        return self.workspace.pseudonymizer().pseudonym(user) if known else user

    def recorded(self) -> tuple[int, int]:
        """(reveals rows, audit entries)."""
        with self.workspace.state.session() as s:
            rows = int(s.scalar(select(func.count()).select_from(Reveal)) or 0)
        return rows, self.workspace.audit_verify().last_seq or 0


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("WATCHKEEPER_DATABASE_URL", raising=False)
        root = tmp_path_factory.mktemp("revealapi") / "ws"
        seeded = seed(root)
        seeded.workspace.close_state()
        build_lake(root)
        ws = Workspace.open(root, create=False)
        accounts = ws.accounts()
        accounts.teams.add("soc-us", ["us"])
        for name, team in (("lee", "soc-eu"), ("uma", "soc-us"), ("mia", "soc-eu")):
            accounts.users.add(name, "lead", [team])
        ws.set_account_person("mia", "PEER")
        tokens = {n: accounts.tokens.create(n, "test").token for n in ("lee", "uma", "mia")}
        with TestClient(create_app(ws)) as client:
            yield World(client, ws, seeded, tokens)


def refused(response: Response, status: int, kind: str) -> str:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["type"] == kind and "\n" not in error["message"]
    return str(error["message"])


def test_a_lead_with_a_reason_sees_who_it_is_and_it_is_audited(world: World) -> None:
    before = world.recorded()
    done = world.reveal("lee", "ACM2278")
    assert done.status_code == 200, done.text
    assert done.headers["cache-control"] == "no-store"
    found = done.json()
    code = world.code("ACM2278")
    assert {k: found[k] for k in ("pseudonym", "user", "name", "email", "region",
                                  "revealed_by", "reason")} == {
        "pseudonym": code, "user": "ACM2278", "name": "Calvin Love",
        "email": "calvin.love@dtaa.com", "region": "EU", "revealed_by": "lee",
        "reason": WHY["reason"]}
    assert world.recorded() == (before[0] + 1, before[1] + 1)
    entry = world.workspace.audit_log().store.last()
    assert entry is not None and entry.seq == found["audit_seq"]
    assert (entry.actor, entry.action, entry.object_type, entry.object_id) == (
        "lee", "person.reveal", "person", code)
    assert dict(entry.detail) == {"reason": WHY["reason"], "reveal": found["reveal_id"]}
    assert "ACM2278" not in str(entry) and "Calvin" not in str(entry)
    with world.workspace.state.session() as s:
        row = s.get_one(Reveal, found["reveal_id"])
        assert (row.who, row.whom, row.reason) == ("lee", code, WHY["reason"])
    report = world.workspace.audit_verify()
    assert report.ok and report.checkpoint_seq == report.last_seq


def test_the_email_form_of_a_pseudonym_reveals_too(world: World) -> None:
    done = world.reveal("lee", f"{world.code('REP')}@redacted")
    assert done.status_code == 200 and done.json()["user"] == "REP"
    assert done.json()["pseudonym"] == world.code("REP")


@pytest.mark.parametrize("who", ["analyst", "admin", "auditor", "service"])
def test_roles_that_may_not_reveal_get_403(world: World, who: str) -> None:
    before = world.recorded()
    message = refused(world.reveal(who, "ACM2278"), 403, "forbidden")
    assert message == f"role {who} may not reveal pseudonyms"
    assert world.recorded() == before


def test_outside_the_regions_or_recused_is_403_naming_nobody(world: World) -> None:
    before = world.recorded()
    message = refused(world.reveal("uma", "ACM2278"), 403, "forbidden")
    assert message.endswith("this person is outside the regions uma's teams see")
    for person in ("PEER", "ACM2278", "MGR"):   # herself, a direct report, her manager
        message = refused(world.reveal("mia", person), 403, "forbidden")
        assert message == (f"pseudonym {world.code(person)}: mia is recused from this "
                           "person (themselves, their management chain or a direct "
                           "report)")
    assert world.reveal("mia", "REP").status_code == 200     # no relation of hers
    assert world.recorded() == (before[0] + 1, before[1] + 1)


@pytest.mark.parametrize("body,message", [
    ({"reason": "why not"}, "reason: too short: use at least 3 words and 15 characters"),
    ({"reason": "  "}, "reason: required"),
    ({}, "reason: Field required"),
    ({"reason": "case 12 HR call", "case": 3}, "case: Extra inputs are not permitted"),
])
def test_without_a_meaningful_reason_422(world: World, body: object, message: str) -> None:
    before = world.recorded()
    error = world.reveal("lee", "ACM2278", body)
    assert refused(error, 422, "invalid").startswith(message)
    assert error.json()["error"]["field"] == message.split(":")[0]
    assert world.recorded() == before


def test_an_unknown_pseudonym_is_404_in_one_line(world: World) -> None:
    message = refused(world.reveal("lee", "P-0000-0000"), 404, "not_found")
    assert message == "pseudonym 'P-0000-0000': nobody in this workspace has it"
    refused(world.reveal("lee", "nobody"), 404, "not_found")


def test_without_a_token_401(world: World) -> None:
    done = world.client.post(f"/api/v1/people/{world.code('REP')}/reveal", json=WHY)
    assert done.status_code == 401


def test_the_person_behind_an_account_is_an_audited_change(world: World) -> None:
    found = [e for e in world.workspace.audit_log().store.entries()
             if e.action == "account.person"]
    assert [(e.object_id, dict(e.detail)) for e in found] == [
        ("mia", {"field": "person", "before": None, "after": world.code("PEER")})]
    assert found[0].actor.startswith("cli:")
