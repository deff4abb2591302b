"""`ingest evtx`: Windows event logs into the raw Windows table and normalized classes.

Every record goes to ``raw/windows`` (what Sigma rules scan); logons, removable storage,
process and file creation also become normalized events (`windows_events`), marked as
derived so the record is counted once. A file without the EVTX signature is refused
before the run (`registry.check_fits`); one that has it but cannot be opened becomes one
quarantined record naming the file, so the rest of the run still ingests.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import Counter, deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pyarrow as pa

from watchkeeper.errors import InputError
from watchkeeper.schema.windows import CORE_SCHEMA
from watchkeeper.sources import evtx
from watchkeeper.sources.base import Parsed, Reject, SourceContext
from watchkeeper.sources.evtx_fields import (
    SEEN_LIMIT,
    FieldReader,
    FieldRows,
    Seen,
    read_chunk,
    read_in_worker,
    start_worker,
)
from watchkeeper.sources.rows import head
from watchkeeper.sources.windows_events import normalize, normalize_files

__all__ = ["CHUNK_BYTES", "CHUNK_FILES", "POOL_BYTES", "EvtxSource", "Parsed", "sniff", "to_parsed"]

EVTX_MAGIC = b"ElfFile\x00"
RAW = "raw/windows"


def sniff(path: Path) -> bool:
    try:  # without a file object: a folder of 20,000 logs is sniffed file by file
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        return os.read(fd, 8) == EVTX_MAGIC
    except OSError:
        return False
    finally:
        os.close(fd)


def looks_like(path: Path) -> bool:
    """An EVTX file by its signature, or (by `.json` suffix) a JSON export of events."""
    if path.suffix.lower() != ".json":
        return sniff(path)
    start = head(path).lstrip()
    return start[:1] in (b"{", b"[") and b'"Event"' in start


class EvtxSource:
    """Reads .evtx files (and JSON exports of Windows events, by `.json` suffix)."""

    name = "evtx"

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None  # started ahead by `start`

    @contextmanager
    def start(self, files: list[tuple[int, Path]], ctx: SourceContext,
              sizes: Sequence[int]) -> Iterator[None]:
        """Start the worker processes `read_files` of these files will use, for the
        block: they start while the caller still checks the files and opens the lake."""
        workers = _workers(list(_chunks(files, sizes)), sizes, ctx)
        if not workers:
            yield
            return
        with _new_pool(workers) as pool:
            for _ in range(workers):
                pool.submit(int)  # a no-op: each submit starts a process
            self._pool = pool
            try:
                yield
            finally:
                self._pool = None

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

    def read_files(self, files: list[tuple[int, Path]], ctx: SourceContext,
                   sizes: Sequence[int] | None = None) -> Iterator[Parsed]:
        """Many files in shared chunks, read by `ctx.workers` processes when there is
        enough to read; an unreadable file is one reject naming it. Chunks come back in
        file order; a row whose event id an earlier row of the run has is not staged,
        only counted (`Parsed.repeats`). `sizes`: the files' sizes, if known."""
        sizes = [_size(path) for _, path in files] if sizes is None else sizes
        chunks = list(_chunks(files, sizes))
        given: set[str] = set()  # event ids staged in this run (up to SEEN_LIMIT)
        workers = _workers(chunks, sizes, ctx)
        if not workers:
            seen = Seen()
            for chunk in chunks:
                yield from to_parsed(list(read_chunk(chunk, FieldReader(seen),
                                                     evtx.DEFAULT_BATCH_SIZE)), given)
            return
        pool, self._pool = self._pool, None  # a started pool serves one read
        with ExitStack() as own:
            if pool is None:
                pool = own.enter_context(_new_pool(workers))
            for rows in _in_processes(chunks, workers, pool):
                yield from to_parsed(rows, given)


# Files per chunk, and input bytes: a chunk's rows become one Arrow table per class, so
# chunks must hold enough records to spread that cost, and few enough to keep the
# workers even and the chunks in flight small (a chunk is in memory whole).
CHUNK_FILES = 256
CHUNK_BYTES = 16 * 1024 * 1024
# Reading in worker processes pays off above the cost of starting them (about 0.1 s each:
# they import no Arrow), which is what reading a few MB of EVTX costs in-process.
POOL_BYTES = 8 * 1024 * 1024
# Chunks submitted per worker ahead of the main process: enough to keep the workers busy
# while it builds a chunk's tables (a chunk of small logs reads in ~10 ms).
IN_FLIGHT = 4


def _chunks(files: list[tuple[int, Path]], sizes: Sequence[int]
            ) -> Iterator[list[tuple[int, Path]]]:
    chunk: list[tuple[int, Path]] = []
    held = 0
    for item, size in zip(files, sizes, strict=True):
        if chunk and (len(chunk) >= CHUNK_FILES or held + size > CHUNK_BYTES):
            yield chunk
            chunk, held = [], 0
        chunk.append(item)
        held += size
    if chunk:
        yield chunk


def to_parsed(chunk: list[FieldRows], given: set[str]) -> list[Parsed]:
    """Raw rows, their normalized events and the rejects of one chunk's field rows; rows
    whose event id is in `given` (staged earlier in the run) are counted, not kept."""
    out: list[Parsed] = []
    names = evtx.ColumnNames()  # one chunk's columns are spelled alike
    for rows in chunk:
        keep = _first_seen(rows.digests, given)
        repeats = Counter(rows.repeats)
        if keep is not None:
            repeats.update(f for f, k in zip(rows.files, keep, strict=True) if not k)
        if keep is None or any(keep):
            table, numbers = evtx.to_table(rows, names, keep)
        else:  # a chunk of repeats only (copies read by another worker first)
            table, numbers = CORE_SCHEMA.empty_table(), pa.nulls(0, pa.int32())
        rejects = [Reject.of(r.path, r.record, r.reason, r.raw) for r in rows.rejects]
        out.append(Parsed(RAW, table, rejects, files=numbers,
                          reject_files=tuple(rows.reject_files), repeats=dict(repeats)))
        if table.num_rows:
            for cls, (derived, files) in normalize_files(table, numbers).items():
                out.append(Parsed(cls, derived, derived=True, files=files))
    return out


def _first_seen(digests: list[str], given: set[str]) -> list[bool] | None:
    """Which rows hold an event id not given before (adding them); None when all do."""
    keep = [True] * len(digests)
    dropped = False
    for n, digest in enumerate(digests):
        if digest in given:
            keep[n], dropped = False, True
        elif len(given) < SEEN_LIMIT:
            given.add(digest)
    return keep if dropped else None


def _workers(chunks: list[list[tuple[int, Path]]], sizes: Sequence[int],
             ctx: SourceContext) -> int:
    """Worker processes for reading these chunks; 0: read them in this process."""
    if ctx.workers < 2 or len(chunks) < 2 or sum(sizes) < POOL_BYTES:
        return 0
    return min(ctx.workers, len(chunks))


def _new_pool(workers: int) -> ProcessPoolExecutor:
    """Spawned processes (never forked: the caller runs DuckDB threads), each with its own
    record of the run's repeats. A worker imports no Arrow (`evtx_fields`), so starting
    one costs little more than an interpreter."""
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=start_worker)


def _in_processes(chunks: list[list[tuple[int, Path]]], workers: int,
                  pool: ProcessPoolExecutor) -> Iterator[list[FieldRows]]:
    """Chunks read by the pool's processes, at most `IN_FLIGHT` per worker ahead of the
    caller, so memory stays bounded; results in chunk order."""
    pending: deque[Future[list[FieldRows]]] = deque()

    def submit(chunk: list[tuple[int, Path]]) -> None:
        named = [(n, str(path)) for n, path in chunk]  # a str pickles faster than a Path
        pending.append(pool.submit(read_in_worker, named, evtx.DEFAULT_BATCH_SIZE))

    ahead = IN_FLIGHT * workers
    for chunk in chunks[:ahead]:
        submit(chunk)
    # pyarrow imports pandas on its first conversion of Python values (~0.3 s, once per
    # process): here, while the workers read, not while they wait for the next chunks
    pa.array([], pa.string())
    for chunk in chunks[ahead:]:
        yield pending.popleft().result()
        submit(chunk)
    while pending:
        yield pending.popleft().result()


def _size(path: Path) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0
