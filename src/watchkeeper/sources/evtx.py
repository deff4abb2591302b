"""Windows event logs (EVTX, or their JSON export) into the raw Windows-event table.

:func:`read_evtx` parses a file with the Rust-backed ``evtx`` package and yields
:class:`EvtxBatch` objects of at most ``batch_size`` rows, so memory stays bounded. A file
that cannot be opened raises :class:`~watchkeeper.errors.InputError`; a record that cannot
be parsed becomes a :class:`Reject` (file, record number, reason, raw text) and reading
goes on. :func:`read_event_json` reads the JSON form of the same events (one ``{"Event":
…}`` object, a list of them, or one per line), as found next to the SigmaHQ regression
samples.

Records become field rows in `watchkeeper.sources.evtx_fields` (no Arrow there, so worker
processes start fast); :func:`to_table` makes the Arrow batch of them, column by column.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import pyarrow as pa

from watchkeeper.schema.windows import SOURCE, data_column_name, windows_schema
from watchkeeper.sources.evtx_fields import (
    FieldReader,
    FieldRows,
    Reject,
    json_events,
    parser,
    read_chunk,
    records,
)
from watchkeeper.sources.evtx_values import event_digest, flatten_event_fields

DEFAULT_BATCH_SIZE = 50_000
ID_PREFIX = f"{SOURCE}:"
T = TypeVar("T")


@dataclass(frozen=True)
class EvtxBatch:
    """Rows of the raw Windows-event table plus the records rejected while reading them.

    From :func:`read_files`, rows of many files share a batch: ``files`` then holds each
    row's file number and ``reject_files`` each reject's.
    """

    table: pa.Table
    rejects: tuple[Reject, ...]
    files: pa.Array | None = None
    reject_files: tuple[int, ...] = ()


class ColumnNames:
    """Each event field's column, for the batches of one read: spaces dropped (Defender
    writes "Threat Name", Sigma rules say ThreatName), fields that differ only by case
    in one column spelled as first seen, core names prefixed (`data_column_name`)."""

    def __init__(self) -> None:
        self.columns: dict[str, str] = {}  # case-folded field name -> column spelling
        self.names: dict[str, str] = {}  # field name as written -> its column

    def column(self, field: str) -> str:
        column = self.names.get(field)
        if column is None:
            name = field.replace(" ", "")
            column = self.columns.get(name.casefold())
            if column is None:
                column = data_column_name(name)
                self.columns[name.casefold()] = column
            self.names[field] = column
        return column

    def schema(self) -> pa.Schema:
        """The core columns and every field column seen so far (in name order)."""
        return windows_schema(sorted(set(self.columns.values())))


def to_table(rows: FieldRows, names: ColumnNames, keep: Sequence[bool] | None = None
             ) -> tuple[pa.Table, pa.Array]:
    """The rows as a batch of the raw Windows-event table, and each row's file number.
    Its field columns are every one `names` has seen; with `keep`, only the rows it marks
    and the columns they fill (the others' field names still count as seen)."""
    if keep is None:
        n, new = len(rows), None
    else:
        kept = list(itertools.compress(range(len(rows)), keep))
        n, new = len(kept), [-1] * len(rows)
        for k, i in enumerate(kept):
            new[i] = k
    values: dict[str, list[str | None]] = {}
    for group in rows.groups:
        columns = [names.column(f) for f in group.names]
        positions = group.positions if new is None else [new[p] for p in group.positions]
        mask = None if new is None else [p >= 0 for p in positions]
        if mask is not None:
            if not any(mask):
                continue
            positions = list(itertools.compress(positions, mask))
        for column, texts in zip(columns, group.columns, strict=True):
            out = values.get(column)
            if out is None:
                out = values[column] = [None] * n
            for p, v in zip(positions, texts if mask is None
                            else itertools.compress(texts, mask), strict=True):
                out[p] = v  # a later field of the same column in a row wins, as in a dict

    def pick(column: list[T]) -> list[T]:
        return column if keep is None else list(itertools.compress(column, keep))

    computers = pick(rows.computers)
    core: list[Any] = [[ID_PREFIX + d for d in pick(rows.digests)], pick(rows.times),
                       [SOURCE] * n, pick(rows.channels), pick(rows.providers),
                       pick(rows.codes), computers, pick(rows.record_ids), pick(rows.users),
                       computers]
    schema = names.schema() if keep is None else windows_schema(sorted(values))
    arrays = [pa.array(c, f.type) for c, f in zip(core, schema, strict=False)]
    for f in list(schema)[len(core):]:
        filled = values.get(f.name)
        arrays.append(pa.nulls(n, f.type) if filled is None else pa.array(filled, f.type))
    return (pa.Table.from_arrays(arrays, schema=schema),
            pa.array(pick(rows.files), pa.int32()))


def _batch(rows: FieldRows, names: ColumnNames) -> EvtxBatch:
    table, files = to_table(rows, names)
    return EvtxBatch(table, tuple(rows.rejects), files, tuple(rows.reject_files))


def read_evtx(path: Path | str, batch_size: int = DEFAULT_BATCH_SIZE) -> Iterator[EvtxBatch]:
    """Yield the records of one EVTX file as batches of the raw Windows-event table."""
    path = Path(path)
    evtx_parser = parser(path)
    reader, names = FieldReader(), ColumnNames()
    reader.start(str(path), 0)
    for item in records(evtx_parser, str(path)):
        if isinstance(item, Reject):
            reader.reject(item)
        else:
            reader.add_json(item)
        if reader.size >= batch_size:
            yield _batch(reader.take(), names)
    yield _batch(reader.take(), names)


def read_files(files: Sequence[tuple[int, Path]], batch_size: int = DEFAULT_BATCH_SIZE
               ) -> Iterator[EvtxBatch]:
    """Yield the records of many files (EVTX, or ``.json`` exports by suffix) in shared
    batches, so that a folder of small logs costs what its records cost, not a table per
    file. A file that cannot be opened becomes one reject naming it."""
    names = ColumnNames()
    for rows in read_chunk(files, FieldReader(), batch_size):
        yield _batch(rows, names)


def read_event_json(path: Path | str, batch_size: int = DEFAULT_BATCH_SIZE) -> Iterator[EvtxBatch]:
    """Yield events exported as JSON (``{"Event": {"System": …, "EventData": …}}``)."""
    path = Path(path)
    reader, names = FieldReader(), ColumnNames()
    reader.start(str(path), 0)
    for number, event in enumerate(json_events(path), start=1):
        reader.add_event(event, number)
        if reader.size >= batch_size:
            yield _batch(reader.take(), names)
    yield _batch(reader.take(), names)


def event_id(computer: str | None, channel: str | None, record_id: int | None,
             time: datetime | None, fields: Mapping[str, str | None]) -> str:
    """The id of a Windows event, from the event itself: computer, channel, record number
    and creation time, which Windows never repeats within a log (a record number is
    reused only after the log is cleared, at another time). So one event read from a copy
    of a log, from a later export of the grown log or from its JSON export is one event,
    and nothing has to hash the file. Without a record number, the fields stand in."""
    return ID_PREFIX + event_digest(computer, channel, record_id, time, fields)


def read_many(paths: Iterable[Path | str], batch_size: int = DEFAULT_BATCH_SIZE
              ) -> Iterator[EvtxBatch]:
    """Batches of several files in turn (EVTX by default, ``.json`` exports by suffix)."""
    for path in paths:
        reader = read_event_json if str(path).endswith(".json") else read_evtx
        yield from reader(path, batch_size)


__all__ = [
    "DEFAULT_BATCH_SIZE",
    "ColumnNames",
    "EvtxBatch",
    "Reject",
    "event_id",
    "flatten_event_fields",
    "read_event_json",
    "read_evtx",
    "read_files",
    "read_many",
    "to_table",
]
