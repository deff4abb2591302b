"""``/audit``: the audit trail for the accounts that read it (auditors, admins): who did
what, when, to which object, newest first, a page of 50 at a time, filtered by actor and
action. No entry's detail is shown (it may quote case content: a reason, a title); the
entries come from the same facade call as ``watchkeeper audit list``."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request, Response

from watchkeeper.api.deps import WorkspaceDep
from watchkeeper.security.audit_sql import AuditFilter, AuditPageRequest
from watchkeeper.security.roles import Permission
from watchkeeper.web.auth import Actor
from watchkeeper.web.render import PageRoute, page

router = APIRouter(route_class=PageRoute, include_in_schema=False)
PER_PAGE = 50


@router.get("/audit")
def audit(request: Request, actor: Actor, workspace: WorkspaceDep,
          who: str = Query("", max_length=200), action: str = Query("", max_length=100),
          cursor: str = Query("", max_length=200)) -> Response:
    actor.require(Permission.READ_AUDIT)
    found = workspace.audit_entries(
        AuditFilter(actor=who.strip() or None, action=action.strip() or None),
        AuditPageRequest(limit=PER_PAGE, cursor=cursor or None))
    return page(request, "audit.html", {
        "entries": found.items, "next_cursor": found.next_cursor, "who": who,
        "action": action, "first": not cursor})
