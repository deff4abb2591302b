"""``/login`` and ``/logout``: signing in with an account's name and password (a browser
session, `web.auth`), and out."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from watchkeeper.api.deps import WorkspaceDep
from watchkeeper.errors import AuthenticationError
from watchkeeper.web.auth import (
    COOKIE,
    CSRF_FIELD,
    LOGIN_COOKIE,
    Actor,
    check_csrf,
    check_login_token,
    landing,
    new_login_token,
    safe_next,
)
from watchkeeper.web.forms import read_form
from watchkeeper.web.render import PageRoute, page

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def _login_page(request: Request, target: str, error: str | None = None,
                status: int = 200) -> Response:
    token = new_login_token()
    response = page(request, "login.html", {"login_token": token, "next": target,
                                            "error": error, "name": ""}, status)
    response.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/login")
    return response


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    return _login_page(request, safe_next(next))


@router.post("/login")
async def login(request: Request, workspace: WorkspaceDep) -> Response:
    form = await read_form(request)
    check_login_token(request, form.get(CSRF_FIELD))
    target = safe_next(form.get("next"))
    try:
        issued = workspace.accounts().sessions.sign_in(form.get("name"), form.get("password"))
    except AuthenticationError as exc:
        return _login_page(request, target, str(exc), 401)
    principal = workspace.accounts().sessions.authenticate(issued.secret)
    if principal is not None:   # a page the role may not open: its home instead
        target = landing(principal, target)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(COOKIE, issued.secret, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/",
                        expires=issued.expires_at)
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


@router.post("/logout")
async def logout(request: Request, actor: Actor, workspace: WorkspaceDep) -> Response:
    form = await read_form(request)
    check_csrf(request, actor, form.get(CSRF_FIELD))
    workspace.accounts().sessions.sign_out(request.cookies.get(COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response
