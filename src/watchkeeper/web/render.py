"""Rendering pages: the Jinja2 environment (autoescaped), the headers every page carries,
and the route class that turns a `WatchkeeperError` into an error page with the status
the API gives it (`api.errors.classify`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Coroutine, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates

from watchkeeper import __version__
from watchkeeper.errors import WatchkeeperError
from watchkeeper.security.roles import Permission

HERE = Path(__file__).parent
STATIC = HERE / "static"
templates = Jinja2Templates(directory=HERE / "templates")
#: scripts only from the service itself, never evaluated from text (Vega runs its
#: expressions through vega-interpreter); vega-embed and htmx add style elements
#: ('unsafe-inline' styles only)
CSP = ("default-src 'self'; script-src 'self'; "
       "style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
PAGE_HEADERS = {"Content-Security-Policy": CSP, "Referrer-Policy": "same-origin",
                "X-Frame-Options": "DENY"}


def when(value: dt.datetime | dt.date | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return "—"
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        value = value.astimezone(dt.UTC)
    return value.strftime(fmt if isinstance(value, dt.datetime) else "%Y-%m-%d")


def severity(value: int) -> str:
    from watchkeeper.cases.overview import severity_name
    return severity_name(value)


templates.env.filters["when"] = when
templates.env.filters["severity"] = severity
templates.env.globals["version"] = __version__
templates.env.globals["Permission"] = Permission   # the nav shows what a role may open


FLASH = "wk_flash"


def page(request: Request, name: str, context: Mapping[str, Any],
         status: int = 200) -> Response:
    """Render template `name` with `context` (plus the request's signed-in actor, and
    the note a redirect left in the flash cookie, shown once)."""
    actor = getattr(request.state, "actor", None)
    note = unquote(request.cookies.get(FLASH, ""))[:300]
    full = {"actor": actor, "csrf": actor.csrf if actor is not None else "", "done": note,
            **context}
    response = templates.TemplateResponse(request, name, full, status_code=status,
                                          headers=PAGE_HEADERS)
    if note and not request.headers.get("hx-request"):
        response.delete_cookie(FLASH, path="/")
    return response


def redirect(request: Request, target: str, note: str) -> Response:
    """303 to `target`, which shows `note` once. The note travels in a cookie, not in
    the address, so no link can make a page say what the service never said."""
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(FLASH, quote(note[:300]), httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/", max_age=60)
    return response


def _first_problem(exc: RequestValidationError) -> str:
    """The first problem, naming the field (never echoing the value)."""
    problems = list(exc.errors())
    if not problems:
        return "invalid request"
    where = ".".join(str(p) for p in problems[0].get("loc", ())[1:]) or "request"
    return f"{where}: {problems[0].get('msg', 'invalid')}"


class PageRoute(APIRoute):
    """A page's route: an expected error renders ``error.html`` with the API's status."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            from watchkeeper.api.errors import classify
            from watchkeeper.web.auth import LoginRequired, login_url
            try:
                return await handler(request)
            except LoginRequired:
                if request.headers.get("hx-request"):
                    return Response(status_code=401, headers={"HX-Redirect": "/login"})
                return RedirectResponse(login_url(request), status_code=303)
            except WatchkeeperError as exc:
                status, kind = classify(exc)
                return page(request, "error.html", {"status": status, "kind": kind,
                                                    "message": str(exc)}, status)
            except RequestValidationError as exc:   # an address's value of a wrong type
                return page(request, "error.html", {"status": 422, "kind": "invalid",
                                                    "message": _first_problem(exc)}, 422)

        return handle
