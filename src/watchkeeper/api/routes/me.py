"""`GET /api/v1/me`: who the token belongs to, and what they may see and do."""

from __future__ import annotations

from fastapi import APIRouter

from watchkeeper.api.deps import CurrentUser
from watchkeeper.api.schemas.accounts import MePublic, ScopePublic
from watchkeeper.api.schemas.errors import AUTHENTICATED
from watchkeeper.security.roles import GRANTS, scope

router = APIRouter(tags=["accounts"], responses=AUTHENTICATED)


@router.get("/me", response_model=MePublic)
def me(user: CurrentUser) -> MePublic:
    seen = scope(user)
    return MePublic(id=user.account_id, name=user.name, role=user.role,
                    teams=list(user.teams), regions=list(user.regions),
                    permissions=sorted(GRANTS[user.role]),
                    scope=ScopePublic(case_content=seen.case_content,
                                      all_regions=seen.all_regions,
                                      regions=sorted(seen.regions),
                                      unregioned=seen.unregioned))
