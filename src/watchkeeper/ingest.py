"""Ingest: read input files with their sources, stage them, commit once, account for all.

Every run keeps ``read = accepted + duplicates + quarantined`` for each file and in total.
All files of a run commit together: a run killed at any moment leaves the lake as it was,
and running it again gives the counts of one clean run.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from watchkeeper.errors import InputError
from watchkeeper.lake import CommitResult, Lake, Transaction, table_spec
from watchkeeper.lake.people import derive_people
from watchkeeper.sources.base import (
    BatchSource,
    Parsed,
    Reject,
    Source,
    SourceContext,
    content_id,
)
from watchkeeper.sources.cert import CertSource, StagedFile
from watchkeeper.sources.mapped import MappedSource
from watchkeeper.sources.mapped_stage import MappedSqlSource
from watchkeeper.sources.registry import Plan, check_plans, plan_inputs
from watchkeeper.sources.rows import iter_lines

ProgressFn = Callable[[int, int, str], None]  # (done, total, label)

OBSERVATIONS = "entities/people_observations"


@dataclass
class FileReport:
    """Accounting for one input file."""

    path: str
    format: str
    read: int = 0
    accepted: int = 0
    duplicates: int = 0
    quarantined: int = 0
    tables: dict[str, int] = field(default_factory=dict)
    note: str | None = None  # "empty" for a file without records


@dataclass
class IngestReport:
    """Accounting for one ingest run."""

    files: list[FileReport]
    skipped: list[dict[str, str]]
    commit: int | None
    seconds: float
    no_commit: str | None = None  # why `commit` is None: the run had nothing to store

    @property
    def read(self) -> int:
        return sum(f.read for f in self.files)

    @property
    def accepted(self) -> int:
        return sum(f.accepted for f in self.files)

    @property
    def duplicates(self) -> int:
        return sum(f.duplicates for f in self.files)

    @property
    def quarantined(self) -> int:
        return sum(f.quarantined for f in self.files)

    def to_dict(self) -> dict[str, Any]:
        return {
            "read": self.read, "accepted": self.accepted, "duplicates": self.duplicates,
            "quarantined": self.quarantined, "commit": self.commit, "no_commit": self.no_commit,
            "seconds": round(self.seconds, 3),
            # vars, not asdict: asdict copies deeply, ~15 us a file (20,000 logs: 0.3 s)
            "files": [{**vars(f), "tables": dict(f.tables)} for f in self.files],
            "skipped": self.skipped,
        }


def _reject_table(rejects: list[Reject], source: str, path: Path) -> pa.Table:
    """Quarantine rows naming the input by its absolute path (`path`, the file every one
    of `rejects` came from), so that a row leads back to its file from anywhere."""
    file = str(path.resolve())
    return pa.table({
        "quarantine_id": [content_id("q", source, file, str(r.line), r.raw) for r in rejects],
        "source": [source] * len(rejects),
        "file": [file] * len(rejects),
        "line": pa.array([r.line for r in rejects], pa.int64()),
        "reason": [r.reason for r in rejects],
        "raw": [r.raw for r in rejects],
    })


class _Run:
    """Stages one run's files into a transaction and keeps their counts."""

    def __init__(self, txn: Transaction, ctx: SourceContext) -> None:
        self.txn = txn
        self.ctx = ctx
        self.cert = CertSource()
        self.candidates: Counter[tuple[int, str]] = Counter()
        self.derived: Counter[tuple[int, str]] = Counter()

    def sql_stager(self, plan: Plan) -> CertSource | MappedSqlSource | None:
        """The DuckDB-backed reader for a file, when it has one (those run in parallel)."""
        if isinstance(plan.source, CertSource):
            return self.cert
        return plan.source.sql_plan() if isinstance(plan.source, MappedSource) else None

    def account(self, file_no: int, plan: Plan, staged: StagedFile,
                report: FileReport) -> None:
        self.candidates[(file_no, staged.table)] += staged.candidates
        report.read += staged.read
        self._quarantine(staged.rejects, plan, file_no, report)

    def stage(self, file_no: int, plan: Plan, report: FileReport) -> None:
        source: Source = plan.source
        for parsed in source.read(plan.path, self.ctx):
            table = table_spec(parsed.table).name
            self.txn.stage(table, parsed.rows, file_no)
            counts = self.derived if parsed.derived else self.candidates
            counts[(file_no, table)] += parsed.rows.num_rows + sum(parsed.repeats.values())
            report.read += parsed.read
            self._quarantine(parsed.rejects, plan, file_no, report)

    def stage_files(self, numbered: list[int], plans: list[Plan], reports: list[FileReport],
                    done: int, total: int, progress: ProgressFn | None) -> int:
        """Stage many files of one batch-reading source, with per-row file numbers;
        returns the input bytes done."""
        source: BatchSource = plans[numbered[0]].source
        files = [(n, plans[n].path) for n in numbered]
        position = 0  # files of `numbered` read so far, as far as the chunks show
        with _Coalescer(self.txn) as coalesce:
            for parsed in source.read_files(files, self.ctx, [plans[n].size for n in numbered]):
                numbers = parsed.files if parsed.files is not None \
                    else pa.array([], pa.int32())
                coalesce.add(table_spec(parsed.table).name, parsed.rows, numbers)
                last = self._account_chunk(parsed, numbers, plans, reports)
                while last is not None and position < len(numbered) and \
                        numbered[position] <= last:
                    done += plans[numbered[position]].size
                    position += 1
                if progress and position:
                    progress(done, total, plans[numbered[position - 1]].path.name)
        return done + sum(plans[n].size for n in numbered[position:])

    def _account_chunk(self, parsed: Parsed, numbers: pa.Array, plans: list[Plan],
                       reports: list[FileReport]) -> int | None:
        """Count a many-file chunk's rows and rejects per file; the last file it holds."""
        table = table_spec(parsed.table).name
        counts = self.derived if parsed.derived else self.candidates
        per_file = Counter(numbers.to_pylist())
        per_file.update(parsed.repeats)  # read, and duplicates: never staged
        for file_no, n in per_file.items():
            counts[(file_no, table)] += n
            if not parsed.derived:
                reports[file_no].read += n
        by_file: dict[int, list[Reject]] = {}
        for reject, file_no in zip(parsed.rejects, parsed.reject_files, strict=True):
            by_file.setdefault(file_no, []).append(reject)
        for file_no, rejects in by_file.items():
            reports[file_no].read += len(rejects)
            self._quarantine(rejects, plans[file_no], file_no, reports[file_no])
        return max([*per_file, *by_file], default=None)

    def _quarantine(self, rejects: list[Reject], plan: Plan, file_no: int,
                    report: FileReport) -> None:
        if rejects:
            self.txn.stage("quarantine", _reject_table(rejects, plan.format, plan.path),
                           file_no)
            report.quarantined += len(rejects)

    def derive_people(self, lake: Lake) -> None:
        """Rebuild people history from stored plus staged observations."""
        if not any(t == OBSERVATIONS for _, t in self.candidates):
            return
        parts = [str(p) for p in self.txn.staged_parts(OBSERVATIONS)]
        parts += [str(lake.root / f.path) for f in lake.manifest().files(OBSERVATIONS)]
        names = table_spec(OBSERVATIONS).schema.names
        rel = self.txn.con.read_parquet(parts, union_by_name=True)
        if "_problem" in rel.columns:
            rel = rel.filter("_problem IS NULL")
        obs = rel.select(", ".join(f'"{n}"' for n in names)).distinct().to_arrow_table()
        self.txn.replace("entities/people", derive_people(obs))


class _Coalescer:
    """Stages small chunks of a table together: each staged chunk costs a Parquet row
    group per column, and raw Windows events have hundreds of sparse columns."""

    ROWS = 65_536

    def __init__(self, txn: Transaction) -> None:
        self.txn = txn
        self.pending: dict[str, list[tuple[pa.Table, pa.Array]]] = {}

    def __enter__(self) -> _Coalescer:
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            for table in list(self.pending):
                self.flush(table)

    def add(self, table: str, rows: pa.Table, files: pa.Array) -> None:
        chunks = self.pending.setdefault(table, [])
        chunks.append((rows, files))
        if sum(r.num_rows for r, _ in chunks) >= self.ROWS:
            self.flush(table)

    def flush(self, table: str) -> None:
        chunks = self.pending.pop(table, [])
        if chunks:
            rows = pa.concat_tables([r for r, _ in chunks], promote_options="permissive")
            self.txn.stage(table, rows, pa.concat_arrays([f for _, f in chunks]))


# Measured staging CPU per input byte, relative to CERT CSV (1000 x 365 simulator output):
# a JSON-lines file checked field by field costs about four times a CSV of the same size.
_JSONL_COST = 4.0


def _cost_per_byte(stager: CertSource | MappedSqlSource | None) -> float:
    return _JSONL_COST if isinstance(stager, MappedSqlSource) else 1.0


def _batches(plans: list[Plan], stagers: Sequence[object] | None = None
             ) -> dict[type, list[int]]:
    """The files each many-file reader (`BatchSource`) reads together, by its type."""
    batched: dict[type, list[int]] = {}
    for file_no, plan in enumerate(plans):
        staged_by_sql = stagers is not None and stagers[file_no] is not None
        if not staged_by_sql and hasattr(plan.source, "read_files"):
            batched.setdefault(type(plan.source), []).append(file_no)
    return batched


def _stage_all(run: _Run, plans: list[Plan], reports: list[FileReport], total: int,
               progress: ProgressFn | None) -> None:
    """Stage every file: DuckDB-backed readers one file per core, each query on one DuckDB
    thread (a single-threaded scan and write costs about a third less CPU than the same
    work split over two threads), the costliest files first (size times a per-format
    cost) so that the cores finish together; row-wise readers meanwhile on this thread."""
    done = 0
    stagers = [run.sql_stager(plan) for plan in plans]  # a mapping compiles its SQL once
    parallel = [n for n, stager in enumerate(stagers) if stager is not None]
    parallel.sort(key=lambda n: plans[n].size * _cost_per_byte(stagers[n]), reverse=True)
    cores = run.txn.lake.threads
    with run.txn.one_thread_per_query(cores > 1), ThreadPoolExecutor(cores) as pool:
        futures: dict[Future[StagedFile], int] = {}
        for file_no in parallel:
            stager, plan = stagers[file_no], plans[file_no]
            assert stager is not None
            futures[pool.submit(stager.stage, plan.path, run.ctx, run.txn, file_no)] = file_no
        batched = _batches(plans, stagers)
        together = {n for numbered in batched.values() for n in numbered}
        for file_no, (plan, stager) in enumerate(zip(plans, stagers, strict=True)):
            if stager is None and file_no not in together:
                if progress:
                    progress(done, total, plan.path.name)
                run.stage(file_no, plan, reports[file_no])
                done += plan.size
        for numbered in batched.values():
            done = run.stage_files(numbered, plans, reports, done, total, progress)
        for future in as_completed(futures):
            file_no = futures[future]
            run.account(file_no, plans[file_no], future.result(), reports[file_no])
            done += plans[file_no].size
            if progress:
                progress(done, total, plans[file_no].path.name)


def ingest(lake: Lake, inputs: Iterable[Path], fmt: str, ctx: SourceContext, *,
           mapping: Path | None = None, progress: ProgressFn | None = None,
           wait: float = 0.0) -> IngestReport:
    """Ingest files (or folders, for ``auto``, ``cert`` and ``evtx``) in one commit; a run
    that accepts and quarantines nothing adds no commit. `wait`: seconds to wait for
    another writer of the lake."""
    started = time.monotonic()
    plans, skipped = plan_inputs(list(inputs), fmt, mapping, check=False)
    if not plans:
        raise InputError(", ".join(str(p) for p in inputs) or "(no input)",
                         f"no {fmt} input files found")
    total = sum(p.size for p in plans)
    reports = [FileReport(str(p.path), p.format) for p in plans]
    with ExitStack() as readers:
        for numbered in _batches(plans).values():  # their workers start meanwhile
            source: BatchSource = plans[numbered[0]].source
            if hasattr(source, "start"):
                readers.enter_context(source.start([(n, plans[n].path) for n in numbered],
                                                   ctx, [plans[n].size for n in numbered]))
        check_plans(plans, fmt)  # a file in the wrong format refuses the run
        result, run = _run(lake, plans, reports, total, ctx, progress, wait)
    _account(run, result, plans, reports)
    done = IngestReport(reports, skipped, result.seq if result.visible else None,
                        time.monotonic() - started)
    if not result.visible:
        done.no_commit = ("the input holds no records" if not done.read
                          else "every record is already in the lake")
    return done


def _run(lake: Lake, plans: list[Plan], reports: list[FileReport], total: int,
         ctx: SourceContext, progress: ProgressFn | None, wait: float
         ) -> tuple[CommitResult, _Run]:
    """Stage every file in one transaction and commit it."""
    with lake.transaction("ingest", wait) as txn:
        run = _Run(txn, ctx)
        _stage_all(run, plans, reports, total, progress)
        if progress:
            progress(total, total, "committing")
        run.derive_people(lake)
        quarantined = any(r.quarantined for r in reports)
        result = txn.commit({"kind": "ingest", "files": [str(p.path) for p in plans]},
                            skip=lambda r: not quarantined and not any(r.accepted.values()))
    return result, run


def _account(run: _Run, result: CommitResult, plans: list[Plan],
             reports: list[FileReport]) -> None:
    """Split each file's candidates into accepted and duplicates; note empty files."""
    for (file_no, table), n in run.candidates.items():
        accepted = result.accepted.get((file_no, table), 0)
        report = reports[file_no]
        report.accepted += accepted
        report.duplicates += n - accepted
        report.tables[table] = report.tables.get(table, 0) + accepted
    for file_no, table in run.derived:  # stored, but counted under their raw records
        reports[file_no].tables[table] = result.accepted.get((file_no, table), 0)
    for plan, report in zip(plans, reports, strict=True):
        report.note = None if report.read else _empty_note(plan)


def _empty_note(plan: Plan) -> str:
    """Why a file gave no record: it has none (no line, or a CSV header alone), or a
    mapping's filters dropped them all."""
    if plan.format == "evtx" or plan.path.stat().st_size == 0:
        return "empty"
    headed = plan.format in ("cert", "hr", "devices", "assets") or (
        isinstance(plan.source, MappedSource) and plan.source.mapping.format == "csv")
    lines = sum(1 for _ in itertools.islice(iter_lines(plan.path), 2))
    return "empty" if lines <= int(headed) else "every record filtered out"
