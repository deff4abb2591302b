"""`/api/v1/tokens`: API tokens. Everyone manages their own; an admin anyone's. A token
of someone else's reads as absent (404) to a caller who may not manage it."""

from __future__ import annotations

from fastapi import APIRouter

from watchkeeper.api.deps import AccountsDep, CurrentUser
from watchkeeper.api.schemas.accounts import TokenCreate, TokenIssued, TokenPublic
from watchkeeper.api.schemas.errors import AUTHENTICATED, responses
from watchkeeper.api.schemas.fields import PathId
from watchkeeper.errors import NotFoundError, PermissionDeniedError
from watchkeeper.security.accounts import Accounts
from watchkeeper.security.roles import Permission, Principal
from watchkeeper.security.tokens import TokenInfo

router = APIRouter(prefix="/tokens", tags=["accounts"], responses=AUTHENTICATED)


def _admin(user: Principal) -> bool:
    return user.may(Permission.MANAGE_ACCOUNTS)


def _own(user: Principal, name: str) -> None:
    if not _admin(user) and name.casefold() != user.name.casefold():
        raise PermissionDeniedError(f"role {user.role.value} may manage its own tokens only")


def _visible(user: Principal, accounts: Accounts, token_id: int) -> TokenInfo:
    info = accounts.tokens.get(token_id)
    if not _admin(user) and info.user != user.name:
        raise NotFoundError(f"token {token_id}: no such token "
                            "(see `watchkeeper tokens list`)")
    return info


@router.get("", response_model=list[TokenPublic], responses=responses(404))
def list_tokens(caller: CurrentUser, accounts: AccountsDep,
                user: str | None = None) -> list[TokenPublic]:
    """The caller's tokens; an admin sees everyone's, or `user`'s."""
    if user is not None:
        _own(caller, user)
    wanted = user if _admin(caller) else caller.name
    return [TokenPublic.model_validate(t) for t in accounts.tokens.list(wanted)]


@router.post("", response_model=TokenIssued, status_code=201, responses=responses(404))
def create_token(body: TokenCreate, user: CurrentUser, accounts: AccountsDep) -> TokenIssued:
    """A new token, shown in this answer only."""
    owner = body.user or user.name
    _own(user, owner)
    issued = accounts.tokens.create(owner, body.label)
    return TokenIssued(**TokenPublic.model_validate(issued.info).model_dump(),
                       token=issued.token)


@router.get("/{token_id}", response_model=TokenPublic, responses=responses(404))
def get_token(token_id: PathId, user: CurrentUser, accounts: AccountsDep) -> TokenPublic:
    return TokenPublic.model_validate(_visible(user, accounts, token_id))


@router.delete("/{token_id}", response_model=TokenPublic, responses=responses(404))
def revoke_token(token_id: PathId, user: CurrentUser, accounts: AccountsDep) -> TokenPublic:
    """Revoke a token for good (it stays listed as revoked)."""
    _visible(user, accounts, token_id)
    return TokenPublic.model_validate(accounts.tokens.revoke(token_id))
