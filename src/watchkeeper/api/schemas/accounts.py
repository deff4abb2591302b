"""Accounts, tokens, teams and the caller (`/me`): one model per purpose, so a password
hash or a token hash can never leak through a public model."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, SecretStr

from watchkeeper.api.schemas.fields import Public, Request
from watchkeeper.security.roles import Permission, Role


class UserCreate(Request):
    name: str = Field(min_length=1, max_length=100)
    role: Role
    teams: list[str] = Field(default_factory=list, description="Teams to join.")
    password: SecretStr | None = Field(
        None, description="For the dashboard's sign-in (12+ characters); leave it out "
                          "for a token-only account. Never returned or logged.")


class UserUpdate(Request):
    disabled: bool = Field(description="Disable (tokens stop working, sessions end) or "
                                       "enable the account.")


class UserPublic(Public):
    id: int
    name: str
    role: Role
    disabled: bool
    has_password: bool
    teams: list[str]
    created_at: datetime


class TokenCreate(Request):
    user: str | None = Field(None, description="The account (default: the caller; "
                                               "another account needs the admin role).")
    label: str = Field("", max_length=200)


class TokenPublic(Public):
    id: int
    user: str
    label: str
    created_at: datetime
    last_used: datetime | None
    revoked: bool


class TokenIssued(TokenPublic):
    token: str = Field(description="The token itself, shown this once: only its SHA-256 "
                                   "is kept.")


class TeamCreate(Request):
    name: str = Field(min_length=1, max_length=100)
    regions: list[str] = Field(min_length=1, description="Data regions (* for all).")


class TeamPublic(Public):
    id: int
    name: str
    regions: list[str]
    members: list[str]
    created_at: datetime


class ScopePublic(Public):
    case_content: bool = Field(description="Whether the caller may read alerts and cases.")
    all_regions: bool
    regions: list[str]
    unregioned: bool = Field(description="Whether items without a region are visible.")


class MePublic(BaseModel):
    id: int
    name: str
    role: Role
    teams: list[str]
    regions: list[str]
    permissions: list[Permission]
    scope: ScopePublic
