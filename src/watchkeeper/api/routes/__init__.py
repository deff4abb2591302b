"""One module per resource; a new resource is one module and one line in `RESOURCES`
(mounted under ``/api/v1``). `health` is mounted at the root (``/healthz``, ``/readyz``)."""

from fastapi import APIRouter

from watchkeeper.api.routes import alerts, cases, me, shifts, sla, teams, tokens, users

RESOURCES: tuple[APIRouter, ...] = (
    me.router,
    users.router,
    tokens.router,
    teams.router,
    cases.router,
    alerts.router,
    shifts.router,
    shifts.handoffs,
    sla.router,
    sla.notifications,
)

__all__ = ["RESOURCES"]
