"""``/alerts``: the alert queue (filters, sort, paging, bulk actions, keyboard
shortcuts in ``static/app.js``) and one alert; the same facade calls as
`api.routes.alerts`, in the signed-in account's regions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response

from watchkeeper.api.deps import WorkspaceDep
from watchkeeper.cases.queue import SORTS, STATUSES, AlertQuery
from watchkeeper.errors import ConfigError
from watchkeeper.security.roles import Permission, Scope, scope
from watchkeeper.web.auth import CSRF_FIELD, Actor, WebActor, check_csrf
from watchkeeper.web.forms import FormError, read_form
from watchkeeper.web.render import PageRoute, page, redirect

router = APIRouter(route_class=PageRoute, include_in_schema=False)
SEVERITIES = ((6, "fatal"), (5, "critical"), (4, "high"), (3, "medium"), (2, "low"),
              (1, "informational"), (0, "unknown"))
LIMITS = (25, 50, 100)
ACTIONS = ("assign", "suppress", "group")


@dataclass(frozen=True)
class QueueFilters:
    """The queue's filters as the form sends them (and the links keep them)."""

    status: tuple[str, ...] = ()
    severity: tuple[int, ...] = ()
    rule: str = ""
    source: str = ""
    team: str = ""
    since: dt.date | None = None
    until: dt.date | None = None
    sort: str = "-time"
    limit: int = 50

    def params(self, **more: str) -> str:
        pairs: list[tuple[str, str]] = [("status", s) for s in self.status]
        pairs += [("severity", str(s)) for s in self.severity]
        for name in ("rule", "source", "team"):
            if getattr(self, name):
                pairs.append((name, getattr(self, name)))
        for name in ("since", "until"):
            if getattr(self, name) is not None:
                pairs.append((name, getattr(self, name).isoformat()))
        pairs += [("sort", self.sort), ("limit", str(self.limit)), *more.items()]
        return urlencode(pairs)


def team_scope(workspace: WorkspaceDep, actor: WebActor, team: str) -> Scope:
    """The actor's scope, narrowed to the regions of `team` (one of the teams they may
    pick: their own; an admin any)."""
    seen = scope(actor.principal)
    if not team:
        return seen
    if team not in _teams(workspace, actor):
        raise ConfigError(f"team {team!r}: not one of your teams")
    regions = frozenset(r.casefold() for r in workspace.accounts().teams.get(team).regions)
    if "*" in regions:
        return seen
    kept = regions if seen.all_regions else regions & seen.regions
    return Scope(seen.case_content, False, kept, False)


def _teams(workspace: WorkspaceDep, actor: WebActor) -> tuple[str, ...]:
    if actor.may(Permission.MANAGE_ACCOUNTS):
        return tuple(t.name for t in workspace.accounts().teams.list())
    return actor.principal.teams


def _day(value: str | None, field: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise FormError(field, f"{value[:20]!r} is not a date (YYYY-MM-DD)") from None


def _required_day(value: str, field: str) -> dt.date:
    day = _day(value, field)
    if day is None:
        raise FormError(field, "required")
    return day


def _start(day: dt.date | None, later: int = 0) -> dt.datetime | None:
    if day is None:
        return None
    return dt.datetime.combine(day + dt.timedelta(days=later), dt.time(), dt.UTC)


@router.get("/alerts")
def queue(request: Request, actor: Actor, workspace: WorkspaceDep,
          status: Annotated[list[str] | None, Query()] = None,
          severity: Annotated[list[int] | None, Query()] = None,
          rule: str = "", source: str = "", team: str = "",
          since: str | None = None, until: str | None = None, sort: str = "-time",
          cursor: str | None = None, limit: int = 50) -> Response:
    """The queue: every filter of the API's listing, plus a team's regions; `until` is
    the last day shown (inclusive)."""
    actor.require(Permission.READ_CASES)
    filters = QueueFilters(tuple(s for s in status or () if s),
                           tuple(severity or ()), rule.strip(), source.strip(), team,
                           _day(since, "since"), _day(until, "until"),
                           sort if sort in SORTS else "-time",
                           limit if limit in LIMITS else 50)
    query = AlertQuery(status=filters.status, severity=filters.severity,
                       rule=filters.rule or None, source=filters.source or None,
                       since=_start(filters.since), until=_start(filters.until, 1),
                       sort=filters.sort, limit=filters.limit, cursor=cursor or None,
                       scope=team_scope(workspace, actor, team))
    found = workspace.alerts_list(query)
    context = {"found": found, "filters": filters, "statuses": STATUSES,
               "severities": SEVERITIES, "sorts": tuple(SORTS), "limits": LIMITS,
               "teams": _teams(workspace, actor),
               "first_page": cursor is None,
               "next_url": (f"/alerts?{filters.params(cursor=found.next_cursor)}"
                            if found.next_cursor else None),
               "here": f"/alerts?{filters.params()}",
               "today": workspace.clock.now().date()}
    partial = request.headers.get("hx-target") == "queue"
    return page(request, "_queue.html" if partial else "queue.html", context)


@router.get("/alerts/{alert_id}")
def alert(request: Request, alert_id: int, actor: Actor, workspace: WorkspaceDep) -> Response:
    """One alert in full; the read is audited (``alert.read``), as the API's."""
    actor.require(Permission.READ_CASES)
    detail = workspace.alert_read(actor.name, alert_id, scope(actor.principal))
    return page(request, "alert.html", {"alert": detail,
                                        "today": workspace.clock.now().date()})


@router.post("/alerts/bulk")
async def bulk(request: Request, actor: Actor, workspace: WorkspaceDep) -> Response:
    """Assign, suppress (reason and expiry) or group into a case the chosen alerts."""
    form = await read_form(request)
    check_csrf(request, actor, form.get(CSRF_FIELD))
    actor.require(Permission.WORK_CASES)
    action = form.get("action")
    if action not in ACTIONS:
        raise FormError("action", f"expected one of {', '.join(ACTIONS)}")
    ids = form.ints("alert")
    back = form.get("back", "/alerts")
    back = back if back.startswith("/alerts") else "/alerts"
    viewer = actor.viewer
    if action == "group":
        case = workspace.alerts_group(viewer, ids, form.get("title"))
        return redirect(request, f"/cases/{case.id}",
                        f"case {case.id} opened from {len(ids)} alert(s)")
    if action == "assign":
        assignee = form.get("assignee").strip() or actor.name
        if assignee.casefold() != actor.name.casefold():
            actor.require(Permission.ASSIGN_CASES)
        cases = workspace.alerts_assign(viewer, ids, assignee)
        done = f"{len(ids)} alert(s) assigned to {assignee} in case(s) " + \
            ", ".join(str(c.id) for c in cases)
    else:
        expires = _required_day(form.required("expires"), "expires")
        made = workspace.alerts_suppress(viewer, ids, reason=form.required("reason"),
                                         expires=expires)
        done = f"{len(ids)} alert(s) suppressed: suppression(s) " + \
            ", ".join(str(s.id) for s in made)
    return redirect(request, back, done)


__all__ = ["QueueFilters", "router", "team_scope"]
