"""`create_app(workspace)`: the FastAPI app over one workspace.

Nothing is opened at import time or by `create_app`: the state store opens at startup
(or with the first request) and closes at shutdown. The OpenAPI document is published
at ``/api/v1/openapi.json``, with links between operations (`api.links`); the
interactive docs (Swagger UI, ReDoc) are off, because FastAPI loads their assets from a
CDN and the service fetches nothing from the internet.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from fastapi import Depends, FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from watchkeeper import __version__
from watchkeeper.api import errors
from watchkeeper.api.deps import state_of
from watchkeeper.api.intake import GroupCommit
from watchkeeper.api.links import add_links
from watchkeeper.api.routes import RESOURCES, health
from watchkeeper.api.schemas.fields import storable_params

if TYPE_CHECKING:
    from watchkeeper.workspace import Workspace

API_PREFIX = "/api/v1"
HEADERS = ((b"cache-control", b"no-store"), (b"x-content-type-options", b"nosniff"))
#: the dashboard's assets (`watchkeeper.web`: vendored scripts, styles) hold nothing of
#: anyone's: a browser keeps them an hour instead of fetching ~900 kB with every page
ASSET_HEADERS = ((b"cache-control", b"public, max-age=3600"),
                 (b"x-content-type-options", b"nosniff"))


def create_app(workspace: Workspace) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state_of(workspace)   # SQLite migrates itself; PostgreSQL behind refuses here
        try:
            yield
        finally:
            intake.close()
            workspace.close_state()

    app = FastAPI(title="Watchkeeper", version=__version__,
                  description="Alerts, cases and accounts of one Watchkeeper workspace.",
                  openapi_url=f"{API_PREFIX}/openapi.json", docs_url=None, redoc_url=None,
                  swagger_ui_oauth2_redirect_url=None, lifespan=lifespan,
                  dependencies=[Depends(storable_params)])
    app.state.workspace = workspace
    app.state.intake = intake = GroupCommit(workspace)
    errors.install(app)
    app.include_router(health.router)
    for router in RESOURCES:
        app.include_router(router, prefix=API_PREFIX)
    from watchkeeper.web import install as install_web
    install_web(app)   # the dashboard's pages at /, assets at /static
    app.add_middleware(NoStore)
    _publish_links(app)
    return app


def _publish_links(app: FastAPI) -> None:
    """The published document carries the OpenAPI links of `api.links`."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = add_links(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


class NoStore:
    """Answers are not cached (a token is shown once) nor sniffed as another type; the
    dashboard's static assets may be cached."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        added = ASSET_HEADERS if scope["path"].startswith("/static/") else HEADERS

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *added]
            await send(message)

        await self.app(scope, receive, send_with_headers)
