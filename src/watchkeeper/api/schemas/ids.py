"""Row ids in paths and request bodies: 1 to 2**31 - 1, what an id column holds on
both stores (an ``INTEGER``: 32 bits on PostgreSQL). A larger number is a 422 naming
the field, instead of an error of the store (SQLite cannot bind a number beyond 64
bits; PostgreSQL refuses one beyond 32 as out of range)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path
from pydantic import Field

ID_MAX = 2**31 - 1

RowId = Annotated[int, Field(ge=1, le=ID_MAX)]
"""An id in a request body."""

PathId = Annotated[int, Path(ge=1, le=ID_MAX)]
"""An id in a path."""
