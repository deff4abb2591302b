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

import json
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
import pyarrow.compute as pc

from watchkeeper.detect.findings import finding_rows, suppress
from watchkeeper.detect.ruleset import (
    EXCEPTIONS_FILE,
    Allow,
    BaseRule,
    Correlation,
    Pack,
    PackRule,
    load_exceptions,
    load_pack,
)
from watchkeeper.detect.runner import run_rules, run_rules_ibis
from watchkeeper.detect.sigma.compiler import CompiledRule
from watchkeeper.detect.sigma.correlate import Seeds, correlation_fields, run_correlations
from watchkeeper.detect.sql_rules import (
    MATCH_SCHEMA,
    VIEWS,
    SqlRule,
    run_sql_rule,
    run_sql_rule_spark,
    to_json,
    view_schema,
)
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
    suppressed: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.alerts.values())

    def to_dict(self) -> dict[str, Any]:
        return {"alerts": dict(self.alerts), "total": self.total, "scanned": dict(self.scanned),
                "seconds": round(self.seconds, 3), "since": self.since.isoformat(),
                "stored": self.stored, "commit": self.commit, "errors": list(self.errors),
                "suppressed": dict(self.suppressed)}


def detect(lake: Lake, rules_paths: Iterable[Path | str] | None = None,
           since: date | None = None, progress: ProgressFn | None = None,
           overlap_days: int = OVERLAP_DAYS,
           exceptions: Path | str | None = None, wait: float = 0.0) -> DetectReport:
    """Run the pack (default: the shipped insider pack) and store its findings.

    ``exceptions`` is the site's exceptions file (default: ``exceptions.yml`` in the
    workspace folder, the lake's parent; absent means none). ``wait``: seconds to wait
    for another writer of the lake before storing the findings.
    """
    started = clock.perf_counter()
    pack = load_pack(rules_paths)
    site = load_exceptions(exceptions if exceptions is not None
                           else lake.root.parent / EXCEPTIONS_FILE)
    manifest = lake.manifest()
    starts = _starts(manifest, since, overlap_days)
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
    for name, rules in sorted(sigma_by_table.items()):
        _tick(progress, done, steps, name)
        matches, scanned[name] = _run_sigma(lake, name, rules, starts(name))
        parts.append(matches)
        done += 1
    sql_start = min([starts(t) for _, q in sql for t in q.tables] or [starts("")])
    if sql:
        runner = _sql_runner(lake)
        begin = datetime.combine(sql_start, time(), UTC)
        for rule_id, query in sql:
            _tick(progress, done, steps, rule_id)
            parts.append(runner(query, begin, END))
            for table in query.tables:
                if table not in scanned and table in VIEWS[:7]:
                    scanned[table] = _count(lake.table(table), sql_start)
            done += 1
    if correlations:
        _tick(progress, done, steps, "correlations")
        parts.append(_run_correlation_rules(lake, correlations, starts, scanned))
        done += 1
    _tick(progress, done, steps, "storing findings")
    matches = pa.concat_tables(parts) if parts else MATCH_SCHEMA.empty_table()
    allows = allow_lists(pack.rules, site)
    people = people_attributes(lake.table("people").to_pyarrow()) if any(
        c.key.startswith("person.") for entries in allows.values() for a in entries
        for c in a.where) else {}
    matches, dropped = suppress(matches, allows, people)
    return _store(lake, pack, matches, scanned, since or starts(""), started, dropped, wait)


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


def _window(table: ir.Table, start: date) -> ir.Table:
    return table.filter(table.day >= start) if start > BEGINNING else table


def _count(table: ir.Table, start: date) -> int:
    return int(_window(table, start).count().execute())


def _run_sigma(lake: Lake, name: str, rules: Sequence[PackRule],
               start: date) -> tuple[pa.Table, int]:
    table = _window(lake.table(name), start)
    scanned = int(table.count().execute())
    compiled = [r.sigma for r in rules if r.sigma is not None]
    hits = _hits(lake, compiled, table) if scanned else None
    if hits is None or hits.num_rows == 0:
        return MATCH_SCHEMA.empty_table(), scanned
    return sigma_matches(hits, _events(table, hits)), scanned


def _hits(lake: Lake, rules: Sequence[CompiledRule], table: ir.Table) -> pa.Table:
    """Rule matches (``rule_id, event_id, time``): fused on DuckDB, Ibis elsewhere."""
    if lake.engine == "duckdb":
        return run_rules(rules, table)
    return run_rules_ibis(rules, table)


def _events(table: ir.Table, hits: pa.Table) -> pa.Table:
    """The event rows behind ``hits`` (by ``event_id``)."""
    ids = ibis.memtable(pa.table({"wk_id": hits["event_id"]}).group_by("wk_id").aggregate([]))
    return table.filter(table.event_id.isin(ids.wk_id)).to_pyarrow()


def sigma_matches(hits: pa.Table, events: pa.Table) -> pa.Table:
    """Sigma hits (``rule_id, event_id, time``) as match rows; ``raw`` is the event."""
    rows = {str(r["event_id"]): {k: v for k, v in r.items() if v not in (None, [])}
            for r in events.to_pylist()}
    out: dict[str, list[object]] = {f.name: [] for f in MATCH_SCHEMA}
    for hit in hits.select(["rule_id", "event_id", "time"]).to_pylist():
        event = rows.get(hit["event_id"], {})
        for key, value in (("rule_id", hit["rule_id"]), ("time", hit["time"]),
                           ("user", event.get("user")), ("host", event.get("host")),
                           ("event_refs", [hit["event_id"]]), ("window_start", None),
                           ("raw", to_json(event))):
            out[key].append(value)
    return pa.table(out, schema=MATCH_SCHEMA)


# -- correlation rules -------------------------------------------------------------------


def base_fields(correlations: Sequence[Correlation]) -> list[str]:
    """Fields the base rules of ``correlations`` must return: user, host, group-by, value."""
    return list(dict.fromkeys(["user", "host",
                               *correlation_fields([c.spec for c in correlations])]))


def base_hits(bases: Sequence[BaseRule], table: ir.Table, fields: Sequence[str],
              duckdb: bool = True) -> pa.Table:
    """Matches of correlation base rules on one table, with ``fields`` as text columns."""
    rules = list({b.rule.rule_id: b.rule for b in bases}.values())
    if duckdb:
        return run_rules(rules, table, fields=fields)
    hits = run_rules_ibis(rules, table)
    events = _events(table, hits) if hits.num_rows else pa.table({"event_id": pa.array(
        [], pa.string())})
    return _with_fields(hits, events, fields)


def _with_fields(hits: pa.Table, events: pa.Table, fields: Sequence[str]) -> pa.Table:
    """``hits`` plus ``fields`` read from the event rows (normalized column names)."""
    names = {n.lower(): n for n in events.column_names}
    index = {str(e): i for i, e in enumerate(events["event_id"].to_pylist())}
    rows = [index.get(str(e)) for e in hits["event_id"].to_pylist()]
    for f in fields:
        column = events[names[f.lower()]].to_pylist() if f.lower() in names else None
        values = [None if column is None or i is None or column[i] is None else str(column[i])
                  for i in rows]
        hits = hits.append_column(f, pa.array(values, pa.string()))
    return hits


def correlation_matches(correlation: Correlation, hits: pa.Table,
                        since: datetime | None = None, seeds: Seeds | None = None) -> pa.Table:
    """Windows of one correlation over its base rules' ``hits`` as match rows.

    ``time`` is the window's last event, ``window_start`` its first; ``user`` and ``host``
    are the last event's; ``raw`` holds the kind, the group, the count and the events.
    """
    spec = correlation.spec
    mine = hits.filter(pc.is_in(hits["rule_id"], pa.array(list(spec.rule_refs), pa.string())))
    windows = run_correlations([spec], mine, since=since, seeds=seeds)
    people = {str(r["event_id"]): (r.get("user"), r.get("host"))
              for r in mine.select([c for c in ("event_id", "user", "host")
                                    if c in mine.column_names]).to_pylist()}
    out: dict[str, list[object]] = {f.name: [] for f in MATCH_SCHEMA}
    for hit in windows.to_pylist():
        refs = list(dict.fromkeys(str(r) for r in hit["event_refs"]))  # one event, 2 rules
        user, host = people.get(refs[-1], (None, None))
        group = dict(zip(hit["group_fields"], hit["group_values"], strict=True))
        raw = {"kind": hit["kind"], "group": group, "group_values": hit["group_values"],
               "count": len(refs), "events": refs, "last_event": refs[-1],
               "window_start": hit["window_start"], "window_end": hit["window_end"]}
        for key, value in (("rule_id", spec.rule_id), ("time", hit["window_end"]),
                           ("user", user), ("host", host), ("event_refs", refs),
                           ("window_start", hit["window_start"]), ("raw", to_json(raw))):
            out[key].append(value)
    return pa.table(out, schema=MATCH_SCHEMA)


def _run_correlation_rules(lake: Lake, rules: Sequence[PackRule],
                           starts: Callable[[str], date], scanned: dict[str, int]) -> pa.Table:
    correlations = [r.correlation for r in rules if r.correlation is not None]
    fields = base_fields(correlations)
    since: dict[str, datetime | None] = {}
    read_from: dict[str, date] = {}
    for c in correlations:
        first = min(starts(t) for t in c.tables)
        since[c.spec.rule_id] = (datetime.combine(first, time(), UTC)
                                 if first > BEGINNING else None)
        reach = datetime.combine(first, time(), UTC) - timedelta(
            seconds=c.spec.timespan_seconds)
        day = max(BEGINNING, reach.date()) if first > BEGINNING else BEGINNING
        for t in c.tables:
            read_from[t] = min(read_from.get(t, day), day)
    parts: list[pa.Table] = []
    for name, day in sorted(read_from.items()):
        if lake.rows(name) == 0:
            scanned.setdefault(name, 0)
            continue
        table = _window(lake.table(name), day)
        scanned.setdefault(name, _count(lake.table(name), starts(name)))
        bases = [b for c in correlations for b in c.bases if b.table == name]
        if int(table.count().execute()):
            parts.append(base_hits(bases, table, fields, duckdb=lake.engine == "duckdb"))
    hits = pa.concat_tables(parts) if parts else None
    seeds = _seeds(lake, correlations, since)
    out = [correlation_matches(c, hits, since[c.spec.rule_id], seeds)
           for c in correlations if hits is not None]
    return pa.concat_tables(out) if out else MATCH_SCHEMA.empty_table()


def _seeds(lake: Lake, correlations: Sequence[Correlation],
           since: Mapping[str, datetime | None]) -> Seeds:
    """Per (correlation, group), the last window stored before the run's report start."""
    wanted = {c.spec.rule_id: (s - timedelta(seconds=c.spec.timespan_seconds), s)
              for c in correlations if (s := since[c.spec.rule_id]) is not None}
    if not wanted or lake.rows("finding") == 0:
        return {}
    findings = lake.table("finding")
    earliest = min(lo for lo, _ in wanted.values())
    rows = findings.filter(findings.rule_id.isin(list(wanted))
                           & (findings.time >= earliest)).select(
        "rule_id", "time", "raw").to_pyarrow().to_pylist()
    seeds: dict[tuple[str, tuple[str | None, ...]], tuple[datetime, str]] = {}
    for row in rows:
        lo, hi = wanted[row["rule_id"]]
        if not lo <= row["time"] < hi:
            continue
        raw = json.loads(row["raw"] or "{}")
        key = (row["rule_id"], tuple(raw.get("group_values") or ()))
        mark = (row["time"], str(raw.get("last_event") or ""))
        if key not in seeds or mark > seeds[key]:
            seeds[key] = mark
    return seeds


SqlRunner = Callable[[SqlRule, datetime, datetime], pa.Table]


def _sql_runner(lake: Lake) -> SqlRunner:
    """Runs SQL rules on the lake's engine: DuckDB, or Spark SQL (sqlglot-transpiled)."""
    if lake.engine == "pyspark":
        session = _spark_views(lake)
        return lambda rule, start, end: run_sql_rule_spark(session, rule, start, end)
    con = _sql_views(lake)
    return lambda rule, start, end: run_sql_rule(con, rule, start, end)


def _sql_views(lake: Lake) -> Any:
    """The lake's DuckDB connection with one view per rule table."""
    backend = lake.ibis()
    con = getattr(backend, "con", None)
    if con is None:
        raise RuleError(f"SQL rules: no DuckDB connection on engine {lake.engine!r}")
    for name in VIEWS:
        expr = lake.table(name)
        if lake.rows(name) == 0:
            con.register(name, view_schema(name).empty_table())
        else:
            con.execute(f'CREATE OR REPLACE TEMP VIEW "{name}" AS {ibis.to_sql(expr)}')
    return con


def _spark_views(lake: Lake) -> Any:
    """The lake's Spark session with one temporary view per rule table."""
    from pyspark.sql.pandas.types import from_arrow_schema

    from watchkeeper.lake import spark

    lake.ibis()
    session = spark.session()
    for name in VIEWS:
        if lake.rows(name) == 0:
            schema = from_arrow_schema(view_schema(name))
            session.createDataFrame([], schema).createOrReplaceTempView(name)
        else:
            sql = ibis.to_sql(lake.table(name), dialect="pyspark")
            session.sql(str(sql)).createOrReplaceTempView(name)
    return session


def _watermark(lake: Lake, tables: Iterable[str]) -> dict[str, str]:
    marks: dict[str, str] = {}
    for name in tables:
        newest = lake.table(name).time.max().execute()
        if newest is not None and str(newest) != "NaT":
            marks[name] = newest.isoformat()
    return marks


def _store(lake: Lake, pack: Pack, matches: pa.Table, scanned: Mapping[str, int],
           since: date, started: float, dropped: Mapping[str, int],
           wait: float = 0.0) -> DetectReport:
    meta = {r.rule_id: r.meta for r in pack.rules}
    findings = finding_rows(matches, meta)
    alerts = Counter(str(r) for r in findings["rule_id"].to_pylist())
    counts = {r.rule_id: alerts.get(r.rule_id, 0) for r in pack.rules}
    marks = _watermark(lake, scanned)
    with lake.transaction(COMMIT_KIND, wait) as txn:
        txn.stage("finding", findings, 0)
        result = txn.commit({"watermark": marks, "since": since.isoformat(),
                             "alerts": counts, "rules": len(pack.rules)})
    return DetectReport(counts, dict(scanned), clock.perf_counter() - started, since,
                        stored=result.rows.get("events/finding", 0), commit=result.seq,
                        errors=tuple(str(e) for e in pack.errors),
                        suppressed={k: v for k, v in sorted(dropped.items()) if v})


__all__ = ["BEGINNING", "OVERLAP_DAYS", "DetectReport", "allow_lists", "base_fields",
           "base_hits", "correlation_matches", "detect", "last_watermarks",
           "people_attributes", "sigma_matches"]
