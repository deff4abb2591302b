"""`/healthz`: the process answers. `/readyz`: the state store answers at the newest
schema revision and the lake's manifest reads (503 naming what is not ready)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from watchkeeper.api.deps import WorkspaceDep
from watchkeeper.api.schemas.health import Health, ReadyPublic

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    return Health(status="ok")


@router.get("/readyz", response_model=ReadyPublic,
            responses={503: {"model": ReadyPublic, "description": "Not ready"}})
def readyz(workspace: WorkspaceDep) -> JSONResponse:
    ready = ReadyPublic.model_validate(workspace.readiness())
    return JSONResponse(ready.model_dump(), status_code=200 if ready.ready else 503)
