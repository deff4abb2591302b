"""The lake: Parquet files under ``<workspace>/lake``, listed by a manifest, read with Ibis.

Layout::

    lake/manifest.json                          what is visible
    lake/events/<class>/day=YYYY-MM-DD/*.parquet
    lake/entities/<name>/*.parquet
    lake/quarantine/*.parquet
    lake/_staging/<txn>/                        a transaction in progress (never read)
    lake/.lock                                  one writer at a time
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa

from watchkeeper.errors import WorkspaceError
from watchkeeper.lake.manifest import Manifest
from watchkeeper.lake.tables import TABLES, WriteMode, table_spec
from watchkeeper.lake.transaction import Transaction

if TYPE_CHECKING:  # Ibis loads on the first query: ingest and the CLI start without it
    from ibis.backends import BaseBackend
    from ibis.expr.types import Table

ENGINES = ("duckdb", "pyspark")
BOOKKEEPING = frozenset({"_file", "_problem", "_key", "_commit"})


class Lake:
    """Reads and writes the Parquet lake of one workspace."""

    def __init__(self, root: Path, *, memory_limit: str = "1536MB",
                 threads: int | None = None, engine: str = "duckdb",
                 compression: str = "snappy") -> None:
        if engine not in ENGINES:
            raise WorkspaceError(f"unknown engine {engine!r} (known: {', '.join(ENGINES)})")
        self.root = root
        self.engine = engine
        self.compression = compression
        self.memory_limit = memory_limit
        self.threads = threads or max(1, os.cpu_count() or 1)
        self.root.mkdir(parents=True, exist_ok=True)
        self._ibis: BaseBackend | None = None
        self._views: dict[str, tuple[int, Table]] = {}

    @property
    def manifest_path(self) -> Path:
        return self.root / "manifest.json"

    def manifest(self) -> Manifest:
        return Manifest.load(self.manifest_path)

    # -- DuckDB and Ibis -----------------------------------------------------------------

    def connect(self) -> duckdb.DuckDBPyConnection:
        """A fresh DuckDB connection with the lake's memory limit, spill folder and UTC."""
        spill = self.root / "_staging" / "spill"
        spill.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(config={
            "memory_limit": self.memory_limit,
            "threads": self.threads,
            "temp_directory": str(spill),
            "preserve_insertion_order": False,
        })
        con.execute("LOAD icu")
        con.execute("SET TimeZone = 'UTC'")
        return con

    def ibis(self) -> BaseBackend:
        """The Ibis backend queries run on: DuckDB, or PySpark for `engine="pyspark"`."""
        if self._ibis is None:
            import ibis
            if self.engine == "pyspark":
                from watchkeeper.lake import spark
                self._ibis = spark.backend()
            else:
                self._ibis = ibis.duckdb.from_connection(self.connect())
        return self._ibis

    def table(self, name: str) -> Table:
        """The visible rows of a lake table as an Ibis table (empty when nothing is stored).

        Event tables carry a ``day`` column (UTC date) besides their schema; entity tables
        written by upsert show the latest row per key.
        """
        spec = table_spec(name)
        manifest = self.manifest()
        cached = self._views.get(spec.name)
        if cached is not None and cached[0] == manifest.seq:
            return cached[1]
        files = [str(self.root / f.path) for f in manifest.files(spec.name)]
        import ibis

        backend = self.ibis()
        view_name = "wk_" + spec.name.replace("/", "_")
        if not files:
            empty = spec.schema.empty_table()
            if spec.by_day:
                empty = empty.append_column("day", pa.array([], pa.date32()))
            table = ibis.memtable(empty)
        else:
            table = self._read(backend, files, spec.directory, view_name, spec.by_day)
            if spec.mode is WriteMode.UPSERT:
                order = ibis.desc(table["_commit"])
                rank = ibis.row_number().over(group_by=spec.key, order_by=order)
                table = table.mutate(wk_rank=rank).filter(ibis._.wk_rank == 0)
            elif spec.name == "quarantine":
                table = table.rename(commit="_commit")
            extra = ["day"] if spec.by_day else ["commit"] if spec.name == "quarantine" else []
            if spec.dynamic:
                table = table.select(*[c for c in table.columns if c not in BOOKKEEPING])
            else:
                table = table.select(*spec.schema.names, *extra)
        self._views[spec.name] = (manifest.seq, table)
        return table

    def _read(self, backend: BaseBackend, files: list[str], directory: str, view: str,
              by_day: bool) -> Table:
        if self.engine == "pyspark":
            from watchkeeper.lake import spark
            return spark.read_parquet(backend, files, str(self.root / directory), view, by_day)
        return backend.read_parquet(files, table_name=view, hive_partitioning=by_day,
                                    union_by_name=True)

    def rows(self, name: str) -> int:
        """Rows stored in a table, from the manifest (no scan)."""
        return self.manifest().rows(table_spec(name).name)

    # -- writing -------------------------------------------------------------------------

    @contextmanager
    def transaction(self, kind: str) -> Iterator[Transaction]:
        """Hold the writer lock, clean up after any crashed writer, yield a transaction.

        Leaving the block without `Transaction.commit` discards everything staged.
        """
        lock_path = self.root / ".lock"
        with open(lock_path, "a+") as lock:
            try:
                fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise WorkspaceError(
                    f"{self.root}: another Watchkeeper process is writing to this lake"
                ) from None
            try:
                self.recover()
                txn = Transaction(self, kind)
                try:
                    yield txn
                finally:
                    txn.close()
            finally:
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)

    def recover(self) -> list[Path]:
        """Remove staging folders and unlisted files a crashed writer left. Needs the lock."""
        shutil.rmtree(self.root / "_staging", ignore_errors=True)
        listed = self.manifest().paths()
        removed = []
        for top in sorted({s.name.split("/")[0] for s in TABLES.values()}):
            base = self.root / top
            if not base.exists():
                continue
            for path in base.rglob("*.parquet"):
                if str(path.relative_to(self.root)) not in listed:
                    path.unlink()
                    removed.append(path)
        return removed
