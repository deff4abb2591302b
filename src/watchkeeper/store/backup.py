"""`backup` and `restore`: the state store and the workspace's keys, in one file.

A SQLite store is copied with SQLite's online backup API, which gives a consistent copy
while other processes write. A PostgreSQL store is dumped table by table in one snapshot
(`watchkeeper.store.dump`). Either kind restores into either kind of store.

Restore checks the whole archive (manifest, checksums, schema revision) before touching
anything, refuses a store that holds data or keys that differ unless forced, and then
replaces the store's content in one transaction: an error leaves it as it was.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine

from watchkeeper import __version__
from watchkeeper.errors import StoreError
from watchkeeper.store import archive, dump, keyfiles, migrate
from watchkeeper.store.engine import BUSY_TIMEOUT_MS, make_engine, one_line_errors
from watchkeeper.store.models import Base
from watchkeeper.store.state import table_counts
from watchkeeper.store.url import StoreLocation

SQLITE_MEMBER = "state.sqlite"


@dataclass(frozen=True)
class BackupReport:
    path: str
    database: str
    dialect: str
    revision: str | None
    tables: dict[str, int]
    keys: tuple[str, ...]
    size: int


@dataclass(frozen=True)
class RestoreReport:
    path: str
    database: str
    revision: str
    tables: dict[str, int]
    keys: tuple[str, ...]
    replaced_rows: int


def backup(location: StoreLocation, keys_dir: Path, path: Path) -> BackupReport:
    """Write the store and the key files to `path` (0600)."""
    with tempfile.TemporaryDirectory(prefix="wk-backup-") as tmp:
        folder = Path(tmp)
        if location.sqlite_path is not None:
            revision, counts, files = _copy_sqlite(location, folder)
        else:
            engine = make_engine(location)
            try:
                with one_line_errors(location, "cannot back up"):
                    revision, counts, files = dump.dump(engine, folder)
            finally:
                engine.dispose()
        key_files = keyfiles.read(keys_dir)
        files.update({f"keys/{name}": src for name, src in key_files.items()})
        manifest = archive.Manifest(datetime.now(UTC).isoformat(), __version__,
                                    location.display, location.dialect, revision, counts)
        size = archive.write(path, manifest, files)
    return BackupReport(str(path), location.display, location.dialect, revision, counts,
                        tuple(sorted(key_files)), size)


def _copy_sqlite(location: StoreLocation, folder: Path
                 ) -> tuple[str | None, dict[str, int], dict[str, Path]]:
    source = location.sqlite_path
    assert source is not None
    if not source.exists():
        raise StoreError(f"{location.display}: no state store here yet (nothing to back up)")
    copy = folder / SQLITE_MEMBER
    with one_line_errors(location, "cannot back up"):
        _sqlite_copy(source, copy)
    engine = create_engine(f"sqlite:///{copy}")
    try:
        copied = StoreLocation(f"sqlite:///{copy}", "backup")
        revision = migrate.current_revision(engine, copied)
        counts = table_counts(engine, copied)
    finally:
        engine.dispose()
    return revision, counts, {SQLITE_MEMBER: copy}


def _sqlite_copy(source: Path, target: Path) -> None:
    """SQLite's online backup: a consistent copy even while others write."""
    src = sqlite3.connect(source, timeout=BUSY_TIMEOUT_MS / 1000)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def restore(location: StoreLocation, keys_dir: Path, path: Path, *,
            force: bool = False) -> RestoreReport:
    """Replace the store's content and the key files with the backup's."""
    with tempfile.TemporaryDirectory(prefix="wk-restore-") as tmp:
        manifest, files = archive.read(path, Path(tmp))
        _check_revision(path, manifest)
        engine = make_engine(location)
        try:
            held = sum(table_counts(engine, location).values())
            _refuse(location, keys_dir, files, held, force)
            migrate.upgrade(location, engine)
            counts = _load(location, engine, path, manifest, files)
        finally:
            engine.dispose()
        written = keyfiles.write(keys_dir, {n.removeprefix("keys/"): p
                                        for n, p in files.items() if n.startswith("keys/")})
    return RestoreReport(str(path), location.display, migrate.head(), counts, written, held)


def _check_revision(path: Path, manifest: archive.Manifest) -> None:
    if manifest.revision is None:
        raise StoreError(f"{path}: the backed-up store had no schema yet (nothing to restore)")
    if not migrate.known(manifest.revision):
        raise StoreError(f"{path}: made at schema revision {manifest.revision}, which this "
                         "Watchkeeper does not know (a newer version made it)")
    if SQLITE_MEMBER not in manifest.members and manifest.revision != migrate.head():
        raise StoreError(f"{path}: a table dump at revision {manifest.revision} loads only "
                         f"into revision {manifest.revision}; restore it with the Watchkeeper "
                         "that made it, run `watchkeeper db upgrade`, and back up again")
    missing = [t.name for t in Base.metadata.sorted_tables
               if SQLITE_MEMBER not in manifest.members
               and f"tables/{t.name}.jsonl" not in manifest.members]
    if missing:
        raise StoreError(f"{path}: damaged backup: table {missing[0]} is missing")


def _refuse(location: StoreLocation, keys_dir: Path, files: dict[str, Path], held: int,
            force: bool) -> None:
    if force:
        return
    if held:
        raise StoreError(f"{location.display}: the state store holds {held:,} rows; "
                         "pass --force to replace them with the backup")
    differ = keyfiles.differing(keys_dir, {n.removeprefix("keys/"): p for n, p in files.items()
                                       if n.startswith("keys/")})
    if differ:
        raise StoreError(f"{keys_dir / differ[0]}: differs from the backup's key; "
                         "pass --force to replace it")


def _load(location: StoreLocation, engine: Engine, path: Path, manifest: archive.Manifest,
          files: dict[str, Path]) -> dict[str, int]:
    if SQLITE_MEMBER in files:
        copy = StoreLocation(f"sqlite:///{files[SQLITE_MEMBER]}", "backup")
        migrate.upgrade(copy)   # an older backup is brought to this version's schema
        source = create_engine(copy.url)
        try:
            with source.connect() as src:
                rows = {t.name: dump.read_table(src, t) for t in Base.metadata.sorted_tables}
                return _replace(location, engine, rows)
        finally:
            source.dispose()
    rows = {t.name: dump.read_jsonl(t, files[f"tables/{t.name}.jsonl"])
            for t in Base.metadata.sorted_tables}
    return _replace(location, engine, rows)


def _replace(location: StoreLocation, engine: Engine,
             rows: dict[str, Iterator[dict[str, Any]]]) -> dict[str, int]:
    with one_line_errors(location, "restore failed, nothing was changed"), \
            engine.begin() as conn:
        return dump.replace_all(conn, rows)
