"""The raw Windows-event table: fixed core columns plus one string column per event field.

Every record of an EVTX file becomes one row. The core columns are typed and always
present; the ``EventData``/``UserData`` fields of the record are flattened into string
columns named after the field (``Image``, ``CommandLine``, ``TargetObject`` …). The set of
field columns is open: the table is wide and sparse, two Parquet files may carry different
field columns, and readers union them by name (DuckDB ``union_by_name``).

Naming rules, chosen so that the table works on engines with case-insensitive identifiers
(DuckDB, Spark):

* core columns are lower snake case (``event_code``, ``channel`` …);
* a field column keeps the field's spelling, except that a field whose case-folded name
  equals a core column gets the prefix :data:`RESERVED_PREFIX` (Sysmon's ``User`` becomes
  ``data_User``, so it does not collide with the core ``user`` column);
* two fields that differ only by case (``ProcessId``/``ProcessID``) share one column,
  spelled as first seen; lookups are case-insensitive (:func:`find_column`).

Sigma's system-level field names map onto core columns through :data:`SYSTEM_FIELDS`.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyarrow as pa

SOURCE = "evtx"
RESERVED_PREFIX = "data_"

CORE_SCHEMA: pa.Schema = pa.schema(
    [
        pa.field("event_id", pa.string(), nullable=False),
        pa.field("time", pa.timestamp("us", tz="UTC")),
        pa.field("source", pa.string(), nullable=False),
        pa.field("channel", pa.string()),
        pa.field("provider", pa.string()),
        pa.field("event_code", pa.int32()),
        pa.field("computer", pa.string()),
        pa.field("record_id", pa.int64()),
        pa.field("user", pa.string()),
        pa.field("host", pa.string()),
    ]
)
CORE_COLUMNS: frozenset[str] = frozenset(CORE_SCHEMA.names)

#: Sigma field names of the ``System`` block and the core column each one reads.
SYSTEM_FIELDS: dict[str, str] = {
    "eventid": "event_code",
    "channel": "channel",
    "provider_name": "provider",
    "computer": "computer",
    "eventrecordid": "record_id",
}


def data_column_name(field: str) -> str:
    """Column name of an event field: the field itself unless it collides with a core column."""
    if field.casefold() in CORE_COLUMNS or field.casefold().startswith(RESERVED_PREFIX):
        return RESERVED_PREFIX + field
    return field


def sigma_field_column(field: str) -> str:
    """Column (spelling not yet matched to a table) that a Sigma field name reads."""
    system = SYSTEM_FIELDS.get(field.casefold())
    return system if system is not None else data_column_name(field)


def find_column(columns: Iterable[str], name: str) -> str | None:
    """Case-insensitive lookup of ``name``; a dotted name falls back to its last part."""
    by_fold = {c.casefold(): c for c in columns}
    hit = by_fold.get(name.casefold())
    if hit is None and "." in name:
        hit = by_fold.get(name.rsplit(".", 1)[1].casefold())
    return hit


def windows_schema(field_columns: Iterable[str]) -> pa.Schema:
    """The table schema for a batch holding the given field columns (all strings)."""
    extra = [pa.field(name, pa.string()) for name in field_columns if name not in CORE_COLUMNS]
    return pa.schema(list(CORE_SCHEMA) + extra)


__all__ = [
    "CORE_COLUMNS",
    "CORE_SCHEMA",
    "RESERVED_PREFIX",
    "SOURCE",
    "SYSTEM_FIELDS",
    "data_column_name",
    "find_column",
    "sigma_field_column",
    "windows_schema",
]
