"""The Parquet lake: manifest-listed files, atomic commits, dedupe, Ibis reads."""

from watchkeeper.lake.manifest import Commit, DataFile, Manifest
from watchkeeper.lake.store import Lake
from watchkeeper.lake.tables import TABLES, TableSpec, WriteMode, event_table, table_spec
from watchkeeper.lake.transaction import CommitResult, Transaction

__all__ = [
    "TABLES",
    "Commit",
    "CommitResult",
    "DataFile",
    "Lake",
    "Manifest",
    "TableSpec",
    "Transaction",
    "WriteMode",
    "event_table",
    "table_spec",
]
