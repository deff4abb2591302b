"""What the state-store benchmarks share: a fresh store of each kind, a workspace of its
own over the prepared enterprise's lake, percentiles.

`store_location("sqlite" | "postgresql", pg_url)` makes an empty store, SQLite in
bench-data/ or PostgreSQL in a schema of its own, and removes it afterwards;
`own_workspace(shared, location)` opens a workspace whose lake and analysis are the
shared workspace's (symbolic links) and whose keys, audit head and state are its own.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text

from bench_ingest import ROOT
from watchkeeper.config import CONFIG_NAME
from watchkeeper.store import StoreLocation, check_url, upgrade
from watchkeeper.workspace import Workspace

PG_SERVER = os.environ.get("WATCHKEEPER_BENCH_POSTGRES",
                           "postgresql+psycopg://postgres@127.0.0.1:5432/test")
KINDS = ("sqlite", "postgresql")


@contextmanager
def store_location(kind: str, pg_url: str = PG_SERVER) -> Iterator[StoreLocation]:
    """A fresh, empty store of `kind`, removed afterwards."""
    if kind == "sqlite":
        folder = ROOT / "bench-data" / f"state-{uuid.uuid4().hex[:8]}"
        folder.mkdir(parents=True)
        try:
            yield StoreLocation(check_url(f"sqlite:///{folder / 'state.db'}"), "bench")
        finally:
            shutil.rmtree(folder)
        return
    schema = f"wk_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(pg_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield StoreLocation(check_url(f"{pg_url}?options=-csearch_path%3D{schema}"), "bench")
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def own_workspace(shared: Path, location: StoreLocation) -> Iterator[Workspace]:
    """A workspace over the shared lake and analysis (symbolic links) with keys and an
    audit head of its own, on `location` (migrated); removed afterwards, not what it
    links to."""
    root = ROOT / "bench-data" / f"ws-{uuid.uuid4().hex[:8]}"
    root.mkdir(parents=True)
    try:
        shutil.copy(shared / CONFIG_NAME, root / CONFIG_NAME)
        for name in ("lake", "analytics"):
            if (shared / name).exists():
                (root / name).symlink_to((shared / name).resolve())
        upgrade(location)
        ws = Workspace.open(root, create=False, database_url=location.url)
        try:
            yield ws
        finally:
            ws.close_state()
    finally:
        shutil.rmtree(root)


def p95(values: list[float]) -> float:
    """The 95th percentile (nearest rank) of `values`."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
