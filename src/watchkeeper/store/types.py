"""Column types that behave the same on SQLite and PostgreSQL.

- `UtcDateTime`: timezone-aware UTC datetimes in and out. PostgreSQL stores
  ``timestamp with time zone``; SQLite has no zone, so it stores the UTC wall time (ISO
  text, which sorts in time order) and the zone is put back on read. A naive datetime is
  refused: a time without a zone is a bug at the caller.
- `Json`: JSON on SQLite, JSONB on PostgreSQL (indexable, compared by value).

`unstorable(text)` says why a string cannot be stored, for callers that take text from
outside (the API, alert payloads) to refuse it naming the field: PostgreSQL holds no NUL
character in text or JSONB, and neither store writes a string that is not valid Unicode
(a lone surrogate, which JSON's ``"\\ud800"`` decodes to).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine


class UtcDateTime(TypeDecorator[datetime]):
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} (give it a time zone)")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None,
                             dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


Json: TypeEngine[Any] = JSON().with_variant(JSONB(), "postgresql")


def unstorable(text: str) -> str | None:
    """Why `text` cannot be stored on both stores, or None when it can."""
    if "\x00" in text:
        return "contains a NUL character (\\u0000), which the store cannot hold"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid Unicode text (it holds a lone surrogate such as \\ud800)"
    return None
