"""OpenAPI links: which value of an answer feeds which next call. A client (or a
stateful test) follows them: post alerts, then read one; open a case, then read, change,
note, task, link, resolve and export it; add a task, then tick it; create an account, a
team or a token, then read or change it.

The links are one table here, added to the generated document (`add_links`), so the
route modules stay about their routes. A link naming an operation the document lacks is
an error when the document is built.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PREFIX = "/api/v1"
BODY_ID = "$response.body#/id"


@dataclass(frozen=True)
class Link:
    """From an answer of `source` (method, path, status) to the `target` operation,
    with its parameters taken from the answer or the request (runtime expressions)."""

    source: tuple[str, str, int]
    name: str
    target: tuple[str, str]
    parameters: dict[str, str] = field(default_factory=dict)
    description: str = ""


def _case(name: str, method: str, path: str) -> Link:
    return Link(("post", "/cases", 201), name, (method, f"/cases/{{case_id}}{path}"),
                {"case_id": BODY_ID})


LINKS: tuple[Link, ...] = (
    Link(("post", "/alerts", 201), "GetAlert", ("get", "/alerts/{alert_id}"),
         {"alert_id": "$response.body#/alert_ids/0"}, "The first alert posted."),
    Link(("get", "/alerts", 200), "GetListedAlert", ("get", "/alerts/{alert_id}"),
         {"alert_id": "$response.body#/items/0/id"}, "The first alert of the page."),
    Link(("get", "/cases", 200), "GetListedCase", ("get", "/cases/{case_id}"),
         {"case_id": "$response.body#/items/0/id"}, "The first case of the page."),
    _case("GetCase", "get", ""),
    _case("UpdateCase", "patch", ""),
    _case("AddNote", "post", "/notes"),
    _case("AddTask", "post", "/tasks"),
    _case("ChangeLinks", "post", "/links"),
    _case("ResolveCase", "post", "/resolve"),
    _case("ExportCase", "get", "/export"),
    _case("GetPlaybookRuns", "get", "/playbook-runs"),
    Link(("patch", "/cases/{case_id}", 200), "GetUpdatedCase", ("get", "/cases/{case_id}"),
         {"case_id": BODY_ID}),
    Link(("post", "/cases/{case_id}/resolve", 200), "ExportResolvedCase",
         ("get", "/cases/{case_id}/export"), {"case_id": BODY_ID}),
    Link(("post", "/cases/{case_id}/tasks", 201), "UpdateTask",
         ("patch", "/cases/{case_id}/tasks/{task_id}"),
         {"case_id": "$request.path.case_id", "task_id": BODY_ID}, "Tick the new task."),
    Link(("post", "/users", 201), "GetUser", ("get", "/users/{name}"),
         {"name": "$response.body#/name"}),
    Link(("post", "/users", 201), "UpdateUser", ("patch", "/users/{name}"),
         {"name": "$response.body#/name"}),
    Link(("post", "/teams", 201), "GetTeam", ("get", "/teams/{name}"),
         {"name": "$response.body#/name"}),
    Link(("post", "/teams", 201), "AddMember", ("put", "/teams/{name}/members/{user}"),
         {"name": "$response.body#/name"}),
    Link(("put", "/teams/{name}/members/{user}", 200), "RemoveMember",
         ("delete", "/teams/{name}/members/{user}"),
         {"name": "$request.path.name", "user": "$request.path.user"}),
    Link(("post", "/tokens", 201), "GetToken", ("get", "/tokens/{token_id}"),
         {"token_id": BODY_ID}),
    Link(("post", "/tokens", 201), "RevokeToken", ("delete", "/tokens/{token_id}"),
         {"token_id": BODY_ID}),
)


def _operation(document: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    try:
        found: dict[str, Any] = document["paths"][PREFIX + path][method]
    except KeyError:
        raise LookupError(f"OpenAPI link: no operation {method.upper()} {PREFIX}{path}"
                          ) from None
    return found


def add_links(document: dict[str, Any], links: tuple[Link, ...] = LINKS) -> dict[str, Any]:
    """`document` with `links` in the answers they start from (changed in place)."""
    for link in links:
        method, path, status = link.source
        answer = _operation(document, method, path)["responses"].setdefault(
            str(status), {"description": "Successful Response"})
        target = _operation(document, *link.target)
        entry: dict[str, Any] = {"operationId": target["operationId"],
                                 "parameters": dict(link.parameters)}
        if link.description:
            entry["description"] = link.description
        answer.setdefault("links", {})[link.name] = entry
    return document
