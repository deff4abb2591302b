"""The service's dependencies, as `Annotated` aliases handlers declare.

- `WorkspaceDep`: the workspace the app was created for.
- `SessionDep`: one state-store session per request. It is committed when the handler
  has returned and its answer is built, *before* the answer is sent (FastAPI's
  ``scope="function"``): a 2xx leaves only after the commit, and a commit that fails
  becomes an error answer instead.
- `AccountsDep`: the account repositories over that session, auditing changes as the
  caller.
- `CurrentUser`: the `Principal` behind ``Authorization: Bearer TOKEN``; 401 with
  ``WWW-Authenticate: Bearer`` without a valid token.
- `requires(permission)` and the aliases built with it (`AdminUser`): 403 for a role
  that may not.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Annotated, cast

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from watchkeeper.errors import AuthenticationError, PermissionDeniedError
from watchkeeper.security.accounts import Accounts
from watchkeeper.security.roles import Permission, Principal

if TYPE_CHECKING:
    from watchkeeper.store import StateStore
    from watchkeeper.workspace import Workspace

NO_TOKEN = ("no API token: send `Authorization: Bearer TOKEN` "
            "(make one with `watchkeeper tokens create USER`)")
BAD_TOKEN = "invalid API token: unknown, revoked, or its account is disabled"
WHAT = {
    Permission.MANAGE_ACCOUNTS: "manage accounts, teams and other accounts' tokens",
    Permission.READ_CASES: "read alerts and cases",
    Permission.WORK_CASES: "change alerts and cases",
    Permission.ASSIGN_CASES: "assign cases",
    Permission.SUBMIT_ALERTS: "submit alerts",
    Permission.READ_AUDIT: "read the audit log",
    Permission.REVEAL: "reveal pseudonyms",
    Permission.SUBMIT_EVENTS: "submit events",
    Permission.READ_JOBS: "see the scheduler's jobs",
    Permission.AUTHORIZE: "ask for access decisions",
    Permission.REQUEST_ACCESS: "request access to user data",
    Permission.GRANT_ACCESS: "approve, deny or revoke access to user data",
}

_opening = threading.Lock()
bearer = HTTPBearer(auto_error=False, scheme_name="token",
                    description="An API token (`watchkeeper tokens create USER`).")


async def get_workspace(request: Request) -> Workspace:
    # async, as `requires`' check: what does no I/O runs on the event loop, not in a
    # worker thread (a thread hop per dependency costs more than the work)
    return cast("Workspace", request.app.state.workspace)


WorkspaceDep = Annotated["Workspace", Depends(get_workspace)]


def state_of(workspace: Workspace) -> StateStore:
    """The workspace's store, opened once even when requests arrive together."""
    with _opening:
        return workspace.state


def get_session(workspace: WorkspaceDep) -> Iterator[Session]:
    with state_of(workspace).session() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


async def current_user(workspace: WorkspaceDep, credentials: Credentials) -> Principal:
    """The caller, authenticated in a short transaction of its own (or remembered for a
    second, `Workspace.authenticate`): the check writes the token's last use, and held in
    the request's session that write would make every other writer of the request
    (intake, audit entries, case jobs) wait for it on SQLite. A caller seen within the
    second is known here, on the event loop; a lookup runs in a worker thread."""
    return await caller(workspace, credentials)


async def caller(workspace: Workspace, credentials: HTTPAuthorizationCredentials | None
                 ) -> Principal:
    """`current_user` as a coroutine, for dependencies that authenticate by themselves."""
    if credentials is not None:
        known = workspace.remembered_caller(credentials.credentials)
        if known is not None:
            return known
    return await run_in_threadpool(authenticated, workspace, credentials)


def authenticated(workspace: Workspace, credentials: HTTPAuthorizationCredentials | None
                  ) -> Principal:
    """`current_user` for a dependency that runs in a worker thread."""
    if credentials is None:
        raise AuthenticationError(NO_TOKEN)
    principal = workspace.authenticate(credentials.credentials)
    if principal is None:
        raise AuthenticationError(BAD_TOKEN)
    return principal


CurrentUser = Annotated[Principal, Depends(current_user)]


def get_accounts(workspace: WorkspaceDep, session: SessionDep,
                 user: CurrentUser) -> Accounts:
    """The account repositories over the request's session; changes are audited in it
    as the caller (`Workspace.accounts`)."""
    return workspace.accounts(session, actor=user.name)


AccountsDep = Annotated[Accounts, Depends(get_accounts)]


def requires(permission: Permission
             ) -> Callable[[Request, HTTPAuthorizationCredentials | None], Awaitable[Principal]]:
    """A dependency: the current user, if their role has `permission`; 403 otherwise.
    It authenticates by itself (`caller`) rather than through `current_user` and
    `get_workspace`: each dependency FastAPI solves costs every request about as much as
    the remembered caller's lookup (yappi, docs/benchmarks.md "Session 8"). A route that
    also takes `CurrentUser` finds the caller remembered by then."""
    async def check(request: Request, credentials: Credentials) -> Principal:
        user = await caller(cast("Workspace", request.app.state.workspace), credentials)
        if not user.may(permission):
            raise PermissionDeniedError(f"role {user.role.value} may not {WHAT[permission]}")
        return user
    check.__name__ = f"requires_{permission.value}"
    return check


AdminUser = Annotated[Principal, Depends(requires(Permission.MANAGE_ACCOUNTS))]
