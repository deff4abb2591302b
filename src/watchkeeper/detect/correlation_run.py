"""Correlation rules in a detection run: base rules' hits with their group-by fields,
then sliding windows (:mod:`.sigma.correlate`), each satisfying window one match row.

An incremental run re-reads the largest timespan before its first day and resumes each
group after the last window already stored (its *seed*), so it stores what a full run would.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta

import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.detect.packtypes import BaseRule, Correlation, PackRule
from watchkeeper.detect.runner import run_rules, run_rules_ibis
from watchkeeper.detect.scan import BEGINNING, count, events_of, window
from watchkeeper.detect.sigma.correlate import Seeds, correlation_fields, run_correlations
from watchkeeper.detect.sql_rules import MATCH_SCHEMA, to_json
from watchkeeper.lake.store import Lake


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
    events = events_of(table, hits) if hits.num_rows else pa.table({"event_id": pa.array(
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


def run_correlation_rules(lake: Lake, rules: Sequence[PackRule],
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
        table = window(lake.table(name), day)
        scanned.setdefault(name, count(lake.table(name), starts(name)))
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


__all__ = ["base_fields", "base_hits", "correlation_matches", "run_correlation_rules"]
