"""`/api/v1/cases`: cases, their workflow, notes, tasks, links and exports.

The caller's token names an account; the account acts as the facade's `Viewer` (its
name, role, id and the person behind it), so every job checks restriction and recusal
and refuses in one line that never names the subject (403). Auditors and service
accounts read no case content (403). Assigning a case to someone else takes the
`assign_cases` permission (lead, admin). Answers name people by pseudonym only.

The case jobs open their own units of work; the caller is authenticated in a short
transaction of its own (`api.deps.authenticated`).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from watchkeeper.api.deps import WHAT, Credentials, WorkspaceDep, authenticated
from watchkeeper.api.schemas.cases import (
    CaseCreate,
    CaseDetailPublic,
    CaseListPublic,
    CasePublic,
    CaseResolve,
    CaseUpdate,
    Changed,
    Created,
    ExportFormat,
    LinkChange,
    NoteCreate,
    TaskCreate,
    TaskUpdate,
)
from watchkeeper.api.schemas.errors import AUTHENTICATED, responses
from watchkeeper.api.schemas.fields import PathId
from watchkeeper.cases.detail import CaseDetail
from watchkeeper.cases.repository import CaseChange, CaseFilter
from watchkeeper.cases.service import CaseNew
from watchkeeper.cases.views import CaseView, LinkView
from watchkeeper.errors import PermissionDeniedError
from watchkeeper.security.recusal import Viewer
from watchkeeper.security.roles import Permission, Principal

router = APIRouter(prefix="/cases", tags=["cases"], responses=AUTHENTICATED)
CASE = responses(404, 409)
MEDIA = {"markdown": "text/markdown; charset=utf-8", "json": "application/json",
         "ocsf": "application/json"}
SUFFIX = {"markdown": "md", "json": "json", "ocsf": "ocsf.json"}
SHA_HEADER = "X-Content-SHA256"


@dataclass(frozen=True)
class Actor:
    """The caller: the token's principal and the viewer it acts as on cases."""

    principal: Principal
    viewer: Viewer


def _actor(workspace: WorkspaceDep, credentials: Credentials,
           permission: Permission) -> Actor:
    principal = authenticated(workspace, credentials)
    if not principal.may(permission):
        raise PermissionDeniedError(f"role {principal.role.value} may not "
                                    f"{WHAT[permission]}")
    return Actor(principal, workspace.case_viewer(principal.name))


def reader(workspace: WorkspaceDep, credentials: Credentials) -> Actor:
    return _actor(workspace, credentials, Permission.READ_CASES)


def worker(workspace: WorkspaceDep, credentials: Credentials) -> Actor:
    return _actor(workspace, credentials, Permission.WORK_CASES)


Reader = Annotated[Actor, Depends(reader)]
Worker = Annotated[Actor, Depends(worker)]


def _may_assign(actor: Actor, assignee: str | None) -> None:
    """Anyone who works cases takes one; giving it to someone else is a lead's job."""
    if not assignee or assignee.casefold() == actor.principal.name.casefold():
        return
    if not actor.principal.may(Permission.ASSIGN_CASES):
        raise PermissionDeniedError(f"role {actor.principal.role.value} may not "
                                    f"{WHAT[Permission.ASSIGN_CASES]} to others")


def _links(people: list[str], hosts: list[str],
           observables: list[str]) -> tuple[LinkView, ...]:
    return (*(LinkView("person", p) for p in people), *(LinkView("host", h) for h in hosts),
            *(LinkView("observable", o) for o in observables))


def _public(view: CaseView) -> CasePublic:
    return CasePublic.model_validate(view)


def _detail(detail: CaseDetail) -> CaseDetailPublic:
    fields = {name: getattr(detail, name) for name in (
        "case", "alerts", "events", "tasks", "notes", "links", "timeline", "summary",
        "draft", "access", "people", "hosts")}
    return CaseDetailPublic.model_validate(fields)


@router.get("", response_model=CaseListPublic, responses=responses(404))
def list_cases(actor: Reader, workspace: WorkspaceDep,
               status: Annotated[list[str] | None, Query()] = None,
               min_severity: Annotated[int | None, Query(ge=0, le=6)] = None,
               assignee: str | None = None, person: str | None = None,
               limit: Annotated[int, Query(ge=1, le=500)] = 50,
               cursor: str | None = None) -> CaseListPublic:
    """The cases the caller may open, most recently changed first; `person` is a
    pseudonym. Pass `next_cursor` back as `cursor` for the next page."""
    filters = CaseFilter(tuple(status or ()), min_severity, assignee, person)
    page = workspace.cases_list(actor.viewer, filters, limit=limit, cursor=cursor)
    return CaseListPublic(items=[_public(v) for v in page.items],
                          next_cursor=page.next_cursor)


@router.post("", response_model=CasePublic, status_code=201, responses=CASE)
def create_case(body: CaseCreate, actor: Worker, workspace: WorkspaceDep) -> CasePublic:
    """Open a case from alerts, people and hosts; its summary starts as the draft."""
    _may_assign(actor, body.assignee)
    new = CaseNew(body.title, body.severity, body.priority, tuple(body.alerts),
                  _links(body.people, body.hosts, body.observables), body.assignee,
                  body.team, tuple(body.restricted_to))
    return _public(workspace.case_create(actor.viewer, new))


@router.get("/{case_id}", response_model=CaseDetailPublic, responses=CASE)
def get_case(case_id: PathId, actor: Reader, workspace: WorkspaceDep,
             hours: Annotated[float, Query(gt=0, le=24 * 90)] = 24.0) -> CaseDetailPublic:
    """The case with its timeline (`hours` around its alerts) and summary; the read is
    recorded in the audit log (`case.read`)."""
    return _detail(workspace.case_show(actor.viewer, case_id, hours))


@router.patch("/{case_id}", response_model=CasePublic, responses=CASE)
def update_case(case_id: PathId, body: CaseUpdate, actor: Worker,
                workspace: WorkspaceDep) -> CasePublic:
    """Change fields, the status (the workflow is enforced), the summary, or who may
    open the case."""
    _may_assign(actor, body.assignee)
    change = CaseChange(title=body.title, severity=body.severity, priority=body.priority,
                        assignee=body.assignee, team=body.team, status=body.status,
                        verdict=body.verdict, summary=body.summary)
    restrict = tuple(body.restrict_to) if body.restrict_to is not None else None
    return _public(workspace.case_update(actor.viewer, case_id, change,
                                         restrict_to=restrict, unrestrict=body.unrestrict))


@router.post("/{case_id}/notes", response_model=Created, status_code=201, responses=CASE)
def add_note(case_id: PathId, body: NoteCreate, actor: Worker,
             workspace: WorkspaceDep) -> Created:
    """Add a Markdown note (`template`: the root-cause template, filled in)."""
    return Created(id=workspace.case_note(actor.viewer, case_id, body.body,
                                          template=body.template))


@router.post("/{case_id}/tasks", response_model=Created, status_code=201, responses=CASE)
def add_task(case_id: PathId, body: TaskCreate, actor: Worker,
             workspace: WorkspaceDep) -> Created:
    _may_assign(actor, body.assignee)
    ident = workspace.case_task(actor.viewer, case_id, body.title, assignee=body.assignee)
    return Created(id=ident or 0)


@router.patch("/{case_id}/tasks/{task_id}", response_model=Created, responses=CASE)
def update_task(case_id: PathId, task_id: PathId, body: TaskUpdate, actor: Worker,
                workspace: WorkspaceDep) -> Created:
    """Mark a task done, or open again."""
    if body.done:
        workspace.case_task(actor.viewer, case_id, done=task_id)
    else:
        workspace.case_task(actor.viewer, case_id, reopen=task_id)
    return Created(id=task_id)


@router.post("/{case_id}/links", response_model=Changed, responses=CASE)
def change_links(case_id: PathId, body: LinkChange, actor: Worker,
                 workspace: WorkspaceDep) -> Changed:
    """Link (or, with `remove`, unlink) people, hosts and observables; put alerts in it."""
    links = _links(body.people, body.hosts, body.observables)
    return Changed(changed=workspace.case_link(actor.viewer, case_id, links,
                                               tuple(body.alerts), remove=body.remove))


@router.post("/{case_id}/resolve", response_model=CasePublic, responses=CASE)
def resolve_case(case_id: PathId, body: CaseResolve, actor: Worker,
                 workspace: WorkspaceDep) -> CasePublic:
    """Resolve with an OCSF verdict (required) and an optional closing note."""
    return _public(workspace.case_resolve(actor.viewer, case_id, body.verdict, body.note))


@router.get("/{case_id}/export", responses={
    **CASE, 200: {"description": f"The export; its SHA-256 in `{SHA_HEADER}`, also in "
                                 "the audit log (`case.export`).",
                  "content": {"text/markdown": {}, "application/json": {}}}})
def export_case(case_id: PathId, actor: Reader, workspace: WorkspaceDep,
                fmt: Annotated[ExportFormat, Query(alias="format")] = "markdown",
                hours: Annotated[float, Query(gt=0, le=24 * 90)] = 24.0) -> Response:
    """The pseudonymized case as markdown, json or ocsf (Incident Finding 2005)."""
    with tempfile.TemporaryDirectory(prefix="wk-export-") as tmp:
        path = Path(tmp) / f"case-{case_id}.{SUFFIX[fmt]}"
        done = workspace.case_export(actor.viewer, case_id, fmt, path, hours=hours)
        content = path.read_bytes()
    return Response(content, media_type=MEDIA[fmt], headers={
        SHA_HEADER: done.sha256, "X-Audit-Seq": str(done.audit_seq),
        "Content-Disposition": f'attachment; filename="{path.name}"'})
