"""`/api/v1/users`: accounts (admin only)."""

from __future__ import annotations

from fastapi import APIRouter

from watchkeeper.api.deps import AccountsDep, AdminUser
from watchkeeper.api.schemas.accounts import UserCreate, UserPublic, UserUpdate
from watchkeeper.api.schemas.errors import AUTHENTICATED, responses

router = APIRouter(prefix="/users", tags=["accounts"], responses=AUTHENTICATED)


@router.get("", response_model=list[UserPublic])
def list_users(_: AdminUser, accounts: AccountsDep) -> list[UserPublic]:
    return [UserPublic.model_validate(u) for u in accounts.users.list()]


@router.post("", response_model=UserPublic, status_code=201,
             responses=responses(404, 409))
def create_user(body: UserCreate, _: AdminUser, accounts: AccountsDep) -> UserPublic:
    password = body.password.get_secret_value() if body.password is not None else None
    info = accounts.users.add(body.name, body.role.value, body.teams, password)
    return UserPublic.model_validate(info)


@router.get("/{name}", response_model=UserPublic, responses=responses(404))
def get_user(name: str, _: AdminUser, accounts: AccountsDep) -> UserPublic:
    return UserPublic.model_validate(accounts.users.get(name))


@router.patch("/{name}", response_model=UserPublic, responses=responses(404))
def update_user(name: str, body: UserUpdate, _: AdminUser,
                accounts: AccountsDep) -> UserPublic:
    return UserPublic.model_validate(accounts.users.set_disabled(name, body.disabled))
