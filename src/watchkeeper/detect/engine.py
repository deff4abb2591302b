"""The detection run: every rule of a pack over the lake, findings stored in one commit.

Sigma rules are grouped by the table they read and run fused, one scan per table
(:func:`~watchkeeper.detect.runner.run_rules`); SQL rules run on DuckDB views named like
the lake tables. Each match becomes a ``finding`` row whose id hashes the rule and the
events behind it, so overlapping or repeated runs never duplicate findings.

Incremental: the commit of each run records, per table, the time of the newest event it
saw (``summary["watermark"]``). The next run reads events from that day minus
``overlap_days`` on (SQL rules still read all history they need, and report only events
in the window). ``since=BEGINNING`` re-runs everything and yields the same findings.
"""

from __future__ import annotations

import time as clock
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from watchkeeper.detect.findings import finding_rows
from watchkeeper.detect.ruleset import Pack, PackRule, load_pack
from watchkeeper.detect.runner import run_rules
from watchkeeper.detect.sql_rules import MATCH_SCHEMA, VIEWS, run_sql_rule, to_json, view_schema
from watchkeeper.errors import RuleError
from watchkeeper.lake.manifest import Manifest
from watchkeeper.lake.store import Lake

ProgressFn = Callable[[int, int, str], None]
BEGINNING = date(1970, 1, 1)
END = datetime(9999, 1, 1, tzinfo=UTC)
OVERLAP_DAYS = 1
COMMIT_KIND = "detect"


@dataclass(frozen=True)
class DetectReport:
    """What a run found: matches per rule, events read per table, time taken."""

    alerts: dict[str, int]
    scanned: dict[str, int]
    seconds: float
    since: date
    stored: int = 0
    commit: int | None = None
    errors: tuple[str, ...] = field(default_factory=tuple)

    @property
    def total(self) -> int:
        return sum(self.alerts.values())

    def to_dict(self) -> dict[str, Any]:
        return {"alerts": dict(self.alerts), "total": self.total, "scanned": dict(self.scanned),
                "seconds": round(self.seconds, 3), "since": self.since.isoformat(),
                "stored": self.stored, "commit": self.commit, "errors": list(self.errors)}


def detect(lake: Lake, rules_paths: Iterable[Path | str] | None = None,
           since: date | None = None, progress: ProgressFn | None = None,
           overlap_days: int = OVERLAP_DAYS) -> DetectReport:
    """Run the pack (default: the shipped insider pack) and store its findings."""
    started = clock.perf_counter()
    pack = load_pack(rules_paths)
    manifest = lake.manifest()
    starts = _starts(manifest, since, overlap_days)
    sigma_by_table: dict[str, list[PackRule]] = defaultdict(list)
    sql = [(r.rule_id, r.sql) for r in pack.rules if r.sql is not None]
    for rule in pack.rules:
        if rule.sigma is not None and rule.table is not None:
            sigma_by_table[rule.table].append(rule)
    steps = len(sigma_by_table) + len(sql)
    done = 0
    parts: list[pa.Table] = []
    scanned: dict[str, int] = {}
    for name, rules in sorted(sigma_by_table.items()):
        _tick(progress, done, steps, name)
        matches, scanned[name] = _run_sigma(lake, name, rules, starts(name))
        parts.append(matches)
        done += 1
    sql_start = min([starts(t) for _, q in sql for t in q.tables] or [starts("")])
    if sql:
        con = _sql_views(lake)
        begin = datetime.combine(sql_start, time(), UTC)
        for rule_id, query in sql:
            _tick(progress, done, steps, rule_id)
            parts.append(run_sql_rule(con, query, begin, END))
            for table in query.tables:
                if table not in scanned and table in VIEWS[:7]:
                    scanned[table] = _count(lake.table(table), sql_start)
            done += 1
    _tick(progress, done, steps, "storing findings")
    matches = pa.concat_tables(parts) if parts else MATCH_SCHEMA.empty_table()
    return _store(lake, pack, matches, scanned, since or starts(""), started)


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


def _window(table: ir.Table, start: date) -> ir.Table:
    return table.filter(table.day >= start) if start > BEGINNING else table


def _count(table: ir.Table, start: date) -> int:
    return int(_window(table, start).count().execute())


def _run_sigma(lake: Lake, name: str, rules: Sequence[PackRule],
               start: date) -> tuple[pa.Table, int]:
    table = _window(lake.table(name), start)
    scanned = int(table.count().execute())
    compiled = [r.sigma for r in rules if r.sigma is not None]
    hits = run_rules(compiled, table) if scanned else None
    if hits is None or hits.num_rows == 0:
        return MATCH_SCHEMA.empty_table(), scanned
    ids = ibis.memtable(pa.table({"wk_id": hits["event_id"]}).group_by("wk_id").aggregate([]))
    rows = table.filter(table.event_id.isin(ids.wk_id)).to_pyarrow().to_pylist()
    events = {str(r["event_id"]): {k: v for k, v in r.items() if v not in (None, [])}
              for r in rows}
    out: dict[str, list[object]] = {f.name: [] for f in MATCH_SCHEMA}
    for hit in hits.to_pylist():
        event = events.get(hit["event_id"], {})
        for key, value in (("rule_id", hit["rule_id"]), ("time", hit["time"]),
                           ("user", event.get("user")), ("host", event.get("host")),
                           ("event_refs", [hit["event_id"]]), ("window_start", None),
                           ("raw", to_json(event))):
            out[key].append(value)
    return pa.table(out, schema=MATCH_SCHEMA), scanned


def _sql_views(lake: Lake) -> Any:
    """The lake's DuckDB connection with one view per rule table."""
    backend = lake.ibis()
    con = getattr(backend, "con", None)
    if lake.engine != "duckdb" or con is None:
        raise RuleError("SQL rules run on the DuckDB engine only (transpile them for Spark)")
    for name in VIEWS:
        expr = lake.table(name)
        if lake.rows(name) == 0:
            con.register(name, view_schema(name).empty_table())
        else:
            con.execute(f'CREATE OR REPLACE TEMP VIEW "{name}" AS {ibis.to_sql(expr)}')
    return con


def _watermark(lake: Lake, tables: Iterable[str]) -> dict[str, str]:
    marks: dict[str, str] = {}
    for name in tables:
        newest = lake.table(name).time.max().execute()
        if newest is not None and str(newest) != "NaT":
            marks[name] = newest.isoformat()
    return marks


def _store(lake: Lake, pack: Pack, matches: pa.Table, scanned: Mapping[str, int],
           since: date, started: float) -> DetectReport:
    meta = {r.rule_id: r.meta for r in pack.rules}
    findings = finding_rows(matches, meta)
    alerts = Counter(str(r) for r in findings["rule_id"].to_pylist())
    counts = {r.rule_id: alerts.get(r.rule_id, 0) for r in pack.rules}
    marks = _watermark(lake, scanned)
    with lake.transaction(COMMIT_KIND) as txn:
        txn.stage("finding", findings, 0)
        result = txn.commit({"watermark": marks, "since": since.isoformat(),
                             "alerts": counts, "rules": len(pack.rules)})
    return DetectReport(counts, dict(scanned), clock.perf_counter() - started, since,
                        stored=result.rows.get("events/finding", 0), commit=result.seq,
                        errors=tuple(str(e) for e in pack.errors))


__all__ = ["BEGINNING", "OVERLAP_DAYS", "DetectReport", "detect", "last_watermarks"]
