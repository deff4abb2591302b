"""Streaming, time-ordered writers for the event files.

Each sink keeps a small carry of events not yet safe to write (a later local day in an
earlier time zone could still produce older UTC times), writes the rest in time order,
and hands back the exact text of every incident event it wrote, for the answer key.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from watchkeeper.sim.clock import format_cert, format_iso
from watchkeeper.sim.layout import CERT_COLUMNS, empty
from watchkeeper.sim.strings import IdMint, join

_OPTIONS = pacsv.WriteOptions(include_header=False, quoting_style="none", batch_size=65_536)


@dataclass(frozen=True)
class Observed:
    """One incident event as written: its incident, time, order and answer-key line."""

    tag: int
    ts: int
    order: int
    line: str


class Sink:
    """Writes one source's events in UTC order, streaming, with bounded memory."""

    def __init__(self, path: Path, source: str, mint: IdMint) -> None:
        self.source = source
        self.rows = 0
        self._mint = mint
        self._carry = empty(source)
        self._file: BinaryIO = path.open("wb")
        if source in CERT_COLUMNS:
            self._file.write((",".join(CERT_COLUMNS[source]) + "\n").encode())

    def push(self, batch: pa.Table, cutoff: int | None, found: list[Observed]) -> None:
        """Add events; write every buffered event older than `cutoff` (all if None)."""
        table = pa.concat_tables([self._carry, batch]) if batch.num_rows else self._carry
        ts = table.column("ts").to_numpy()
        order = np.argsort(ts, kind="stable")
        split = len(ts) if cutoff is None else int(np.searchsorted(ts[order], cutoff))
        ready = table.take(order[:split])
        self._carry = table.take(order[split:])
        if ready.num_rows:
            self._write(ready, found)

    def close(self, found: list[Observed]) -> int:
        self.push(empty(self.source), None, found)
        self._file.close()
        return self.rows

    def _write(self, ready: pa.Table, found: list[Observed]) -> None:
        ids = self._mint.take(ready.num_rows)
        ts = ready.column("ts").to_numpy()
        data = self._render(ready, ids, ts)
        self._file.write(data)
        tags = ready.column("tag").to_numpy()
        hits = np.flatnonzero(tags >= 0)
        if len(hits):
            lines = data.split(b"\n")
            for i in hits:
                text = self._observable(ready, ids, ts, int(i), lines[int(i)].decode())
                found.append(Observed(int(tags[i]), int(ts[i]), self.rows + int(i), text))
        self.rows += ready.num_rows

    def _render(self, ready: pa.Table, ids: pa.Array, ts: np.ndarray) -> bytes:
        cols = CERT_COLUMNS[self.source]
        arrays = [ids, format_cert(ts)] + [ready.column(c) for c in cols[2:]]
        buf = io.BytesIO()
        pacsv.write_csv(pa.Table.from_arrays(arrays, names=list(cols)), buf, _OPTIONS)
        return buf.getvalue()

    def _observable(self, ready: pa.Table, ids: pa.Array, ts: np.ndarray, i: int,
                    line: str) -> str:
        return f"{self.source},{line}"


def _quoted(values: pa.Array) -> pa.Array:
    return pc.if_else(pc.is_null(values), pa.scalar("null"),
                      join([pa.array(['"'] * len(values)), pc.fill_null(values, ""),
                            pa.array(['"'] * len(values))], ""))


class JsonSink(Sink):
    """The data-store access log: one JSON object per line, keys in a fixed order."""

    _KEYS = ("id", "timestamp", "user", "host", "dataset", "data_region", "operation",
             "records", "sensitivity", "ticket", "purpose", "client_ip")

    def _render(self, ready: pa.Table, ids: pa.Array, ts: np.ndarray) -> bytes:
        values = {"id": ids, "timestamp": format_iso(ts)} | {
            k: ready.column(k).combine_chunks() for k in self._KEYS[2:]}
        parts = []
        for k in self._KEYS:
            text = (pc.cast(values[k], pa.string()) if k == "records" else _quoted(values[k]))
            parts.append(join([pa.array([f'"{k}": '] * len(ids)), text], ""))
        lines = join(parts, ", ")
        body = "\n".join(f"{{{s}}}" for s in lines.to_pylist())
        return (body + "\n").encode()

    def _observable(self, ready: pa.Table, ids: pa.Array, ts: np.ndarray, i: int,
                    line: str) -> str:
        stamp = format_iso(ts[i:i + 1])[0].as_py()
        row = {k: ready.column(k)[i].as_py() for k in ("user", "host", "dataset", "operation",
                                                       "records")}
        return (f"datastore,{ids[i].as_py()},{stamp},{row['user']},{row['host']},"
                f"{row['dataset']},{row['operation']},{row['records']}")
