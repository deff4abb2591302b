"""The web dashboard: server-rendered Jinja2 pages with HTMX, charts in Vega-Lite
(vega-embed), every asset vendored under ``static/vendor`` (`make vendor` re-fetches
them; nothing is fetched at run time). `install(app)` mounts it into the service's
FastAPI app (`watchkeeper.api.create_app`), served by `watchkeeper serve` at ``/``.

Pages call the same `Workspace` facade methods as the API's routes, as the signed-in
account (`web.auth`): pseudonyms, team and region scope, recusal and audit are theirs.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from watchkeeper.web.render import STATIC


def install(app: FastAPI) -> None:
    """Mount the pages at ``/`` and their assets at ``/static``."""
    from watchkeeper.web import (
        pages_audit,
        pages_cases,
        pages_insight,
        pages_login,
        pages_people,
        pages_queue,
        pages_shift,
    )
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in (pages_login, pages_queue, pages_cases, pages_people, pages_insight,
                   pages_shift, pages_audit):
        app.include_router(module.router)


__all__ = ["install"]
