"""`/api/v1/authorize` and `/api/v1/access/…`: access decisions for data platforms, the
decision log, access requests, approvals and grants (docs/access.md).

Data platforms call `POST /authorize` (one question) or `/authorize/batch` (up to 1,000)
with a service account's token before serving user data; every answer is logged, by the
workspace's decision writer behind the answer (docs/access.md, "Speed"). People
request access as the employee their account is linked to (``watchkeeper users person``)
and cannot act as another; leads and admins approve, deny and revoke, likewise as their
own employee. The decision log is for admins and auditors.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response
from starlette.concurrency import run_in_threadpool

from watchkeeper.access.decide import Query as AccessQuery
from watchkeeper.api.deps import WorkspaceDep, requires
from watchkeeper.api.schemas.access import (
    AccessDeny,
    AccessRequestCreate,
    AccessRequestPublic,
    AuthorizeBatch,
    AuthorizeRequest,
    DecisionBatchPublic,
    DecisionLogPublic,
    DecisionPublic,
    GrantPublic,
    GrantRevoke,
)
from watchkeeper.api.schemas.errors import AUTHENTICATED, responses
from watchkeeper.api.schemas.fields import PathId
from watchkeeper.errors import PermissionDeniedError
from watchkeeper.security.roles import Permission, Principal

if TYPE_CHECKING:
    from watchkeeper.access.decide import Decision
    from watchkeeper.workspace import Workspace

router = APIRouter(tags=["access"], responses=AUTHENTICATED)
decide_router = APIRouter(tags=["access"], responses=AUTHENTICATED)
"""`/authorize` and `/authorize/batch`, mounted first: data platforms call them before
serving user data, more often than anything else, and routes are matched in order."""

Caller = Annotated[Principal, Depends(requires(Permission.AUTHORIZE))]
Requester = Annotated[Principal, Depends(requires(Permission.REQUEST_ACCESS))]
Reviewer = Annotated[Principal, Depends(requires(Permission.GRANT_ACCESS))]
Auditor = Annotated[Principal, Depends(requires(Permission.READ_AUDIT))]
Status = Literal["pending", "approved", "denied", "all"]


def employee_of(workspace: Workspace, user: Principal) -> str:
    """The employee `user`'s account is linked to; 403 when none is."""
    person = workspace.case_viewer(user.name).person
    if person is None:
        raise PermissionDeniedError(f"account {user.name} is linked to no employee (an "
                                    "admin links one: `watchkeeper users person`)")
    return person


def _query(body: AuthorizeRequest) -> AccessQuery:
    return AccessQuery(body.principal, body.action, body.resource, body.purpose, body.ticket)


async def _decide(workspace: Workspace, queries: list[AccessQuery],
                  caller: str) -> tuple[Decision, ...]:
    """On the event loop when every cache is warm (the decision is CPU work of well
    under a millisecond and its log row is queued), else in a worker thread (a cache to
    fill reads the lake or the store)."""
    if workspace.access_warm():
        return workspace.authorize_batch(queries, caller=caller, wait=False)
    return await run_in_threadpool(
        lambda: workspace.authorize_batch(queries, caller=caller, wait=False))


def _json(model: DecisionPublic | DecisionBatchPublic) -> Response:
    """The answer serialized once, by its own model: FastAPI would validate a returned
    model against `response_model` again before serializing it."""
    return Response(model.model_dump_json(), media_type="application/json")


@decide_router.post("/authorize", response_model=DecisionPublic, responses=responses())
async def authorize(body: AuthorizeRequest, user: Caller, workspace: WorkspaceDep
                    ) -> Response:
    """Allow or deny one access to user data, with the deciding policies and why.
    Logged."""
    (found,) = await _decide(workspace, [_query(body)], user.name)
    return _json(DecisionPublic.model_validate(found))


@decide_router.post("/authorize/batch", response_model=DecisionBatchPublic,
                    responses=responses())
async def authorize_batch(body: AuthorizeBatch, user: Caller, workspace: WorkspaceDep
                          ) -> Response:
    """Answer up to 1,000 questions at once, in order. Logged."""
    found = await _decide(workspace, [_query(q) for q in body.queries], user.name)
    return _json(DecisionBatchPublic(
        decisions=[DecisionPublic.model_validate(d) for d in found]))


@router.get("/access/decisions", response_model=list[DecisionLogPublic])
def decisions(_: Auditor, workspace: WorkspaceDep,
              principal: Annotated[str | None, Query(max_length=200)] = None,
              resource: Annotated[str | None, Query(max_length=500)] = None,
              since: datetime | None = None,
              limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[DecisionLogPublic]:
    """The decision log, newest first."""
    found = workspace.access_decisions(principal=principal, resource=resource,
                                       since=since, limit=limit)
    return [DecisionLogPublic.model_validate(d) for d in found]


@router.post("/access/requests", response_model=AccessRequestPublic, status_code=201,
             responses=responses(403))
def request_access(body: AccessRequestCreate, user: Requester,
                   workspace: WorkspaceDep) -> AccessRequestPublic:
    """Ask for access, as the employee the account is linked to. Audited
    (`access.request`)."""
    from watchkeeper.access.requests import RequestNew, parse_duration
    me = employee_of(workspace, user)
    made = workspace.access_request(
        RequestNew(body.principal, body.action, body.resource, body.purpose,
                   body.justification, parse_duration(body.duration), body.ticket),
        requester=me, actor=user.name)
    return AccessRequestPublic.model_validate(made)


@router.get("/access/requests", response_model=list[AccessRequestPublic])
def requests(_: Requester, workspace: WorkspaceDep,
             status: Status = "pending") -> list[AccessRequestPublic]:
    """Access requests with `status`, oldest first."""
    found = workspace.access_requests(None if status == "all" else status)
    return [AccessRequestPublic.model_validate(r) for r in found]


@router.post("/access/requests/{ident}/approve", response_model=AccessRequestPublic,
             responses=responses(403, 404, 409))
def approve(ident: PathId, user: Reviewer, workspace: WorkspaceDep) -> AccessRequestPublic:
    """Approve as the account's employee (not the requester, not the person it is for);
    the last approval needed makes the grant. Audited (`access.approve`)."""
    done = workspace.access_approve(ident, approver=employee_of(workspace, user),
                                    actor=user.name)
    return AccessRequestPublic.model_validate(done)


@router.post("/access/requests/{ident}/deny", response_model=AccessRequestPublic,
             responses=responses(403, 404, 409))
def deny(ident: PathId, body: AccessDeny, user: Reviewer,
         workspace: WorkspaceDep) -> AccessRequestPublic:
    """Deny a pending request, saying why. Audited (`access.deny`)."""
    done = workspace.access_deny(ident, approver=employee_of(workspace, user),
                                 reason=body.reason, actor=user.name)
    return AccessRequestPublic.model_validate(done)


@router.get("/access/grants", response_model=list[GrantPublic])
def grants(_: Requester, workspace: WorkspaceDep,
           principal: Annotated[str | None, Query(alias="for", max_length=200)] = None,
           include_ended: Annotated[bool, Query(alias="all")] = False) -> list[GrantPublic]:
    """Grants in force (`all`: also expired and revoked ones), oldest first."""
    found = workspace.access_grants(principal=principal, ended=include_ended)
    return [GrantPublic.model_validate(g) for g in found]


@router.post("/access/grants/{ident}/revoke", response_model=GrantPublic,
             responses=responses(404, 409))
def revoke(ident: PathId, body: GrantRevoke, user: Reviewer,
           workspace: WorkspaceDep) -> GrantPublic:
    """End a grant now. Audited (`access.revoke`)."""
    done = workspace.access_revoke(ident, actor=user.name, reason=body.reason)
    return GrantPublic.model_validate(done)
