"""HR feed: one CSV row per person per feed date -> ``people_observations`` rows.

Header: ``id,name,email,department,team,role,manager,region,country,hire_date,
notice_date,end_date,watchlists`` plus an optional ``as_of`` column; ``team`` may be
absent. Dates are ISO (``2025-01-31``); watchlists are ``;``-separated; ``manager`` is a
user id. A row's ``as_of`` is its own column when present, else its hire date.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pyarrow as pa

from watchkeeper.schema.entities import PEOPLE_OBSERVATIONS
from watchkeeper.sources.base import Parsed, SourceContext
from watchkeeper.sources.catalog import cell, read_csv_table
from watchkeeper.sources.rows import CHUNK_SIZE, FieldError, Row, csv_header

__all__ = ["HrSource", "sniff"]

_TEXT = ("name", "email", "department", "team", "role", "manager", "region", "country")
_DATES = {"employment_start": "hire_date", "notice_date": "notice_date",
          "end_date": "end_date"}


def _row(record: dict[str, str]) -> Row:
    user = cell(record, "id", pa.string())
    if user is None:
        raise FieldError("id", "missing")
    row: Row = {c: cell(record, c, pa.string()) for c in _TEXT}
    row.update({col: _date(record, src) for col, src in _DATES.items()})
    hired = _date(record, "hire_date")
    if hired is None:
        raise FieldError("hire_date", "missing")
    as_of = _date(record, "as_of") or hired
    watchlists = cell(record, "watchlists", pa.list_(pa.string()), ";")
    row.update(observation_id=f"hr:{as_of.isoformat()}:{user}", source="hr", as_of=as_of,
               user=user, watchlists=watchlists or [])
    return row


def _date(record: dict[str, str], column: str) -> date | None:
    value = cell(record, column, pa.date32())
    return value if isinstance(value, date) else None


class HrSource:
    """Reads an HR feed CSV into people_observations (source ``hr``)."""

    name = "hr"

    def __init__(self, chunk_size: int = CHUNK_SIZE) -> None:
        self.chunk_size = chunk_size

    def read(self, path: Path, ctx: SourceContext) -> Iterator[Parsed]:
        return read_csv_table(path, PEOPLE_OBSERVATIONS.name, _row, ("id", "hire_date"),
                              self.chunk_size)


def sniff(path: Path) -> bool:
    """True when the header has id, hire_date and notice_date columns."""
    return {"id", "hire_date", "notice_date"} <= csv_header(path)
