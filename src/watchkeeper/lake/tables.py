"""The lake's tables: where each lives, its schema, and how writes are deduplicated."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import pyarrow as pa

from watchkeeper.schema import CLASSES, ENTITIES, EventClass
from watchkeeper.schema.windows import CORE_SCHEMA as WINDOWS_CORE

QUARANTINE_SCHEMA = pa.schema([
    pa.field("quarantine_id", pa.string(), nullable=False),
    pa.field("source", pa.string()),
    pa.field("file", pa.string()),
    pa.field("line", pa.int64()),
    pa.field("reason", pa.string()),
    pa.field("raw", pa.string()),
])


class WriteMode(StrEnum):
    APPEND = "append"    # rows whose key is already stored are duplicates
    UPSERT = "upsert"    # identical rows are duplicates; the latest row per key wins on read
    REPLACE = "replace"  # derived table: each commit replaces it whole
    DISTINCT = "distinct"  # identical rows are duplicates; every distinct row is kept


@dataclass(frozen=True)
class TableSpec:
    """A lake table."""

    name: str
    schema: pa.Schema
    key: str
    mode: WriteMode
    by_day: bool = False
    dynamic: bool = False  # extra (string) columns beyond the schema are kept

    def conform(self, rows: pa.Table) -> pa.Table:
        """Rows in this table's schema; a dynamic table keeps its extra columns."""
        if not self.dynamic:
            return rows.select(self.schema.names).cast(self.schema)
        fields = [self.schema.field(n) if n in self.schema.names else pa.field(n, pa.string())
                  for n in rows.column_names]
        return rows.cast(pa.schema(fields))

    @property
    def directory(self) -> str:
        return self.name


def _build() -> dict[str, TableSpec]:
    specs: list[TableSpec] = [
        TableSpec(f"events/{c.value}", spec.schema, "event_id", WriteMode.APPEND, by_day=True)
        for c, spec in CLASSES.items()
    ]
    # observations keep every distinct row, so what is stored (and the people history
    # derived from it) never depends on which of two differing rows arrived first
    modes = {"people_observations": WriteMode.DISTINCT, "people": WriteMode.REPLACE}
    specs += [
        TableSpec(f"entities/{name}", e.schema, e.key, modes.get(name, WriteMode.UPSERT))
        for name, e in ENTITIES.items()
    ]
    specs.append(TableSpec("quarantine", QUARANTINE_SCHEMA, "quarantine_id", WriteMode.APPEND))
    specs.append(TableSpec("raw/windows", WINDOWS_CORE, "event_id", WriteMode.APPEND,
                           by_day=True, dynamic=True))
    return {s.name: s for s in specs}


TABLES: dict[str, TableSpec] = _build()


def table_spec(name: str) -> TableSpec:
    """Spec by full name (``events/email``) or short name (``email``, ``people``)."""
    for candidate in (name, f"events/{name}", f"entities/{name}", f"raw/{name}"):
        if candidate in TABLES:
            return TABLES[candidate]
    raise KeyError(f"unknown lake table {name!r} (known: {', '.join(sorted(TABLES))})")


def event_table(cls: EventClass | str) -> str:
    return f"events/{EventClass(cls).value}"
