"""The lake's data files on disk: where they are, which commit wrote them, and whether one
is whole (readable Parquet with the expected columns and row count)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from watchkeeper.lake.tables import TABLES, TableSpec
from watchkeeper.schema.events import ADDED

TOPS = tuple(sorted({s.name.split("/")[0] for s in TABLES.values()}))


def data_files(root: Path) -> list[str]:
    """Every Parquet file under the tables' folders, relative to the lake root."""
    found: list[str] = []
    for top in TOPS:
        base = root / top
        if base.exists():
            found += (str(p.relative_to(root)) for p in base.rglob("*.parquet"))
    return sorted(found)


def has_data(root: Path) -> bool:
    """True when at least one data file exists (stops at the first)."""
    return any(next((root / top).rglob("*.parquet"), None) is not None
               for top in TOPS if (root / top).exists())


def txn_of(path: str) -> str:
    """The transaction that wrote a file: its name is ``<txn>-<n>.parquet``."""
    return Path(path).stem.rsplit("-", 1)[0]


def table_of(path: str) -> TableSpec | None:
    """The table a file belongs to, from its folder."""
    best: TableSpec | None = None
    for spec in TABLES.values():
        if path.startswith(spec.directory + "/") and (
                best is None or len(spec.directory) > len(best.directory)):
            best = spec
    return best


@dataclass(frozen=True)
class Defect:
    """Why a listed file cannot be used as the manifest describes it."""

    kind: str    # missing | damaged | rows | schema
    detail: str


def inspect(path: Path, spec: TableSpec | None, rows: int | None,
            deep: bool = False) -> Defect | None:
    """None when the file is whole; `deep` also decodes every page (slower)."""
    if not path.exists():
        return Defect("missing", "listed in the manifest but not on disk")
    try:
        meta = pq.read_metadata(path)
        schema = meta.schema.to_arrow_schema()
        if deep:
            for _ in pq.ParquetFile(path).iter_batches(batch_size=65_536):
                pass
    except (OSError, pa.ArrowException) as exc:
        return Defect("damaged", f"not readable Parquet ({first_line(str(exc))})")
    if rows is not None and meta.num_rows != rows:
        return Defect("rows", f"{meta.num_rows} rows, the manifest says {rows}")
    if spec is not None:
        wrong = schema_mismatch(schema, spec.schema)
        if wrong:
            return Defect("schema", wrong)
    return None


def schema_mismatch(actual: pa.Schema, expected: pa.Schema) -> str | None:
    """What is wrong with a file's columns, or None (extra bookkeeping columns are fine)."""
    names = set(actual.names)
    missing = [f.name for f in expected if f.name not in names
               and not (f.metadata and f.metadata.get(ADDED))]
    if missing:
        return f"missing column(s) {', '.join(missing[:5])}"
    for want in expected:
        if want.name not in names:
            continue
        got = actual.field(want.name).type
        if not compatible(got, want.type):
            return f"column {want.name} is {got}, expected {want.type}"
    return None


def compatible(got: pa.DataType, want: pa.DataType) -> bool:
    if got.equals(want):
        return True
    if pa.types.is_timestamp(got) and pa.types.is_timestamp(want):
        return (got.tz is None) == (want.tz is None)  # UTC and Etc/UTC are the same zone
    strings = (pa.types.is_string, pa.types.is_large_string, pa.types.is_string_view)
    if any(f(got) for f in strings) and any(f(want) for f in strings):
        return True
    if (pa.types.is_list(got) or pa.types.is_large_list(got)) and (
            pa.types.is_list(want) or pa.types.is_large_list(want)):
        return compatible(got.value_type, want.value_type)
    return False


def first_line(text: str) -> str:
    """An engine's message cut to its first line (they can run to many)."""
    return text.strip().splitlines()[0] if text.strip() else text
