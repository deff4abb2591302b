"""The output formats: columns of every event file and the in-memory event batches."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt
import pyarrow as pa

CERT_COLUMNS: dict[str, tuple[str, ...]] = {
    "logon": ("id", "date", "user", "pc", "activity"),
    "device": ("id", "date", "user", "pc", "file_tree", "activity"),
    "file": ("id", "date", "user", "pc", "filename", "activity", "to_removable_media",
             "from_removable_media", "content"),
    "email": ("id", "date", "user", "pc", "to", "cc", "bcc", "from", "activity", "size",
              "attachments", "content"),
    "http": ("id", "date", "user", "pc", "url", "activity", "content"),
}
DATASTORE_FIELDS: tuple[str, ...] = (
    "user", "host", "dataset", "data_region", "operation", "records", "sensitivity", "ticket",
    "purpose", "client_ip")
SOURCES: tuple[str, ...] = ("logon", "device", "file", "email", "http", "datastore")
FILE_NAMES: dict[str, str] = {s: f"{s}.csv" for s in CERT_COLUMNS} | {
    "datastore": "datastore_access.jsonl"}
_INT_FIELDS = frozenset({"size", "records"})


def fields(source: str) -> tuple[str, ...]:
    """The event fields a batch carries (everything but the id and the timestamp)."""
    if source == "datastore":
        return DATASTORE_FIELDS
    return CERT_COLUMNS[source][2:]


def schema(source: str) -> pa.Schema:
    """Batch schema: UTC seconds, incident tag (-1 = benign), then the event fields."""
    cols = [pa.field("ts", pa.int64()), pa.field("tag", pa.int32())]
    cols += [pa.field(f, pa.int64() if f in _INT_FIELDS else pa.string()) for f in fields(source)]
    return pa.schema(cols)


def batch(source: str, ts: npt.NDArray[np.int64], columns: Mapping[str, pa.Array | Sequence[str]],
          tag: int = -1) -> pa.Table:
    """An event batch of `source`; every field of the source must be given."""
    sch = schema(source)
    arrays: list[pa.Array] = [pa.array(ts, pa.int64()),
                              pa.array(np.full(len(ts), tag, dtype=np.int32))]
    for name in fields(source):
        arrays.append(pa.array(columns[name], sch.field(name).type))
    return pa.Table.from_arrays(arrays, schema=sch)


def rows_batch(source: str, rows: Sequence[Mapping[str, object]]) -> pa.Table:
    """An event batch from a few Python rows (incident and look-alike events)."""
    return pa.Table.from_pylist(list(rows), schema=schema(source))


def empty(source: str) -> pa.Table:
    return schema(source).empty_table()
