"""Tables as rows: a consistent dump of any store to JSON lines, and loading rows back.

A PostgreSQL backup is a logical dump (no ``pg_dump`` needed): every table read inside
one REPEATABLE READ transaction, so the tables agree with each other, one JSON object per
row in primary-key order. Times are written as ISO text and read back by the column's
type; JSON columns stay JSON.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, DateTime, Engine, MetaData, Table, delete, func, select
from sqlalchemy.types import TypeDecorator

from watchkeeper.errors import StoreError
from watchkeeper.store.models import Base

VERSION_TABLE = "alembic_version"
BATCH = 1000


def dump(engine: Engine, folder: Path) -> tuple[str | None, dict[str, int], dict[str, Path]]:
    """Write every table to ``folder/tables/<name>.jsonl`` in one snapshot; returns the
    schema revision, rows per table and the files written."""
    (folder / "tables").mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    files: dict[str, Path] = {}
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            revision = MigrationContext.configure(conn).get_current_revision()
            tables = MetaData()
            tables.reflect(conn)
            for table in tables.sorted_tables:
                if table.name == VERSION_TABLE:
                    continue
                name = f"tables/{table.name}.jsonl"
                files[name] = folder / name
                counts[table.name] = _write_table(conn, table, files[name])
    return revision, counts, files


def _write_table(conn: Connection, table: Table, path: Path) -> int:
    order = list(table.primary_key.columns) or list(table.columns)
    rows = 0
    with path.open("w", encoding="utf-8") as out:
        for row in conn.execute(select(table).order_by(*order)).mappings():
            out.write(json.dumps(dict(row), default=_encode, ensure_ascii=False) + "\n")
            rows += 1
    return rows


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise StoreError(f"cannot back up a value of type {type(value).__name__}")


def read_jsonl(table: Table, path: Path) -> Iterator[dict[str, Any]]:
    """The rows of one dumped table, with times turned back into datetimes."""
    times = {c.name for c in table.columns if _is_time(c.type)}
    with path.open(encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            try:
                row = json.loads(line)
                yield {k: datetime.fromisoformat(v) if k in times and v is not None else v
                       for k, v in row.items()}
            except (ValueError, AttributeError):
                raise StoreError(f"{path.name}:{number}: not a dumped row") from None


def read_table(conn: Connection, table: Table) -> Iterator[dict[str, Any]]:
    """The rows of one table of another store (a restored SQLite file)."""
    order = list(table.primary_key.columns)
    for row in conn.execute(select(table).order_by(*order)).mappings():
        yield dict(row)


def replace_all(conn: Connection, rows: dict[str, Iterator[dict[str, Any]]]) -> dict[str, int]:
    """Empty every model table, then insert `rows` per table name, parents first; on
    PostgreSQL, move each id sequence past the highest id loaded."""
    for table in reversed(Base.metadata.sorted_tables):
        conn.execute(delete(table))
    counts: dict[str, int] = {}
    for table in Base.metadata.sorted_tables:
        counts[table.name] = _insert(conn, table, rows.get(table.name, iter(())))
        if conn.dialect.name == "postgresql":
            _reset_sequence(conn, table)
    return counts


def _insert(conn: Connection, table: Table, rows: Iterator[dict[str, Any]]) -> int:
    known = set(table.columns.keys())
    total, batch = 0, []
    for row in rows:
        extra = set(row) - known
        if extra:
            raise StoreError(f"table {table.name}: unknown column {sorted(extra)[0]}")
        batch.append(row)
        if len(batch) == BATCH:
            conn.execute(table.insert(), batch)
            total, batch = total + len(batch), []
    if batch:
        conn.execute(table.insert(), batch)
    return total + len(batch)


def _reset_sequence(conn: Connection, table: Table) -> None:
    column = table.autoincrement_column
    if column is None:
        return
    sequence = func.pg_get_serial_sequence(table.name, column.name)
    conn.execute(select(func.setval(sequence, func.coalesce(func.max(column), 0) + 1, False)))


def _is_time(kind: Any) -> bool:
    if isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    return isinstance(kind, DateTime)
