"""The lake: Parquet files under ``<workspace>/lake``, listed by a manifest, read with Ibis.

Layout::

    lake/manifest.json                          what is visible
    lake/commits/<seq>-<txn>.json               what each commit changed (rebuilds a lost
                                                manifest: `watchkeeper lake repair`)
    lake/events/<class>/day=YYYY-MM-DD/*.parquet
    lake/entities/<name>/*.parquet
    lake/quarantine/*.parquet
    lake/_staging/<txn>/                        a transaction in progress (never read)
    lake/damaged/                               files `lake repair` took out of the lake
    lake/.lock                                  one writer at a time
    lake/.readers                               held shared by readers (see `lake.lock`)
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa

from watchkeeper.errors import LakeError, WorkspaceError
from watchkeeper.lake import records
from watchkeeper.lake.check import classify
from watchkeeper.lake.files import data_files, first_line, has_data, inspect
from watchkeeper.lake.lock import ReaderLock, exclusive, no_readers
from watchkeeper.lake.manifest import DataFile, Manifest
from watchkeeper.lake.tables import TableSpec, WriteMode, table_spec
from watchkeeper.lake.transaction import Transaction

if TYPE_CHECKING:  # Ibis loads on the first query: ingest and the CLI start without it
    from ibis.backends import BaseBackend
    from ibis.expr.types import Table

ENGINES = ("duckdb", "pyspark")
BOOKKEEPING = frozenset({"_file", "_problem", "_key", "_commit"})
ENGINE_ERRORS = (duckdb.Error, OSError, pa.ArrowException)


def day_folders(first: date, last: date) -> set[str]:
    """The partition folder names (``day=YYYY-MM-DD``) of the days `first` to `last`."""
    return {f"day={(first + timedelta(days=n)).isoformat()}"
            for n in range(max(0, (last - first).days + 1))}


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
        self._reader = ReaderLock(self.root / ".readers")
        self.damaged: dict[str, str] = {}  # listed files reads skipped, and why

    @property
    def manifest_path(self) -> Path:
        return self.root / "manifest.json"

    def manifest(self) -> Manifest:
        """The visible files. A missing manifest reads as an empty lake only when the lake
        holds nothing; otherwise it is an error pointing to `watchkeeper lake repair`."""
        self.reading()
        manifest = self.manifest_file()
        if manifest is None:
            if records.listing(self.root) or has_data(self.root):
                raise LakeError(self._missing_manifest())
            return Manifest()
        return manifest

    def manifest_stamp(self) -> tuple[int, int, int] | None:
        """Identifies the manifest file as stored (None: no file), from one ``stat``.
        Every commit replaces the file through a new one (`write_atomically`), so the
        stamp changes with each commit: an unchanged stamp is an unchanged manifest."""
        try:
            st = self.manifest_path.stat()
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def listing(self, *names: str) -> tuple[tuple[DataFile, ...], ...]:
        """The visible files of tables `names`: while it is unchanged so are their rows,
        so what was built from these tables stays valid (a commit to other tables
        leaves it as it was)."""
        manifest = self.manifest()
        return tuple(tuple(manifest.files(table_spec(name).name)) for name in names)

    def manifest_file(self) -> Manifest | None:
        """The manifest as stored, or None when the file is missing."""
        if not self.manifest_path.exists():
            return None
        return Manifest.load(self.manifest_path)

    def _missing_manifest(self) -> str:
        return (f"{self.manifest_path} is missing but the lake holds "
                f"{len(data_files(self.root))} data files and "
                f"{len(records.listing(self.root))} commit records; nothing was changed: "
                "run `watchkeeper lake repair` to rebuild it")

    def reading(self) -> None:
        """Hold the shared reader lock from now until `close`: files named by any manifest
        this process has read are not deleted meanwhile."""
        self._reader.acquire()

    def close(self) -> None:
        """Stop reading: release the reader lock (tables from this lake may stop working)."""
        self._reader.release()
        self._views.clear()

    def notices(self) -> list[str]:
        """One line per listed file that reads skipped because it is damaged."""
        return [f"{self.root / path}: {why}; reads skip it until `watchkeeper lake repair`"
                for path, why in sorted(self.damaged.items())]

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
        table = self._load(spec, manifest)
        self._views[spec.name] = (manifest.seq, table)
        return table

    def table_days(self, name: str, first: date, last: date) -> Table:
        """The visible rows of an event table on the UTC days `first` to `last` (both
        included), read from those days' files only.

        `table` followed by a filter on ``day`` reads as few files, but DuckDB still plans
        over every file of the table; a query over a few days of a year-long lake runs
        several times faster on this view. It is not cached.
        """
        spec = table_spec(name)
        if not spec.by_day:
            raise KeyError(f"lake table {spec.name!r} is not partitioned by day")
        wanted = day_folders(first, last)
        view = f"{spec.name.replace('/', '_')}_{first:%Y%m%d}_{last:%Y%m%d}"
        return self._load(spec, self.manifest(), view=view,
                          keep=lambda f: f.path.split("/")[-2] in wanted)

    def day_files(self, name: str, first: date, last: date) -> list[str]:
        """The paths of an event table's visible files on the UTC days `first` to `last`
        (those reads found damaged left out): the files `table_days` reads, for a caller
        that reads them with DuckDB itself (`duckdb()`), skipping the view and Ibis."""
        spec = table_spec(name)
        if not spec.by_day:
            raise KeyError(f"lake table {spec.name!r} is not partitioned by day")
        wanted = day_folders(first, last)
        return [str(self.root / f.path) for f in self.manifest().files(spec.name)
                if f.path.split("/")[-2] in wanted and f.path not in self.damaged]

    def duckdb(self) -> duckdb.DuckDBPyConnection | None:
        """The DuckDB connection under the Ibis backend (None on the PySpark engine)."""
        if self.engine != "duckdb":
            return None
        con: duckdb.DuckDBPyConnection = self.ibis().con
        return con

    def _load(self, spec: TableSpec, manifest: Manifest, *, view: str | None = None,
              keep: Callable[[DataFile], bool] | None = None) -> Table:
        """The table's view. A commit landing meanwhile is followed (the newer manifest is
        read again); a listed file that cannot be read is skipped and named in `notices`.
        `keep` chooses among the listed files; `view` names the view instead of the table.
        """
        error: Exception | None = None
        for _ in range(4):
            listed = [f for f in manifest.files(spec.name) if keep is None or keep(f)]
            files = [str(self.root / f.path) for f in listed if f.path not in self.damaged]
            try:
                return self._view(spec, files, bool(listed), view)
            except ENGINE_ERRORS as exc:
                error = exc
            latest = self.manifest()
            if latest.seq != manifest.seq:
                manifest = latest
                continue
            bad = self._find_damaged(spec, manifest.files(spec.name))
            if not bad:
                break
            self.damaged.update(bad)
        raise LakeError(f"{self.root / spec.directory}: cannot be read "
                        f"({first_line(str(error))}); run `watchkeeper lake check`")

    def _find_damaged(self, spec: TableSpec, files: list[DataFile]) -> dict[str, str]:
        found = {}
        for f in files:
            if f.path not in self.damaged:
                defect = inspect(self.root / f.path, spec, f.rows)
                if defect is not None and defect.kind in ("missing", "damaged"):
                    found[f.path] = defect.detail
        return found

    def _view(self, spec: TableSpec, files: list[str], manifest_files: bool = False,
              view: str | None = None) -> Table:
        import ibis

        backend = self.ibis()
        view_name = "wk_" + (view or spec.name.replace("/", "_"))
        if not files:
            empty = spec.schema.empty_table()
            if spec.by_day:
                empty = empty.append_column("day", pa.array([], pa.date32()))
            if self.engine == "duckdb":
                # on this lake's connection: a memtable alone would run on ibis's default
                # backend, one connection shared by every thread (the service's requests,
                # the scheduler's jobs); when files were listed but all skipped, SQL sees it
                name = f"{view_name}_skipped" if manifest_files else f"{view_name}_empty"
                backend.con.register(name, empty)
                table = backend.table(name)
            else:
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
                table = table.select(*spec.schema.names, *extra) if not \
                    set(spec.schema.names) - set(table.columns) else \
                    _widened(table, spec).select(*spec.schema.names, *extra)
        return table

    def _read(self, backend: BaseBackend, files: list[str], directory: str, view: str,
              by_day: bool) -> Table:
        if self.engine == "pyspark":
            from watchkeeper.lake import spark
            return spark.read_parquet(backend, files, str(self.root / directory), view, by_day)
        return backend.read_parquet(files, table_name=view, hive_partitioning=by_day,
                                    union_by_name=True)

    def rows(self, name: str) -> int:
        """Rows stored in a table, from the manifest (no scan), less skipped damaged files."""
        return sum(f.rows for f in self.manifest().files(table_spec(name).name)
                   if f.path not in self.damaged)

    # -- writing -------------------------------------------------------------------------

    @contextmanager
    def writer_lock(self, wait: float = 0.0) -> Iterator[None]:
        """Hold the lake's writer lock, waiting up to `wait` seconds for another writer."""
        with exclusive(self.root / ".lock", wait,
                       f"{self.root}: another Watchkeeper process is writing to this lake"):
            yield

    @contextmanager
    def transaction(self, kind: str, wait: float = 0.0) -> Iterator[Transaction]:
        """Hold the writer lock, clean up after any crashed writer, yield a transaction.

        Leaving the block without `Transaction.commit` discards everything staged.
        """
        with self.writer_lock(wait):
            self.recover()
            txn = Transaction(self, kind)
            try:
                yield txn
            finally:
                txn.close()

    def recover(self) -> list[Path]:
        """Remove what a crashed writer left: staging folders, records of commits that never
        reached the manifest, and unlisted files. Needs the writer lock.

        Refuses (one line, nothing changed) when the manifest is missing but the lake holds
        data or commit records, or when committed files are not listed: those are a lost
        or damaged manifest's, for `watchkeeper lake repair`, never for deletion.
        """
        shutil.rmtree(self.root / "_staging", ignore_errors=True)
        records.clear_temporary(self.root)
        manifest = self.manifest_file()
        if manifest is None:
            if records.listing(self.root) or has_data(self.root):
                raise LakeError(self._missing_manifest())
            manifest = Manifest()  # a lake starts with a manifest: a missing one is lost
            manifest.save(self.manifest_path)
        records.roll_back(self.root, manifest.seq)
        records.backfill(self.root, manifest)
        unlisted = classify(self.root, manifest)
        if unlisted.lost:
            raise LakeError(
                f"{self.root}: {len(unlisted.lost)} committed data file(s) are not listed by "
                f"manifest.json (first: {min(unlisted.lost)}); nothing was changed: run "
                "`watchkeeper lake repair`")
        removed = []
        for rel in unlisted.leftover:
            (self.root / rel).unlink(missing_ok=True)
            removed.append(self.root / rel)
        return removed + self.delete_superseded(unlisted.superseded)

    def delete_superseded(self, paths: list[str]) -> list[Path]:
        """Delete files a commit superseded, if no reader may still use an older manifest
        (this lake's own earlier reads end here); otherwise leave them for a later writer."""
        if not paths:
            return []
        self.close()
        with no_readers(self.root / ".readers") as idle:
            if not idle:
                return []
            for rel in paths:
                (self.root / rel).unlink(missing_ok=True)
        return [self.root / rel for rel in paths]


def _widened(table: Table, spec: TableSpec) -> Table:
    """`table` with the schema's columns its files predate (a column added to the
    schema later) as nulls of their type."""
    import ibis
    return table.mutate(**{f.name: ibis.null().cast(ibis.dtype(f.type))
                           for f in spec.schema if f.name not in table.columns})
