"""``/cases``: the cases the account may open, and one case (status, assignee, verdict,
the investigation timeline as a chart and a table, notes with the root-cause template,
resolve, the playbook runs it started, the case's audit trail). The same facade calls
as `api.routes.cases`; the viewer's restriction, scope and recusal apply."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from watchkeeper.api.deps import WorkspaceDep
from watchkeeper.cases.records import ROOT_CAUSE_TEMPLATE
from watchkeeper.cases.repository import CaseChange, CaseFilter
from watchkeeper.cases.workflow import Status, Verdict
from watchkeeper.security.audit_sql import AuditFilter, AuditPageRequest
from watchkeeper.security.roles import Permission
from watchkeeper.web import charts
from watchkeeper.web.auth import CSRF_FIELD, Actor, WebActor, check_csrf
from watchkeeper.web.forms import Form, read_form
from watchkeeper.web.render import PageRoute, page, redirect

router = APIRouter(route_class=PageRoute, include_in_schema=False)
HOURS = (6.0, 24.0, 72.0, 168.0)


@router.get("/cases")
def cases(request: Request, actor: Actor, workspace: WorkspaceDep, status: str = "",
          cursor: str | None = None) -> Response:
    actor.require(Permission.READ_CASES)
    filters = CaseFilter((status,) if status else ())
    found = workspace.cases_list(actor.viewer, filters, limit=50, cursor=cursor or None)
    return page(request, "cases.html", {"found": found, "status": status,
                                        "statuses": [s.value for s in Status]})


@router.get("/cases/{case_id}")
def case(request: Request, case_id: int, actor: Actor, workspace: WorkspaceDep,
         hours: float = 24.0) -> Response:
    """The case; the read is audited (``case.read``) before anything is shown."""
    actor.require(Permission.READ_CASES)
    detail = workspace.case_show(actor.viewer, case_id, hours if hours in HOURS else 24.0)
    runs = workspace.playbook_runs(case_id=case_id, viewer=actor.viewer, limit=20)
    trail = workspace.audit_entries(AuditFilter(object_type="case", object_id=str(case_id)),
                                    AuditPageRequest(limit=50))
    return page(request, "case.html", {
        "detail": detail, "case": detail.case, "trail": trail.items, "runs": runs,
        "timeline_spec": charts.case_timeline(detail.timeline), "hours": hours,
        "hour_choices": HOURS, "statuses": [s.value for s in Status],
        "verdicts": [v.word for v in Verdict], "template": ROOT_CAUSE_TEMPLATE,
        "may_work": actor.may(Permission.WORK_CASES)})


async def _worker_form(request: Request, actor: WebActor) -> Form:
    form = await read_form(request)
    check_csrf(request, actor, form.get(CSRF_FIELD))
    actor.require(Permission.WORK_CASES)
    return form


def _back(request: Request, case_id: int, done: str) -> Response:
    return redirect(request, f"/cases/{case_id}", done)


@router.post("/cases/{case_id}/update")
async def update(request: Request, case_id: int, actor: Actor,
                 workspace: WorkspaceDep) -> Response:
    """Change the status (the workflow is enforced) or the assignee."""
    form = await _worker_form(request, actor)
    assignee = form.get("assignee").strip()
    if assignee and assignee.casefold() != actor.name.casefold():
        actor.require(Permission.ASSIGN_CASES)
    status = form.get("status").strip() or None
    workspace.case_update(actor.viewer, case_id,
                          CaseChange(status=status, assignee=assignee or None))
    return _back(request, case_id, "case updated")


@router.post("/cases/{case_id}/notes")
async def note(request: Request, case_id: int, actor: Actor,
               workspace: WorkspaceDep) -> Response:
    """A Markdown note; `template` fills the root-cause template from the case."""
    form = await _worker_form(request, actor)
    ident = workspace.case_note(actor.viewer, case_id, form.get("body"),
                                template=form.get("template") == "1")
    return _back(request, case_id, f"note {ident} added")


@router.post("/cases/{case_id}/resolve")
async def resolve(request: Request, case_id: int, actor: Actor,
                  workspace: WorkspaceDep) -> Response:
    """Resolve with a verdict (required) and an optional closing note."""
    form = await _worker_form(request, actor)
    view = workspace.case_resolve(actor.viewer, case_id, form.required("verdict"),
                                  form.get("note").strip() or None)
    return _back(request, case_id, f"resolved: {view.verdict}")
