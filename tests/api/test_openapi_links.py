"""The published OpenAPI links each chain of calls a client follows, and every link
names an operation and parameters that exist (schemathesis' stateful run walks them)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from helpers.accounts import new_workspace
from watchkeeper.api import create_app
from watchkeeper.api.links import Link, add_links

CHAINS = {
    ("post", "/api/v1/alerts"): {"get /api/v1/alerts/{alert_id}"},
    ("post", "/api/v1/cases"): {
        "get /api/v1/cases/{case_id}", "patch /api/v1/cases/{case_id}",
        "post /api/v1/cases/{case_id}/notes", "post /api/v1/cases/{case_id}/tasks",
        "post /api/v1/cases/{case_id}/links", "post /api/v1/cases/{case_id}/resolve",
        "get /api/v1/cases/{case_id}/export"},
    ("post", "/api/v1/cases/{case_id}/tasks"): {
        "patch /api/v1/cases/{case_id}/tasks/{task_id}"},
    ("post", "/api/v1/users"): {"get /api/v1/users/{name}", "patch /api/v1/users/{name}"},
    ("post", "/api/v1/tokens"): {"get /api/v1/tokens/{token_id}",
                                 "delete /api/v1/tokens/{token_id}"},
}


@pytest.fixture
def document(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.delenv("WATCHKEEPER_DATABASE_URL", raising=False)
    return create_app(new_workspace(tmp_path / "ws")).openapi()


def operations(document: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    """operationId -> ("method path", operation)."""
    return {op["operationId"]: (f"{method} {path}", op)
            for path, item in document["paths"].items() for method, op in item.items()}


def test_every_link_names_a_real_operation_and_its_parameters(
        document: dict[str, Any]) -> None:
    by_id = operations(document)
    followed: dict[tuple[str, str], set[str]] = {}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for status, answer in operation["responses"].items():
                for name, link in answer.get("links", {}).items():
                    assert status.startswith("2"), (path, name)
                    target, target_op = by_id[link["operationId"]]
                    declared = {p["name"] for p in target_op.get("parameters", [])}
                    assert set(link["parameters"]) <= declared, (name, declared)
                    for expression in link["parameters"].values():
                        assert expression.startswith(("$response.body#/", "$request.path."))
                    followed.setdefault((method, path), set()).add(target)
    for source, targets in CHAINS.items():
        assert targets <= followed.get(source, set()), source


def test_a_link_to_a_missing_operation_is_refused(document: dict[str, Any]) -> None:
    wrong = Link(("post", "/cases", 201), "Nowhere", ("get", "/cases/{case_id}/nowhere"))
    with pytest.raises(LookupError, match=r"no operation GET /api/v1/cases/\{case_id\}/now"):
        add_links(document, (wrong,))
