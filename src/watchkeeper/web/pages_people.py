"""``/people/{pseudonym}``: a person as the account may see them (their regions, not
recused): risk over time, recent alerts and cases, the person's audit trail, and for a
lead a reveal of who it is, with a reason (``person.reveal`` in the audit trail). The
same facade calls as `api.routes.people` and the queue's listing."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from watchkeeper.api.deps import WorkspaceDep
from watchkeeper.cases.queue import AlertQuery
from watchkeeper.cases.repository import CaseFilter
from watchkeeper.security.audit_sql import AuditFilter, AuditPageRequest
from watchkeeper.security.reveals import Revealed
from watchkeeper.security.roles import Permission, scope
from watchkeeper.web import charts
from watchkeeper.web.auth import CSRF_FIELD, Actor, WebActor, check_csrf
from watchkeeper.web.forms import read_form
from watchkeeper.web.render import PageRoute, page

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def _person_page(request: Request, actor: WebActor, workspace: WorkspaceDep,
                 pseudonym: str, revealed: Revealed | None = None) -> Response:
    actor.require(Permission.READ_CASES)
    profile = workspace.person_profile(actor.viewer, pseudonym)
    code = profile.pseudonym
    alerts = workspace.alerts_list(AlertQuery(limit=20, scope=scope(actor.principal)),
                                   person=code)
    cases = workspace.cases_list(actor.viewer, CaseFilter(person=code), limit=20)
    trail = workspace.audit_entries(AuditFilter(object_type="person", object_id=code),
                                    AuditPageRequest(limit=50))
    context: dict[str, Any] = {
        "profile": profile, "alerts": alerts.items, "cases": cases.items,
        "trail": trail.items, "risk_spec": charts.risk_over_time(profile.risk),
        "may_reveal": actor.may(Permission.REVEAL), "revealed": revealed}
    return page(request, "person.html", context)


@router.get("/people/{pseudonym}")
def person(request: Request, pseudonym: str, actor: Actor,
           workspace: WorkspaceDep) -> Response:
    return _person_page(request, actor, workspace, pseudonym[:64])


@router.post("/people/{pseudonym}/reveal")
async def reveal(request: Request, pseudonym: str, actor: Actor,
                 workspace: WorkspaceDep) -> Response:
    """Who is behind the pseudonym, shown on this answer only (never stored in the
    page's address); the reveal and its reason are audited before it is shown."""
    form = await read_form(request)
    check_csrf(request, actor, form.get(CSRF_FIELD))
    done = workspace.reveal(actor.viewer, pseudonym[:64], form.get("reason"))
    return _person_page(request, actor, workspace, done.pseudonym, done)
