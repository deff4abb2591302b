"""`/api/v1/people/{pseudonym}/reveal`: who is behind a pseudonym.

A lead (the role with `reveal`) states a reason; the reveal is refused outside the
caller's regions and for a person they are recused from (403), for an unknown pseudonym
(404) and without a meaningful reason (422 naming `reason`). The ``reveals`` row and the
audit entry ``person.reveal`` are committed before the answer, which, like every answer
of the service, is sent ``Cache-Control: no-store``.
"""

from __future__ import annotations

from fastapi import APIRouter

from watchkeeper.api.deps import CurrentUser, WorkspaceDep
from watchkeeper.api.schemas.errors import AUTHENTICATED, responses
from watchkeeper.api.schemas.people import RevealCreate, RevealedPublic

router = APIRouter(prefix="/people", tags=["people"], responses=AUTHENTICATED)


@router.post("/{pseudonym}/reveal", response_model=RevealedPublic, responses=responses(404))
def reveal(pseudonym: str, body: RevealCreate, user: CurrentUser,
           workspace: WorkspaceDep) -> RevealedPublic:
    """The person behind `pseudonym`: user id, and name, email and region by the lake's
    newest people-history row. Audited (`person.reveal`, with the reason)."""
    viewer = workspace.case_viewer(user.name)
    return RevealedPublic.model_validate(workspace.reveal(viewer, pseudonym, body.reason))
