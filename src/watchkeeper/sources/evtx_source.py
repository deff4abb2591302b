"""`ingest evtx`: Windows event logs into the raw Windows table and normalized classes.

Every record goes to ``raw/windows`` (what Sigma rules scan); logons, removable storage,
process and file creation also become normalized events (`windows_events`), marked as
derived so the record is counted once. A file without the EVTX signature is refused
before the run (`registry.check_fits`); one that has it but cannot be opened becomes one
quarantined record naming the file, so the rest of the run still ingests.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

from watchkeeper.errors import InputError
from watchkeeper.schema.windows import CORE_SCHEMA
from watchkeeper.sources import evtx
from watchkeeper.sources.base import Parsed, Reject, SourceContext
from watchkeeper.sources.rows import head
from watchkeeper.sources.windows_events import normalize, normalize_files

__all__ = ["CHUNK_FILES", "POOL_BYTES", "EvtxSource", "Parsed", "read_chunk", "sniff"]

EVTX_MAGIC = b"ElfFile\x00"
RAW = "raw/windows"


def sniff(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(8) == EVTX_MAGIC
    except OSError:
        return False


def looks_like(path: Path) -> bool:
    """An EVTX file by its signature, or (by `.json` suffix) a JSON export of events."""
    if path.suffix.lower() != ".json":
        return sniff(path)
    start = head(path).lstrip()
    return start[:1] in (b"{", b"[") and b'"Event"' in start


class EvtxSource:
    """Reads .evtx files (and JSON exports of Windows events, by `.json` suffix)."""

    name = "evtx"

    def read(self, path: Path, ctx: SourceContext) -> Iterator[Parsed]:
        reader = evtx.read_event_json if path.suffix.lower() == ".json" else evtx.read_evtx
        try:
            for batch in reader(path):
                rejects = [Reject.of(r.path, r.record, r.reason, r.raw) for r in batch.rejects]
                yield Parsed(RAW, batch.table, rejects)
                for cls, rows in normalize(batch.table).items():
                    yield Parsed(cls, rows, derived=True)
        except InputError as exc:  # the whole file is unreadable: one quarantined record
            yield Parsed(RAW, CORE_SCHEMA.empty_table(), [Reject.of(path, None, exc.reason, "")])

    def read_files(self, files: list[tuple[int, Path]], ctx: SourceContext
                   ) -> Iterator[Parsed]:
        """Many files in shared chunks, read by `ctx.workers` processes when there is
        enough to read; an unreadable file is one reject naming it. Chunks come back in
        file order."""
        chunks = [files[i:i + CHUNK_FILES] for i in range(0, len(files), CHUNK_FILES)]
        size = sum(_size(path) for _, path in files)
        if ctx.workers < 2 or len(chunks) < 2 or size < POOL_BYTES:
            for chunk in chunks:
                yield from read_chunk(chunk)
            return
        yield from _in_processes(chunks, min(ctx.workers, len(chunks)))


# Files per chunk: a chunk's rows become one Arrow table per class, so chunks must hold
# enough records to spread that cost, and few enough files to keep the workers even.
CHUNK_FILES = 256
# Reading in worker processes pays off above the cost of starting them (about 0.4 s each,
# mostly importing pyarrow), which is what reading about 10 MB of EVTX costs in-process.
POOL_BYTES = 32 * 1024 * 1024


def read_chunk(files: list[tuple[int, Path]]) -> list[Parsed]:
    """Raw rows, their normalized events and the rejects of some files (a worker's job)."""
    out: list[Parsed] = []
    for batch in evtx.read_files(files):
        rejects = [Reject.of(r.path, r.record, r.reason, r.raw) for r in batch.rejects]
        out.append(Parsed(RAW, batch.table, rejects, files=batch.files,
                          reject_files=batch.reject_files))
        for cls, (rows, numbers) in normalize_files(batch.table, batch.files).items():
            out.append(Parsed(cls, rows, derived=True, files=numbers))
    return out


def _in_processes(chunks: list[list[tuple[int, Path]]], workers: int) -> Iterator[Parsed]:
    """Chunks read by spawned processes (never forked: the caller runs DuckDB threads),
    at most two per worker in flight, so memory stays bounded."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        pending: deque[Future[list[Parsed]]] = deque()
        for chunk in chunks:
            pending.append(pool.submit(read_chunk, chunk))
            if len(pending) >= 2 * workers:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
