"""The detection run: every rule of a pack over the lake, findings stored in one commit.

Sigma rules are grouped by the table they read and run fused, one scan per table
(:func:`~watchkeeper.detect.runner.run_rules`; the portable Ibis path on other engines);
SQL rules run on views named like the lake tables (DuckDB, or Spark SQL transpiled by
sqlglot on ``Lake(engine="pyspark")``); correlation rules run their base rules (with the
group-by fields) and evaluate sliding windows
(:func:`~watchkeeper.detect.sigma.correlate.run_correlations`). Matches an exception allows
(a rule's ``allow:``, the workspace's ``exceptions.yml``) are dropped and counted. Each
remaining match becomes a ``finding`` row whose id hashes the rule and the events behind
it, so overlapping or repeated runs never duplicate findings.

Incremental: the commit of each run records, per table, the time of the newest event it
saw (``summary["watermark"]``). The next run reads events from that day minus
``overlap_days`` on (SQL rules still read all history they need, and report only events
in the window). A correlation also re-reads its largest timespan before that day, reports
only windows closing from that day on, and resumes each group after the last window it
already stored, so an incremental run stores what a full run would. ``since=BEGINNING``
re-runs everything and yields the same findings.
"""

from __future__ import annotations

import gc
import time as clock
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import ibis.expr.types as ir
import pyarrow as pa

from watchkeeper.detect.correlation_run import (
    base_fields,
    base_hits,
    correlation_matches,
    run_correlation_rules,
)
from watchkeeper.detect.findings import finding_rows, suppress
from watchkeeper.detect.matched import Explained, explain
from watchkeeper.detect.rejections import Rejection, rejections, summary
from watchkeeper.detect.review import FindingSummary, newest
from watchkeeper.detect.routes import with_rows
from watchkeeper.detect.rulefiles import CacheStats
from watchkeeper.detect.ruleset import (
    EXCEPTIONS_FILE,
    Allow,
    Pack,
    PackRule,
    load_exceptions,
    load_pack,
)
from watchkeeper.detect.runner import run_rules, run_rules_ibis
from watchkeeper.detect.scan import (
    BEGINNING,
    END,
    count,
    events_of,
    sigma_matches,
    sql_runner,
    window,
)
from watchkeeper.detect.selections import rule_selections
from watchkeeper.detect.sigma.compiler import CompiledRule
from watchkeeper.detect.sql_rules import MATCH_SCHEMA, VIEWS
from watchkeeper.errors import RuleError
from watchkeeper.lake.manifest import Manifest
from watchkeeper.lake.store import Lake

ProgressFn = Callable[[int, int, str], None]
OVERLAP_DAYS = 1
COMMIT_KIND = "detect"
#: Findings a run reports besides its counts (newest first); a dry run reports all.
NEWEST = 10


@dataclass(frozen=True)
class DetectReport:
    """What a run found: matches per rule, events read per table, time taken, the rules
    that could not run, and its newest findings (all of them in a dry run)."""

    alerts: dict[str, int]
    scanned: dict[str, int]
    seconds: float
    since: date
    stored: int = 0
    commit: int | None = None
    errors: tuple[str, ...] = field(default_factory=tuple)
    suppressed: dict[str, int] = field(default_factory=dict)
    rejected: tuple[Rejection, ...] = ()
    findings: tuple[FindingSummary, ...] = ()
    titles: dict[str, str] = field(default_factory=dict)
    dry_run: bool = False
    rule_cache: CacheStats = field(default_factory=CacheStats)  # rule files parsed/served
    #: seconds per phase: rules (load and compile), match, explain, store
    phases: dict[str, float] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.alerts.values())

    def to_dict(self) -> dict[str, Any]:
        return {"alerts": dict(self.alerts), "total": self.total, "scanned": dict(self.scanned),
                "seconds": round(self.seconds, 3), "since": self.since.isoformat(),
                "stored": self.stored, "commit": self.commit, "errors": list(self.errors),
                "suppressed": dict(self.suppressed), "dry_run": self.dry_run,
                "rules": len(self.alerts),
                "rejected": {"count": len(self.rejected), "by_reason": summary(self.rejected),
                             "rules": [r.to_dict() for r in self.rejected]},
                "findings": [f.to_dict() for f in self.findings],
                "rule_cache": self.rule_cache.to_dict(),
                "phases": {k: round(v, 3) for k, v in self.phases.items()}}


def detect(lake: Lake, rules_paths: Iterable[Path | str] | None = None,
           since: date | None = None, progress: ProgressFn | None = None,
           overlap_days: int = OVERLAP_DAYS, exceptions: Path | str | None = None, *,
           dry_run: bool = False, strict: bool = False, wait: float = 0.0) -> DetectReport:
    """Run the rules (default: the shipped insider pack) and store their findings.

    ``exceptions`` is the site's exceptions file (default: ``exceptions.yml`` in the
    workspace folder, the lake's parent; absent means none). ``dry_run`` stores nothing
    and reports every finding. Rules that cannot run are reported; with ``strict`` any of
    them is an error, and a run in which no rule can run is always one (nothing stored).
    ``wait``: seconds to wait for another writer of the lake before storing the findings.
    """
    started = clock.perf_counter()
    paths = list(rules_paths) if rules_paths is not None else None
    with _collection_paused():
        pack = load_pack(paths)
        # the run keeps the rule set: frozen (left out of cycle collections) before they
        # resume, walking it cost ~0.15 s of a warm detect's collections; collectable again
        # when the run ends
        gc.freeze()
    try:
        return _detect(lake, pack, paths, since, progress, overlap_days, exceptions,
                       dry_run, strict, wait, started)
    finally:
        gc.unfreeze()


def _detect(lake: Lake, pack: Pack, paths: Sequence[Path | str] | None, since: date | None,
            progress: ProgressFn | None, overlap_days: int, exceptions: Path | str | None,
            dry_run: bool, strict: bool, wait: float, started: float) -> DetectReport:
    phases = {"rules": clock.perf_counter() - started, "explain": 0.0}
    rejected = rejections(pack.errors)
    _check_runnable(pack, rejected, strict, paths)
    site = load_exceptions(exceptions if exceptions is not None
                           else lake.root.parent / EXCEPTIONS_FILE)
    starts = _starts(lake.manifest(), since, overlap_days)
    matched_at = clock.perf_counter()
    matches, scanned, explained = _run_all(lake, pack, starts, progress, phases)
    stored_at = clock.perf_counter()
    phases["match"] = stored_at - matched_at - phases["explain"]
    allows = allow_lists(pack.rules, site)
    people = people_attributes(lake.table("people").to_pyarrow()) if any(
        c.key.startswith("person.") for entries in allows.values() for a in entries
        for c in a.where) else {}
    matches, dropped = suppress(matches, allows, people)
    report = _store(lake, pack, matches, explained, scanned, since or starts(""), dry_run,
                    wait)
    phases["store"] = clock.perf_counter() - stored_at
    return replace(_finish(report, rejected, dropped, started), rule_cache=pack.cache,
                   phases=phases)


@contextmanager
def _collection_paused() -> Iterator[None]:
    """No cycle collection while a rule set loads: it builds a million small acyclic
    objects (a third of its time went to collections); bounded by the rule set's size."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _check_runnable(pack: Pack, rejected: Sequence[Rejection], strict: bool,
                    paths: Sequence[Path | str] | None) -> None:
    counts = ", ".join(f"{reason}: {n}" for reason, n in summary(rejected).items())
    if rejected and (strict or not pack.rules):
        what = "in strict mode, any" if pack.rules else "no rule can run;"
        raise RuleError(f"{what} {len(rejected)} rule(s) cannot run ({counts}); "
                        f"first: {rejected[0]}")
    if not pack.rules:
        where = ", ".join(str(p) for p in paths or ())
        raise RuleError(f"no rules found under {where or 'the rule paths'} "
                        "(.yml/.yaml files)")


def _run_all(lake: Lake, pack: Pack, starts: Callable[[str], date],
             progress: ProgressFn | None, phases: dict[str, float] | None = None,
             ) -> tuple[pa.Table, dict[str, int], Explained]:
    """Every rule of the pack over the lake: match rows, rows read per table, and why each
    Sigma match matched."""
    sigma_by_table: dict[str, list[PackRule]] = defaultdict(list)
    sql = [(r.rule_id, r.sql) for r in pack.rules if r.sql is not None]
    correlations = [r for r in pack.rules if r.correlation is not None]
    for rule in pack.rules:
        if rule.sigma is not None and rule.table is not None:
            sigma_by_table[rule.table].append(rule)
    steps = len(sigma_by_table) + len(sql) + (1 if correlations else 0)
    done = 0
    parts: list[pa.Table] = []
    scanned: dict[str, int] = {}
    explained: Explained = {}
    for name, rules in sorted(sigma_by_table.items()):
        _tick(progress, done, steps, name)
        matches, scanned[name] = _run_sigma(lake, name, rules, starts(name), explained,
                                            phases)
        parts.append(matches)
        done += 1
    sql_start = min([starts(t) for _, q in sql for t in q.tables] or [starts("")])
    if sql:
        runner = sql_runner(lake)
        begin = datetime.combine(sql_start, time(), UTC)
        for rule_id, query in sql:
            _tick(progress, done, steps, rule_id)
            parts.append(runner(query, begin, END))
            for table in query.tables:
                if table not in scanned and table in VIEWS[:7]:
                    scanned[table] = count(lake.table(table), sql_start)
            done += 1
    if correlations:
        _tick(progress, done, steps, "correlations")
        parts.append(run_correlation_rules(lake, correlations, starts, scanned))
        done += 1
    _tick(progress, done, steps, "storing findings")
    matches = pa.concat_tables(parts) if parts else MATCH_SCHEMA.empty_table()
    return matches, scanned, explained


def allow_lists(rules: Iterable[PackRule], site: Sequence[Allow] = ()) -> dict[str, list[Allow]]:
    """Per rule id, the exceptions that apply: the rule's own, then the site's."""
    return {r.rule_id: [*r.allow, *(a for a in site if a.applies_to(r.rule_id))]
            for r in rules}


def people_attributes(people: pa.Table) -> dict[str, dict[str, Any]]:
    """Per user id, the person's current row (``valid_to`` unset, else the latest)."""
    found: dict[str, dict[str, Any]] = {}
    rows = sorted(people.to_pylist(), key=lambda r: (r.get("valid_to") is None,
                                                     str(r.get("valid_from") or "")))
    for row in rows:
        if row.get("user") is not None:
            found[str(row["user"])] = row
    return found


def _tick(progress: ProgressFn | None, done: int, total: int, detail: str) -> None:
    if progress is not None:
        progress(done, total, detail)


def _starts(manifest: Manifest, since: date | None,
            overlap_days: int) -> Callable[[str], date]:
    """First day to read per table: ``since``, else the last watermark minus the overlap."""
    if since is not None:
        return lambda _table: since
    marks = last_watermarks(manifest)
    overlap = timedelta(days=overlap_days)
    first = min(marks.values()) - overlap if marks else BEGINNING

    def start(table: str) -> date:
        mark = marks.get(table)
        return mark - overlap if mark is not None else first

    return start


def last_watermarks(manifest: Manifest) -> dict[str, date]:
    """Per table, the day of the newest event the last detection run saw."""
    for commit in reversed(manifest.commits):
        if commit.kind == COMMIT_KIND and isinstance(commit.summary.get("watermark"), dict):
            return {t: datetime.fromisoformat(v).date()
                    for t, v in commit.summary["watermark"].items() if v}
    return {}


def _run_sigma(lake: Lake, name: str, rules: Sequence[PackRule], start: date,
               explained: Explained, phases: dict[str, float] | None = None,
               ) -> tuple[pa.Table, int]:
    """Match rows of the Sigma rules reading table ``name``; ``explained`` gets why."""
    table = window(lake.table(name), start)
    scanned = int(table.count().execute())
    compiled = [r.sigma for r in rules if r.sigma is not None]
    hits = _hits(lake, compiled, table) if scanned else None
    if hits is None or hits.num_rows == 0:
        return MATCH_SCHEMA.empty_table(), scanned
    events = events_of(table, hits)
    began = clock.perf_counter()
    fired = set(hits["rule_id"].to_pylist())
    explained.update(explain(rule_selections([r for r in rules if r.rule_id in fired]), hits,
                             events))
    if phases is not None:
        phases["explain"] = phases.get("explain", 0.0) + clock.perf_counter() - began
    return sigma_matches(hits, events), scanned


def _hits(lake: Lake, rules: Sequence[CompiledRule], table: ir.Table) -> pa.Table:
    """Rule matches (``rule_id, event_id, time``): fused on DuckDB (only the branches whose
    log source has rows in the window: :mod:`.routes`), Ibis elsewhere."""
    if lake.engine == "duckdb":
        return run_rules(with_rows(rules, table), table)
    return run_rules_ibis(rules, table)


def _watermark(lake: Lake, tables: Iterable[str]) -> dict[str, str]:
    marks: dict[str, str] = {}
    for name in tables:
        newest = lake.table(name).time.max().execute()
        if newest is not None and str(newest) != "NaT":
            marks[name] = newest.isoformat()
    return marks


def _store(lake: Lake, pack: Pack, matches: pa.Table, explained: Explained,
           scanned: Mapping[str, int], since: date, dry_run: bool,
           wait: float = 0.0) -> DetectReport:
    """The findings of the run, committed in one transaction (unless a dry run)."""
    meta = {r.rule_id: r.meta for r in pack.rules}
    findings = finding_rows(matches, meta, explained)
    alerts = Counter(str(r) for r in findings["rule_id"].to_pylist())
    counts = {r.rule_id: alerts.get(r.rule_id, 0) for r in pack.rules}
    titles = {r.rule_id: r.meta.title for r in pack.rules}
    shown = newest(findings, None if dry_run else NEWEST)
    if dry_run:
        return DetectReport(counts, dict(scanned), 0.0, since, findings=shown, titles=titles,
                            dry_run=True)
    marks = _watermark(lake, scanned)
    with lake.transaction(COMMIT_KIND, wait) as txn:
        txn.stage("finding", findings, 0)
        result = txn.commit({"watermark": marks, "since": since.isoformat(),
                             "alerts": counts, "rules": len(pack.rules)})
    return DetectReport(counts, dict(scanned), 0.0, since,
                        stored=result.rows.get("events/finding", 0), commit=result.seq,
                        findings=shown, titles=titles)


def _finish(report: DetectReport, rejected: Sequence[Rejection], dropped: Mapping[str, int],
            started: float) -> DetectReport:
    return replace(report, seconds=clock.perf_counter() - started,
                   errors=tuple(str(r) for r in rejected), rejected=tuple(rejected),
                   suppressed={k: v for k, v in sorted(dropped.items()) if v})


__all__ = ["BEGINNING", "OVERLAP_DAYS", "DetectReport", "allow_lists", "base_fields",
           "base_hits", "correlation_matches", "detect", "last_watermarks",
           "people_attributes", "sigma_matches"]
