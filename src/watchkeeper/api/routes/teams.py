"""`/api/v1/teams`: teams, their regions and members (admin only; a member sees their
own teams in `/me`)."""

from __future__ import annotations

from fastapi import APIRouter

from watchkeeper.api.deps import AccountsDep, AdminUser
from watchkeeper.api.schemas.accounts import TeamCreate, TeamPublic
from watchkeeper.api.schemas.errors import AUTHENTICATED, responses

router = APIRouter(prefix="/teams", tags=["accounts"], responses=AUTHENTICATED)


@router.get("", response_model=list[TeamPublic])
def list_teams(_: AdminUser, accounts: AccountsDep) -> list[TeamPublic]:
    return [TeamPublic.model_validate(t) for t in accounts.teams.list()]


@router.post("", response_model=TeamPublic, status_code=201, responses=responses(409))
def create_team(body: TeamCreate, _: AdminUser, accounts: AccountsDep) -> TeamPublic:
    return TeamPublic.model_validate(accounts.teams.add(body.name, body.regions))


@router.get("/{name}", response_model=TeamPublic, responses=responses(404))
def get_team(name: str, _: AdminUser, accounts: AccountsDep) -> TeamPublic:
    return TeamPublic.model_validate(accounts.teams.get(name))


@router.put("/{name}/members/{user}", response_model=TeamPublic, responses=responses(404))
def add_member(name: str, user: str, _: AdminUser, accounts: AccountsDep) -> TeamPublic:
    return TeamPublic.model_validate(accounts.teams.add_member(name, user))


@router.delete("/{name}/members/{user}", response_model=TeamPublic,
               responses=responses(404))
def remove_member(name: str, user: str, _: AdminUser, accounts: AccountsDep) -> TeamPublic:
    return TeamPublic.model_validate(accounts.teams.remove_member(name, user))
