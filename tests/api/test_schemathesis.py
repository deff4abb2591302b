"""Schemathesis over the published OpenAPI, on both stores: every operation with 100
generated requests (valid and invalid ones; fewer only when its inputs have fewer
values), authenticated as an admin, then sequences of calls that follow the document's
links (open a case, then read, change, note, task and export it; post alerts, then read
one; ...). No answer may be a server error, and every answer must match the status
codes, media types and schema the document declares.

The workspace is a small simulated enterprise (ingested, detected and analysed, so its
alerts and people are real ones) with the accounts of `helpers.accounts`. Requests go
to the app in-process (ASGI). Runs are derandomized: the same examples every time.
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import FlakyStrategyDefinition
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.python.asgi import shutdown_lifespans
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.conftest import store_url
from helpers.accounts import add_accounts, bearer, open_on
from watchkeeper.api import create_app
from watchkeeper.api.links import LINKS
from watchkeeper.sim import SimConfig, simulate
from watchkeeper.workspace import Workspace

pytestmark = pytest.mark.slow

SIM = SimConfig(users=30, days=20, seed=11, profile="classic")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
# Only the health checks about speed: a request reads a lake and writes a store.
QUIET = [HealthCheck.too_slow]
PER_OPERATION = settings(max_examples=100, derandomize=True, database=None, deadline=None,
                         suppress_health_check=QUIET)
SEQUENCES = settings(max_examples=100, stateful_step_count=10, derandomize=True,
                     database=None, deadline=None, suppress_health_check=QUIET)


@pytest.fixture(scope="session")
def sim_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A simulated enterprise, ingested, detected and analysed once (on SQLite); each
    store's workspace is a copy of its folder."""
    root = tmp_path_factory.mktemp("schemathesis")
    simulate(SIM, root / "sim")
    ws = Workspace.open(root / "ws")
    ws.ingest([root / "sim"])
    ws.detect()
    ws.analyze()
    ws.close_state()
    return root / "ws"


@dataclass
class Caller:
    """Authenticates every request as the admin alice. Generated requests may revoke
    her token or disable her account (both are allowed): then she is enabled again
    and given a new token, so the run goes on authenticated."""

    workspace: Workspace
    token: str

    def headers(self) -> dict[str, str]:
        return bearer(self.token)

    def after(self, method: str, path: str, status: int) -> None:
        if status < 300 and method in ("DELETE", "PATCH") and path.startswith(
                ("/api/v1/tokens", "/api/v1/users")):
            self.heal()

    def heal(self) -> None:
        accounts = self.workspace.accounts()
        if accounts.users.get("alice").disabled:
            accounts.users.set_disabled("alice", False)
        if accounts.tokens.authenticate(self.token) is None:
            self.token = accounts.tokens.create("alice", "schemathesis").token


@dataclass(frozen=True)
class Api:
    schema: Any   # schemathesis' OpenApiSchema
    caller: Caller


@pytest.fixture(scope="module", params=["sqlite"])
def module_database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """SQLite here; `test_schemathesis_postgres` runs the same tests on PostgreSQL (a
    module of its own, so pytest-xdist's `loadscope` gives the two stores, two and a
    half minutes each, to different workers)."""
    with pytest.MonkeyPatch.context() as mp, ExitStack() as stack:
        mp.delenv("WATCHKEEPER_DATABASE_URL", raising=False)
        yield store_url(request.param, stack)


@pytest.fixture(scope="module")
def api(sim_workspace: Path, module_database_url: str | None,
        tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    root = tmp_path_factory.mktemp("store") / "ws"
    shutil.copytree(sim_workspace, root, ignore=shutil.ignore_patterns("state.db*"))
    ws = open_on(root, module_database_url)
    assert ws.alerts_sync().intake.new > 0, "the simulated lake raised no alerts"
    seeded = add_accounts(ws)
    app = create_app(ws)
    yield Api(schemathesis.openapi.from_asgi("/api/v1/openapi.json", app),
              Caller(ws, seeded.admin))
    shutdown_lifespans()   # the app's shutdown closes the store
    ws.close_state()


def generated(operation: Any) -> Any:
    """Requests for `operation`, valid and (where it takes any input) invalid ones."""
    valid = operation.as_strategy(generation_mode=GenerationMode.POSITIVE)
    if not any(True for _ in operation.iter_parameters()) and not operation.body:
        return valid
    return st.one_of(valid, operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))


def exercise(api: Api, operation: Any) -> None:
    @PER_OPERATION
    @given(case=generated(operation))
    def run(case: schemathesis.Case) -> None:
        response = case.call(headers=api.caller.headers())
        api.caller.after(case.method.upper(), case.formatted_path, response.status_code)
        case.validate_response(response, checks=CHECKS)

    run()


def test_every_operation(api: Api) -> None:
    """Each operation of the OpenAPI, all of them tried even when one fails."""
    failures: list[str] = []
    operations = [result.ok() for result in api.schema.get_all_operations()]
    assert len(operations) > 25
    for operation in operations:
        try:
            exercise(api, operation)
        except (Exception, FailureGroup) as exc:   # a group of check failures
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)


def test_linked_sequences(api: Api) -> None:
    """Sequences of calls that follow the OpenAPI links (and the links schemathesis
    infers), every answer checked. A failure is recorded rather than raised: the store
    keeps what earlier sequences did, so a sequence cannot be replayed to shrink it."""
    caller = api.caller
    failures: dict[str, None] = {}
    followed: Counter[str] = Counter()   # links followed to a 2xx answer

    class Sequences(api.schema.as_state_machine()):  # type: ignore[misc]
        def step(self, input: Any) -> Any:
            try:
                output = super().step(input)
            except (Exception, FailureGroup) as exc:
                failures.setdefault(f"{input.case.operation.label}: {exc!r}", None)
                return None
            link = input.transition.id if input.transition is not None else None
            if link and output.response.status_code < 300 and input.is_applied:
                followed[link] += 1
            return output

        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"headers": caller.headers()}

        def after_call(self, response: schemathesis.Response,
                       case: schemathesis.Case) -> None:
            super().after_call(response, case)
            caller.after(case.method.upper(), case.formatted_path, response.status_code)

        def validate_response(self, response: schemathesis.Response,
                              case: schemathesis.Case, additional_checks: Any = None,
                              **kwargs: Any) -> None:
            case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs or None)

    try:
        Sequences.run(settings=SEQUENCES)
    except FlakyStrategyDefinition as exc:
        # The store keeps what earlier sequences did, so which links can be followed
        # (the rules Hypothesis draws from) changes between sequences with one choice
        # prefix, and Hypothesis stops generating. What ran until then is still checked
        # below. To do: a fresh store per sequence, so the run always goes the distance.
        print(f"sequences stopped early: {type(exc).__name__}")
    assert not failures, "\n\n".join(failures)
    # a transition's id reads "SOURCE -> [STATUS] LINK -> TARGET"
    names = {ident.split("] ", 1)[1].split(" -> ")[0] for ident in followed}
    assert len(names & {link.name for link in LINKS}) >= 4, followed
