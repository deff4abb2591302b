"""``/handoff``: the hand-off page for the team on shift. The latest hand-off it
received (the open cases the previous shift passed on, with their SLA clocks, what they
wait on, their last notes and the next step), acknowledging it, and every team's shift
calendar (`Workspace.shift_handoff`, the same reads as the API's ``/handoffs``)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request, Response

from watchkeeper.api.deps import WorkspaceDep
from watchkeeper.security.roles import Permission
from watchkeeper.web.auth import CSRF_FIELD, Actor, check_csrf
from watchkeeper.web.forms import read_form
from watchkeeper.web.render import PageRoute, page, redirect

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/handoff")
def handoff(request: Request, actor: Actor, workspace: WorkspaceDep,
            team: str = "") -> Response:
    actor.require(Permission.READ_CASES)
    found = workspace.shift_handoff(actor.viewer, team.strip() or None,
                                    actor.principal.teams)
    mine = found.team is not None and found.team in actor.principal.teams
    return page(request, "handoff.html", {
        "found": found, "may_ack": actor.may(Permission.WORK_CASES)
        and (mine or actor.may(Permission.ASSIGN_CASES))})


@router.post("/handoff/{ident}/ack")
async def acknowledge(request: Request, ident: int, actor: Actor,
                      workspace: WorkspaceDep) -> Response:
    """The receiving team takes the hand-off (a member, a lead or an admin)."""
    form = await read_form(request)
    check_csrf(request, actor, form.get(CSRF_FIELD))
    actor.require(Permission.WORK_CASES)
    done = workspace.handoff_acknowledge(actor.viewer, ident)
    return redirect(request, f"/handoff?team={quote(done.to_team or done.team, safe='')}",
                    f"hand-off {done.id} acknowledged")
