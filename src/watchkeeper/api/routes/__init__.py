"""One module per resource; a new resource is one module and one line in `RESOURCES`
(mounted under ``/api/v1``). `health` is mounted at the root (``/healthz``, ``/readyz``)."""

from fastapi import APIRouter

from watchkeeper.api.routes import (
    access,
    access_review,
    alerts,
    cases,
    events,
    feedback,
    jobs,
    me,
    metrics,
    people,
    playbooks,
    shifts,
    sla,
    teams,
    tokens,
    users,
    violations,
)

RESOURCES: tuple[APIRouter, ...] = (
    access.decide_router,   # first: data platforms ask before every access to user data
    alerts.router,   # then alert senders, who make most other requests (matched in order)
    me.router,
    users.router,
    tokens.router,
    teams.router,
    cases.router,
    people.router,
    events.router,
    jobs.router,
    feedback.router,
    shifts.router,
    shifts.handoffs,
    sla.router,
    sla.notifications,
    metrics.router,
    access.router,
    access_review.router,
    violations.router,
    playbooks.router,
    playbooks.case_runs,
)

__all__ = ["RESOURCES"]
