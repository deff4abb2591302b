"""`/api/v1/playbooks` and `/api/v1/cases/{id}/playbook-runs`: the workspace's
playbooks, and the runs on one case with each step's attempts, last error and result
(docs/operations.md, "Playbooks").

Reading either takes `read_cases`; a case's runs are shown only to whoever may open
the case (restriction, recusal, regions), like every case route.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from watchkeeper.api.deps import WorkspaceDep, requires
from watchkeeper.api.routes.cases import Reader
from watchkeeper.api.schemas.errors import AUTHENTICATED, responses
from watchkeeper.api.schemas.fields import PathId
from watchkeeper.api.schemas.playbooks import (
    PlaybookListPublic,
    PlaybookPublic,
    PlaybookRunPublic,
)
from watchkeeper.security.roles import Permission, Principal

router = APIRouter(prefix="/playbooks", tags=["operations"], responses=AUTHENTICATED)
case_runs = APIRouter(prefix="/cases", tags=["operations"], responses=AUTHENTICATED)
CanRead = Annotated[Principal, Depends(requires(Permission.READ_CASES))]


@router.get("", response_model=PlaybookListPublic)
def list_playbooks(_: CanRead, workspace: WorkspaceDep) -> PlaybookListPublic:
    """The workspace's playbooks, and the files in error (they start nothing)."""
    listing = workspace.playbooks_list()
    return PlaybookListPublic(
        playbooks=[PlaybookPublic.model_validate(p) for p in listing.playbooks],
        errors=list(listing.errors), warnings=list(listing.warnings))


@case_runs.get("/{case_id}/playbook-runs", response_model=list[PlaybookRunPublic],
               responses=responses(404))
def runs_of_case(case_id: PathId, actor: Reader, workspace: WorkspaceDep,
                 limit: Annotated[int, Query(ge=1, le=500)] = 50
                 ) -> list[PlaybookRunPublic]:
    """The playbook runs on the case, newest first, with their steps."""
    return [PlaybookRunPublic.model_validate(r) for r in workspace.playbook_runs(
        case_id=case_id, limit=limit, viewer=actor.viewer)]
