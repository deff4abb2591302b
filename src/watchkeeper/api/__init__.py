"""The REST service: `create_app(workspace)` builds the FastAPI app, `serve` runs it.

Layout (docs/cases.md, "Accounts, roles and the API"): `deps` holds the `Annotated`
dependencies (`WorkspaceDep`, `SessionDep`, `CurrentUser`, role checks), `errors` maps
the error tree onto one JSON error body, `schemas/` holds one pydantic model per purpose,
and `routes/` one module per resource, listed once in `routes.RESOURCES`.
"""

from watchkeeper.api.app import API_PREFIX, create_app

__all__ = ["API_PREFIX", "create_app"]
