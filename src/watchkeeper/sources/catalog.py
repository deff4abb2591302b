"""Catalog files: machines (`devices.csv`) and user-data stores (`assets.csv`).

devices.csv: ``host,owner,shared,region,office`` -> the ``devices`` table.
assets.csv: ``dataset,region,sensitivity,owner_team,description,vip`` -> ``data_assets``,
or the short form ``id,name,region,sensitivity,vip`` (``id`` is the dataset, ``name``
its description). ``vip`` is true/false, yes/no or 1/0; empty: not a VIP store.
Both have a header row; columns other than the key may be absent or empty.
`read_csv_table` and `cell` here are shared with the HR feed reader.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow as pa

from watchkeeper.schema.entities import DATA_ASSETS, DEVICES, EntitySpec
from watchkeeper.sources.base import Parsed, Reject, SourceContext
from watchkeeper.sources.rows import (
    CHUNK_SIZE,
    ChunkBuffer,
    CsvFile,
    FieldError,
    RecordError,
    Row,
    coerce,
    complete,
    csv_header,
)

__all__ = ["AssetsSource", "DevicesSource", "cell", "read_csv_table", "sniff_assets",
           "sniff_devices"]


def read_csv_table(path: Path, table: str, convert: Callable[[dict[str, str]], Row],
                   required: tuple[str, ...], chunk_size: int = CHUNK_SIZE,
                   ) -> Iterator[Parsed]:
    """Stream a headed CSV file into one entity table through `convert` (which raises
    `RecordError` for a bad record); a header without `required` columns is an
    `InputError`."""
    csv_file = CsvFile(path)
    csv_file.require(*required)
    buffer = ChunkBuffer()
    for number, raw, record in csv_file.records():
        try:
            if isinstance(record, RecordError):
                raise record
            buffer.add_row(table, complete(table, convert(record)), (path, number, raw))
        except RecordError as exc:
            buffer.add_reject(table, Reject.of(path, number, str(exc), raw))
        if buffer.count >= chunk_size:
            yield from buffer.flush()
    if buffer.count:
        yield from buffer.flush()


def cell(record: dict[str, str], column: str, typ: pa.DataType,
         split: str | None = None) -> object:
    """One CSV cell converted to `typ`; empty or absent cells are None."""
    try:
        return coerce(record.get(column), typ, split)
    except ValueError as exc:
        raise FieldError(column, str(exc)) from None



def _asset_row(record: dict[str, str]) -> Row:
    """An assets.csv record in either form (see the module docstring)."""
    if "dataset" not in record and "id" in record:
        record = {**record, "dataset": record["id"]}
        if "description" not in record and "name" in record:
            record["description"] = record["name"]
    row = _entity_row(DATA_ASSETS, record)
    if row["vip"] is None:
        row["vip"] = False
    return row


def _entity_row(spec: EntitySpec, record: dict[str, str]) -> Row:
    row = {c.name: cell(record, c.name, c.type) for c in spec.columns}
    if row[spec.key] is None:
        raise FieldError(spec.key, "missing")
    if isinstance(row.get("sensitivity"), str):
        row["sensitivity"] = str(row["sensitivity"]).lower()
    return row


class DevicesSource:
    """Reads `devices.csv` into the devices table."""

    name = "devices"

    def __init__(self, chunk_size: int = CHUNK_SIZE) -> None:
        self.chunk_size = chunk_size

    def read(self, path: Path, ctx: SourceContext) -> Iterator[Parsed]:
        return read_csv_table(path, DEVICES.name, lambda r: _entity_row(DEVICES, r),
                              (DEVICES.key,), self.chunk_size)


class AssetsSource:
    """Reads `assets.csv` into the data_assets table."""

    name = "assets"

    def __init__(self, chunk_size: int = CHUNK_SIZE) -> None:
        self.chunk_size = chunk_size

    def read(self, path: Path, ctx: SourceContext) -> Iterator[Parsed]:
        key = "id" if "dataset" not in csv_header(path) else DATA_ASSETS.key
        return read_csv_table(path, DATA_ASSETS.name, _asset_row, (key,), self.chunk_size)


def sniff_devices(path: Path) -> bool:
    """True when the header has host, owner and shared columns."""
    return {"host", "owner", "shared"} <= csv_header(path)


def sniff_assets(path: Path) -> bool:
    """True when the header has dataset (or id and name) and sensitivity columns."""
    header = csv_header(path)
    return "sensitivity" in header and ("dataset" in header or {"id", "name"} <= header)
