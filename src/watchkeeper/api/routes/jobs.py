"""`/api/v1/jobs`: the scheduler's jobs (leads and admins): settings, last run and
outcome, next run, and who runs them now."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from watchkeeper.api.deps import WorkspaceDep, requires
from watchkeeper.api.schemas.errors import AUTHENTICATED, responses
from watchkeeper.api.schemas.ops import JobPublic
from watchkeeper.errors import NotFoundError
from watchkeeper.security.roles import Permission, Principal

router = APIRouter(prefix="/jobs", tags=["jobs"], responses=AUTHENTICATED)

Operator = Annotated[Principal, Depends(requires(Permission.READ_JOBS))]


@router.get("", response_model=list[JobPublic])
def list_jobs(_: Operator, workspace: WorkspaceDep) -> list[JobPublic]:
    """Every job, in the scheduler's order."""
    return [JobPublic.model_validate(j) for j in workspace.scheduler_jobs()]


@router.get("/{name}", response_model=JobPublic, responses=responses(404))
def get_job(name: str, _: Operator, workspace: WorkspaceDep) -> JobPublic:
    found = [j for j in workspace.scheduler_jobs() if j.name == name]
    if not found:
        raise NotFoundError(f"job {name}: no such job (see `watchkeeper scheduler jobs`)")
    return JobPublic.model_validate(found[0])
