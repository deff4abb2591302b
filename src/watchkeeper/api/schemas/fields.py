"""What every request shares: ids and text the stores can hold.

- `RowId` (body) and `PathId` (path): 1 to 2**31 - 1, what an id column holds on both
  stores (an ``INTEGER``: 32 bits on PostgreSQL). A larger number is a 422 naming the
  field, instead of an error of the store (SQLite cannot bind a number beyond 64 bits;
  PostgreSQL refuses one beyond 32 as out of range).
- `Request`: the base of the request bodies: unknown fields are refused, and so is text
  the stores cannot hold (a NUL character, a lone surrogate: `store.types.unstorable`).
- `storable_params`: the same check for path and query parameters, for every route.
- `Public`: the base of the response bodies, built from the facade's frozen dataclasses.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query
from fastapi import Request as HttpRequest
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from watchkeeper.store.types import unstorable

ID_MAX = 2**31 - 1

RowId = Annotated[int, Field(ge=1, le=ID_MAX)]
"""An id in a request body."""

PathId = Annotated[int, Path(ge=1, le=ID_MAX)]
"""An id in a path."""


def _storable(value: Any) -> Any:
    texts = value if isinstance(value, list) else [value]
    for text in texts:
        problem = unstorable(text) if isinstance(text, str) else None
        if problem is not None:
            raise PydanticCustomError("unstorable_text", problem)
    return value


class Public(BaseModel):
    """A response body, built from the facade's frozen dataclasses (`from_attributes`)."""

    model_config = ConfigDict(from_attributes=True)


class Request(BaseModel):
    """A request body: no unknown fields, no text the stores cannot hold."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return _storable(value)


async def storable_params(request: HttpRequest) -> None:
    """Refuse a path or query parameter holding text the stores cannot hold (422 naming
    it, as a request field that does not fit its schema). Async: it does no I/O, and a
    plain function would cost every request a hop to a worker thread."""
    given = [("path", k, v) for k, v in request.path_params.items()]
    given += [("query", k, v) for k, v in request.query_params.multi_items()]
    for where, name, value in given:
        problem = unstorable(value) if isinstance(value, str) else None
        if problem is not None:
            raise RequestValidationError([{"loc": (where, name), "msg": problem,
                                           "type": "unstorable_text"}])


#: A period in the grammar every report shares (`watchkeeper.ops.period`): bounded so
#: that a query string of any length is a 422, not work.
PeriodQuery = Annotated[str | None, Query(
    min_length=1, max_length=64,
    description="2025, 2025-Q1, 2025-03, 2025-03-14 or FROM..TO of these (UTC).")]
