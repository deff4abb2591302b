"""``/`` (the overview: alerts per day by severity and the open backlog; its service
levels, SLA compliance and time to acknowledge and resolve per team, load from
``/overview/service`` once the page is shown, as operations metrics take a while over a
large store), ``/rules``
(volume, precision from verdicts and last fired, by the rule statistics the API's
``/rules/stats`` serves) and ``/sources`` (events per source per day, freshness,
quarantine counts)."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from watchkeeper.api.deps import WorkspaceDep
from watchkeeper.security.roles import Permission
from watchkeeper.web import charts
from watchkeeper.web.auth import Actor, home_of
from watchkeeper.web.render import PageRoute, page

router = APIRouter(route_class=PageRoute, include_in_schema=False)
DAYS = (7, 30, 90, 365)


def _days(days: int) -> int:
    return days if days in DAYS else 30


@router.get("/")
def overview(request: Request, actor: Actor, workspace: WorkspaceDep,
             days: int = 30) -> Response:
    if home_of(actor.principal) != "/":
        return RedirectResponse(home_of(actor.principal), status_code=303)
    actor.require(Permission.READ_CASES)
    days = _days(days)
    since = workspace.clock.now().date() - dt.timedelta(days=days - 1)
    found = workspace.queue_overview(actor.viewer, since)
    return page(request, "overview.html", {
        "overview": found, "days": days, "day_choices": DAYS,
        "people": workspace.top_people(actor.viewer, limit=10, days=days),
        "coverage": workspace.source_coverage(), "sparkline": charts.sparkline,
        "chart": charts.alerts_per_day(found),
        "source_chart": charts.alerts_per_source(found),
        "age_chart": charts.backlog_age(found)})


@router.get("/overview/service")
def service(request: Request, actor: Actor, workspace: WorkspaceDep,
            days: int = 30) -> Response:
    """The overview's service levels (`Workspace.service_levels`): a fragment for HTMX,
    a page of its own when opened directly (keyboard users follow the link)."""
    actor.require(Permission.READ_CASES)
    days = _days(days)
    levels = workspace.service_levels(actor.viewer, days)
    name = "_service.html" if request.headers.get("hx-request") else "service.html"
    return page(request, name, {"levels": levels, "days": days})


@router.get("/rules")
def rules(request: Request, actor: Actor, workspace: WorkspaceDep,
          days: int = 30) -> Response:
    """Per rule: alerts, suppressed share, verdicts, precision, and when it last fired
    (the newest alert of the rule in the queue)."""
    actor.require(Permission.READ_CASES)
    days = _days(days)
    since = workspace.clock.now().date() - dt.timedelta(days=days - 1)
    stats = workspace.rules_stats(actor.viewer, since=since)
    last = workspace.rules_last_fired(actor.viewer)
    return page(request, "rules.html", {
        "stats": stats, "last": last, "days": days, "day_choices": DAYS,
        "chart": charts.rule_volume(stats.rules[:50])})


@router.get("/sources")
def sources(request: Request, actor: Actor, workspace: WorkspaceDep,
            days: int = 30) -> Response:
    actor.require(Permission.READ_CASES)
    days = _days(days)
    since = workspace.clock.now().date() - dt.timedelta(days=days - 1)
    found = workspace.sources_overview(since)
    return page(request, "sources.html", {
        "found": found, "days": days, "day_choices": DAYS,
        "chart": charts.source_days(found)})
