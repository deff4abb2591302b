"""Write a stream of Arrow batches as Parquet files partitioned by day, in bounded memory.

Event logs arrive in time order or close to it (a CERT log, a SIEM export, a DuckDB scan
of one with its chunks interleaved), so the rows of one day come in a few long runs.
`DaySplitWriter` groups each batch's rows by day (a stable sort when the batch is mixed),
keeps a small buffer per day and writes a row group when a day's buffer is full, when a
batch no longer holds that day (its file is then closed: open Parquet writers hold their
encoders' memory), when the total buffered rows pass a limit (the largest buffer goes
first), or when the stream ends. Past `max_open` open files the least recently used one
is closed. A later row for a closed day starts a new file: more files, never more
memory. The layout is DuckDB's hive partitioning (``day=YYYY-MM-DD/``, the
day column itself not stored), so `watchkeeper.lake.publish` reads both alike.

Measured on the 1,000-person simulator's ``http.csv`` (4.4 M rows, one thread): 4.4 s of
CPU against 6.9 s for DuckDB's partitioned ``COPY`` of the same relation.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

DAY = "day"
_EPOCH = date(1970, 1, 1)
_NULL_DAY = np.iinfo(np.int32).min


def day_folder(day: int) -> str:
    """The partition folder of a day (days since 1970-01-01), as DuckDB names it."""
    if day == _NULL_DAY:
        return f"{DAY}=NULL"
    return f"{DAY}={(_EPOCH + timedelta(days=int(day))).isoformat()}"


@dataclass
class _Day:
    parts: list[pa.RecordBatch] = field(default_factory=list)
    rows: int = 0


class DaySplitWriter:
    """Day-partitioned Parquet files under `out` from batches carrying a `day` column."""

    def __init__(self, out: Path, prefix: str, compression: str, *, row_group: int = 131_072,
                 max_buffered: int = 524_288, max_open: int = 32) -> None:
        self.out = out
        self.prefix = prefix
        self.compression = compression
        self.row_group = row_group
        self.max_buffered = max_buffered
        self.max_open = max_open
        self.files: list[Path] = []
        self._schema: pa.Schema | None = None
        self._buffers: dict[int, _Day] = {}
        self._buffered = 0
        self._open: OrderedDict[int, pq.ParquetWriter] = OrderedDict()

    def write(self, batch: pa.RecordBatch) -> None:
        """Add rows; `batch` must have a date32 `day` column (null for rows without one)."""
        if batch.num_rows == 0:
            return
        index = batch.schema.get_field_index(DAY)
        days = _day_numbers(batch.column(index))
        rows = batch.remove_column(index)
        if self._schema is None:
            self._schema = rows.schema
        cuts = np.flatnonzero(np.diff(days)) + 1
        if len(cuts) > 16:  # interleaved days: group them, keeping each day's order
            order = np.argsort(days, kind="stable")
            days, rows = days[order], rows.take(pa.array(order))
            cuts = np.flatnonzero(np.diff(days)) + 1
        starts = np.concatenate([[0], cuts])
        ends = np.concatenate([cuts, [len(days)]])
        present = {int(days[start]) for start in starts.tolist()}
        for day in [d for d in self._buffers if d not in present]:
            self._flush(day)  # a day the stream has moved past: write it out now
        for day in [d for d in self._open if d not in present]:
            self._open.pop(day).close()
        for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
            self._add(int(days[start]), rows.slice(start, end - start))

    def close(self) -> list[Path]:
        """Write what is buffered, close every file; the files written, in order."""
        for day in sorted(self._buffers):
            self._flush(day)
        for writer in self._open.values():
            writer.close()
        self._open.clear()
        return list(self.files)

    def abort(self) -> None:
        """Close open files without writing buffers (the caller discards the folder)."""
        for writer in self._open.values():
            writer.close()
        self._open.clear()
        self._buffers.clear()

    def _add(self, day: int, rows: pa.RecordBatch) -> None:
        buffer = self._buffers.setdefault(day, _Day())
        buffer.parts.append(rows)
        buffer.rows += rows.num_rows
        self._buffered += rows.num_rows
        if buffer.rows >= self.row_group:
            self._flush(day)
        while self._buffered > self.max_buffered:
            self._flush(max(self._buffers, key=lambda d: self._buffers[d].rows))

    def _flush(self, day: int) -> None:
        buffer = self._buffers.pop(day, None)
        if buffer is None or not buffer.rows:
            return
        self._buffered -= buffer.rows
        assert self._schema is not None
        self._writer(day).write_table(pa.Table.from_batches(buffer.parts, self._schema),
                                      row_group_size=max(buffer.rows, 1))

    def _writer(self, day: int) -> pq.ParquetWriter:
        writer = self._open.get(day)
        if writer is not None:
            self._open.move_to_end(day)
            return writer
        if len(self._open) >= self.max_open:
            _, oldest = self._open.popitem(last=False)
            oldest.close()
        path = self.out / day_folder(day) / f"{self.prefix}-{len(self.files)}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        assert self._schema is not None
        writer = pq.ParquetWriter(path, self._schema, compression=self.compression)
        self.files.append(path)
        self._open[day] = writer
        return writer


def write_by_day(rows: pa.Table, out: Path, prefix: str, compression: str,
                 required: Collection[str]) -> list[Path]:
    """Write rows held in memory (with a `day` column) as one file per day, each without
    the columns its rows leave empty, except the `required` ones: a wide sparse table
    (raw Windows events, hundreds of providers' fields) costs a day file the columns
    that day has. Readers union files by name. Rows keep their order within a day."""
    index = rows.schema.get_field_index(DAY)
    days = _day_numbers(rows.column(index))
    rows = rows.remove_column(index)
    order = np.argsort(days, kind="stable")
    if len(order) and np.any(order[1:] < order[:-1]):
        days, rows = days[order], rows.take(pa.array(order))
    cuts = np.flatnonzero(np.diff(days)) + 1
    files: list[Path] = []
    for start, end in zip([0, *cuts.tolist()], [*cuts.tolist(), len(days)], strict=True):
        if end <= start:
            continue
        part = rows.slice(start, end - start)
        part = part.select([n for n, c in zip(part.column_names, part.columns, strict=True)
                            if n in required or c.null_count < part.num_rows])
        path = out / day_folder(int(days[start])) / f"{prefix}-{len(files)}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(part, path, compression=compression)
        files.append(path)
    return files


def _day_numbers(column: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Days since the epoch as int32, nulls as a sentinel that sorts first."""
    days = column.cast(pa.int32())
    if days.null_count:
        days = days.fill_null(_NULL_DAY)
    return np.asarray(days.to_numpy(zero_copy_only=False), dtype=np.int32)


__all__ = ["DAY", "DaySplitWriter", "day_folder", "write_by_day"]
