"""One page of a list query, by keyset cursor or by offset.

``page(session, select(Alert).where(...), limit=50, order=(Order(Alert.event_time,
descending=True),))`` sorts by the given columns and then by the entity's primary key
(a query of some of an entity's columns, its key and the sort columns among them, pages
the same way and gives `Row`s: cheaper when only the keys are wanted)
(so equal values never repeat or skip a row between pages), and returns the rows with
an opaque cursor for the next page. A cursor names the last row's sort values; it stays
valid while rows are added, where an offset would shift. Cursor sort columns must be
NOT NULL (SQL puts NULLs at different ends on SQLite and PostgreSQL).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar, cast

from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import InstrumentedAttribute, Session

from watchkeeper.errors import PagingError, StoreError

T = TypeVar("T")
MAX_LIMIT = 1000


@dataclass(frozen=True)
class Order:
    """Sort by `column`, descending when asked."""

    column: InstrumentedAttribute[Any]
    descending: bool = False


@dataclass(frozen=True)
class Page(Generic[T]):
    """The rows of one page; `next_cursor` is None on the last page."""

    items: tuple[T, ...]
    next_cursor: str | None
    offset: int


def page(session: Session, query: Select[T], *, limit: int,
         order: Sequence[Order] = (), cursor: str | None = None,
         offset: int = 0) -> Page[T]:
    """Rows `offset`.. (or after `cursor`) of `query` in `order`, at most `limit`."""
    if not 1 <= limit <= MAX_LIMIT:
        raise PagingError("limit", f"{limit}: expected 1 to {MAX_LIMIT}")
    if offset < 0 or (cursor is not None and offset):
        raise PagingError("offset", "expected a number from 0, and not together with a cursor")
    keys = [*order, *(Order(pk, order[-1].descending if order else False)
                      for pk in _primary_key(query))]
    for key in keys:
        if cursor is not None and key.column.nullable:
            raise StoreError(f"sort column {key.column.key} may be empty: use an offset")
    stmt = query.order_by(*(k.column.desc() if k.descending else k.column.asc()
                            for k in keys))
    if cursor is not None:
        stmt = stmt.where(_after(keys, _decode(cursor, len(keys))))
    result = session.execute(stmt.offset(offset).limit(limit + 1))
    rows = cast("tuple[T, ...]", tuple(result.scalars().all() if _one_entity(query)
                                       else result.all()))
    items = rows[:limit]
    more = len(rows) > limit
    last = items[-1] if items else None
    nxt = _encode([getattr(last, k.column.key) for k in keys]) if more and last else None
    return Page(items, nxt, offset)


def _one_entity(query: Select[Any]) -> bool:
    """Whether `query` selects whole mapped objects (else columns: rows are `Row`s)."""
    described = query.column_descriptions
    return len(described) == 1 and described[0]["expr"] is described[0]["entity"]


def _primary_key(query: Select[Any]) -> list[InstrumentedAttribute[Any]]:
    entity = query.column_descriptions[0]["entity"]
    if entity is None:
        raise StoreError("page(): the query must select one mapped class")
    mapper = entity.__mapper__
    return [getattr(entity, mapper.get_property_by_column(c).key) for c in mapper.primary_key]


def _after(keys: list[Order], values: list[Any]) -> Any:
    """Rows strictly after `values` in the order of `keys` (each compared as its column's
    type, so a time binds the same way as when it was stored). The first key's bound is
    repeated outside the OR, where an index on it can start its range."""
    clauses = []
    for i, key in enumerate(keys):
        equal = [k.column == v for k, v in zip(keys[:i], values[:i], strict=True)]
        beyond = key.column < values[i] if key.descending else key.column > values[i]
        clauses.append(and_(*equal, beyond))
    first = keys[0]
    bound = first.column <= values[0] if first.descending else first.column >= values[0]
    return and_(bound, or_(*clauses))


def _encode(values: list[Any]) -> str:
    doc = [{"t": v.isoformat()} if isinstance(v, datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(doc, separators=(",", ":")).encode()).decode()


def _decode(cursor: str, width: int) -> list[Any]:
    try:
        doc = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not isinstance(doc, list) or len(doc) != width:
            raise ValueError(cursor)
        return [datetime.fromisoformat(v["t"]) if isinstance(v, dict) else v for v in doc]
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeError):
        raise PagingError("cursor", f"{cursor[:40]!r}: not a cursor of this list") from None
