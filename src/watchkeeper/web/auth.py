"""Signing in to the dashboard with the case service's accounts.

- The session is a browser session of `security.sessions.BrowserSessions`: the cookie
  ``wk_session`` holds its secret (HttpOnly, SameSite=Strict, Secure over HTTPS); the
  store keeps only its SHA-256, 12 hours; signing out deletes it; disabling the account
  ends it.
- Every form that changes something carries a CSRF token, also sent by HTMX as the
  ``X-CSRF-Token`` header: SHA-256 over a label and the session secret, so it is
  bound to the session, unknown to another site (the cookie is HttpOnly) and not
  derivable from what the store keeps. The sign-in form, before any session, uses a
  double-submit token (cookie ``wk_login`` = form field). A request whose ``Origin``
  names another site is refused as well.
- A page needs a signed-in account; without one it redirects to ``/login``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request

from watchkeeper.api.deps import WHAT, WorkspaceDep
from watchkeeper.errors import AuthenticationError, PermissionDeniedError, WatchkeeperError
from watchkeeper.security.roles import Permission, Principal

if TYPE_CHECKING:
    from watchkeeper.security.recusal import Viewer

COOKIE = "wk_session"
LOGIN_COOKIE = "wk_login"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
BAD_CSRF = "the form is stale or came from another site (CSRF check failed): reload the page"


class LoginRequired(WatchkeeperError):
    """No signed-in account: the page redirects to ``/login``."""


@dataclass(frozen=True)
class WebActor:
    """The signed-in account: its principal, the viewer it acts as on cases, and the
    CSRF token of its session."""

    principal: Principal
    viewer: Viewer
    csrf: str

    @property
    def name(self) -> str:
        return self.principal.name

    def may(self, permission: Permission) -> bool:
        return self.principal.may(permission)

    def require(self, permission: Permission) -> None:
        if not self.may(permission):
            raise PermissionDeniedError(f"role {self.principal.role.value} may not "
                                        f"{WHAT[permission]}")


def csrf_of(secret: str) -> str:
    return hashlib.sha256(b"watchkeeper web csrf\0" + secret.encode()).hexdigest()


def same_origin(request: Request) -> bool:
    """No ``Origin`` header (an old browser, a test client), or this host's."""
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.headers.get("host", "")


def check_csrf(request: Request, actor: WebActor, sent: str | None) -> None:
    token = request.headers.get(CSRF_HEADER) or sent or ""
    if not same_origin(request) or not hmac.compare_digest(token, actor.csrf):
        raise PermissionDeniedError(BAD_CSRF)


def new_login_token() -> str:
    return secrets.token_urlsafe(24)


def check_login_token(request: Request, sent: str) -> None:
    cookie = request.cookies.get(LOGIN_COOKIE, "")
    if not same_origin(request) or not cookie or not hmac.compare_digest(cookie, sent):
        raise PermissionDeniedError(BAD_CSRF)


def web_actor(request: Request, workspace: WorkspaceDep) -> WebActor:
    """The signed-in account (LoginRequired without one), kept on ``request.state``."""
    secret = request.cookies.get(COOKIE, "")
    principal = workspace.accounts().sessions.authenticate(secret) if secret else None
    if principal is None:
        raise LoginRequired("sign in first")
    actor = WebActor(principal, workspace.case_viewer(principal.name), csrf_of(secret))
    request.state.actor = actor
    return actor


Actor = Annotated[WebActor, Depends(web_actor)]


def login_url(request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"/login?next={quote(target, safe='')}"


#: the permission the pages under each address need (the page checks it again)
PAGE_NEEDS = (("/audit", Permission.READ_AUDIT), ("/alerts", Permission.READ_CASES),
              ("/cases", Permission.READ_CASES), ("/people", Permission.READ_CASES),
              ("/rules", Permission.READ_CASES), ("/sources", Permission.READ_CASES),
              ("/handoff", Permission.READ_CASES))


def home_of(principal: Principal) -> str:
    """The page a role starts on: the overview, or the audit trail for an auditor."""
    if not principal.may(Permission.READ_CASES) and principal.may(Permission.READ_AUDIT):
        return "/audit"
    return "/"


def landing(principal: Principal, target: str) -> str:
    """Where to go after signing in: `target` when the role may open it, else the
    role's own home (an auditor asked for the queue lands on the audit trail, not on a
    refusal)."""
    path = urlsplit(target).path
    for prefix, needs in PAGE_NEEDS:
        if (path == prefix or path.startswith(prefix + "/")) and not principal.may(needs):
            return home_of(principal)
    return target


def safe_next(target: str | None) -> str:
    """Only a path of this site (never ``//host`` or a scheme) is followed after sign-in."""
    if not target or not target.startswith("/") or target.startswith("//") \
            or "\\" in target:
        return "/"
    return target


__all__ = ["COOKIE", "CSRF_FIELD", "LOGIN_COOKIE", "Actor", "AuthenticationError",
           "LoginRequired", "WebActor", "check_csrf", "check_login_token", "csrf_of",
           "home_of", "landing", "login_url", "new_login_token", "safe_next", "web_actor"]
