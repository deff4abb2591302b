"""Testing rules: golden events (each rule's own cases) and backtests against answer keys.

``run_golden_tests(pack)`` builds each case's tables from the rule's base rows, background
and case rows, runs the rule on real DuckDB (a correlation: its base rules, then the
sliding windows), drops matches the rule's ``allow:`` list covers (``person.*`` keys read
the case's ``people`` rows) and checks the case's expectation.
``backtest(lake, rule_id, answers_dir)`` counts a rule's stored findings per day and scores
them against a CERT-format ``answers/insiders.csv``: a finding is a true positive when its
user has an incident and its time lies within the incident's ``[start, end]``.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from difflib import get_close_matches
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from watchkeeper.detect.engine import (
    base_fields,
    base_hits,
    correlation_matches,
    people_attributes,
    sigma_matches,
)
from watchkeeper.detect.findings import suppress
from watchkeeper.detect.ruleset import Pack, PackRule, Row, TestCase
from watchkeeper.detect.runner import connect_table, run_rules
from watchkeeper.detect.sql_rules import (
    MATCH_SCHEMA,
    register_tables,
    run_sql_rule,
    view_schema,
)
from watchkeeper.errors import InputError, NotFoundError, RuleError
from watchkeeper.lake.store import Lake
from watchkeeper.schema.windows import windows_schema

CERT_TIME = "%m/%d/%Y %H:%M:%S"
FIRST = datetime(1970, 1, 1, tzinfo=UTC)
LAST = datetime(9999, 1, 1, tzinfo=UTC)
ENTITIES = frozenset({"people", "devices", "data_assets"})


@dataclass(frozen=True)
class CaseResult:
    rule_id: str
    case: str
    positive: bool
    matches: int
    passed: bool
    error: str | None = None


def run_golden_tests(pack: Pack, progress: Callable[[int, int, str], None] | None = None
                     ) -> list[CaseResult]:
    """Every case of every rule in the pack, in rule order; `progress(done, total, rule)`
    is called after each case."""
    cases = [(rule, case) for rule in pack.rules for case in rule.tests.cases]
    results = []
    for done, (rule, case) in enumerate(cases, start=1):
        results.append(_run_case(rule, case))
        if progress is not None:
            progress(done, len(cases), rule.rule_id)
    return results


def _run_case(rule: PackRule, case: TestCase) -> CaseResult:
    try:
        tables = case_tables(rule, case)
        matches = _matches(rule, tables)
    except (RuleError, duckdb.Error, pa.ArrowException, KeyError, ValueError,
            TypeError) as exc:
        return CaseResult(rule.rule_id, case.name, case.positive, 0, False, str(exc))
    if case.expect is not None:
        passed = matches == case.expect
    else:
        passed = matches > 0 if case.positive else matches == 0
    return CaseResult(rule.rule_id, case.name, case.positive, matches, passed)


def _matches(rule: PackRule, tables: Mapping[str, pa.Table]) -> int:
    found = case_matches(rule, tables)
    people = people_attributes(tables["people"]) if "people" in tables else {}
    kept, _ = suppress(found, {rule.rule_id: list(rule.allow)}, people)
    return int(kept.num_rows)


def case_matches(rule: PackRule, tables: Mapping[str, pa.Table]) -> pa.Table:
    """The rule's match rows (``sql_rules.MATCH_SCHEMA``) on a case's tables."""
    if rule.correlation is not None:
        correlation = rule.correlation
        fields = base_fields([correlation])
        parts = []
        for name in correlation.tables:
            data = tables.get(name)
            if data is None or data.num_rows == 0:
                continue
            bases = [b for b in correlation.bases if b.table == name]
            parts.append(base_hits(bases, connect_table(data, name), fields))
        if not parts:
            return MATCH_SCHEMA.empty_table()
        return correlation_matches(correlation, pa.concat_tables(parts))
    if rule.sigma is not None and rule.table is not None:
        data = tables.get(rule.table)
        if data is None or data.num_rows == 0:
            return MATCH_SCHEMA.empty_table()
        return sigma_matches(run_rules([rule.sigma], connect_table(data, rule.table)), data)
    if rule.sql is None:
        raise RuleError("rule has neither a Sigma nor a SQL form", rule_id=rule.rule_id)
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        register_tables(con, tables)
        return run_sql_rule(con, rule.sql, FIRST, LAST)
    finally:
        con.close()


def case_tables(rule: PackRule, case: TestCase) -> dict[str, pa.Table]:
    """The case's rows per table: background then case rows, each over its base row."""
    rows: dict[str, list[Row]] = {}
    for source, label in ((rule.tests.background, "bg"), (case.events, "case")):
        for table, overrides in source.items():
            base = rule.tests.base.get(table, {})
            for i, override in enumerate(overrides):
                row = {**base, **override}
                if table not in ENTITIES:
                    row.setdefault("event_id", f"{label}-{table}-{len(rows.get(table, []))}-{i}")
                rows.setdefault(table, []).append(row)
    return {table: _arrow(table, data) for table, data in rows.items()}


def _arrow(table: str, rows: Sequence[Row]) -> pa.Table:
    if table == "windows":
        schema = windows_schema(sorted({k for r in rows for k in r}))
    else:
        schema = view_schema(table)
    unknown = sorted({k for r in rows for k in r} - set(schema.names))
    if unknown:
        raise KeyError(f"table {table} has no column(s) {', '.join(unknown)}")
    columns = {}
    for f in schema:
        values = [_default(table, f.name, r) for r in rows]
        columns[f.name] = pa.array([_cell(v, f.type) for v in values], f.type)
    return pa.table(columns, schema=schema)


def _default(table: str, name: str, row: Row) -> Any:
    if name in row:
        return row[name]
    if name == "day" and "time" in row:
        return _cell(row["time"], pa.timestamp("us", tz="UTC")).date()
    return {"class": table, "source": "test"}.get(name)


def _cell(value: Any, kind: pa.DataType) -> Any:
    if value is None:
        return None
    if pa.types.is_timestamp(kind):
        when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        if isinstance(value, date) and not isinstance(value, datetime):
            when = datetime(value.year, value.month, value.day)
        return when if when.tzinfo else when.replace(tzinfo=UTC)
    if pa.types.is_date(kind):
        return value if isinstance(value, date) else date.fromisoformat(str(value))
    if pa.types.is_string(kind) and not isinstance(value, str):
        return str(value)
    return value


# -- backtests against a CERT answer key ---------------------------------------------------


@dataclass(frozen=True)
class Incident:
    scenario: str
    user: str
    start: datetime
    end: datetime


def read_answers(answers_dir: Path | str) -> list[Incident]:
    """Incidents of ``insiders.csv`` (in ``answers_dir`` or its ``answers/`` folder)."""
    root = Path(answers_dir)
    path = next((p for p in (root / "insiders.csv", root / "answers" / "insiders.csv")
                 if p.exists()), None)
    if path is None:
        raise InputError(root, "no insiders.csv answer key")
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    try:
        return [Incident(r["scenario"], r["user"],
                         datetime.strptime(r["start"], CERT_TIME).replace(tzinfo=UTC),
                         datetime.strptime(r["end"], CERT_TIME).replace(tzinfo=UTC))
                for r in rows]
    except (KeyError, ValueError) as exc:
        raise InputError(path, f"not a CERT answer key ({exc})") from None


def backtest(lake: Lake, rule_id: str, answers_dir: Path | str) -> dict[str, Any]:
    """Stored findings of one rule per day, scored against the answer key."""
    incidents = read_answers(answers_dir)
    findings = lake.table("finding")
    rows = (findings.filter(findings.rule_id == rule_id)
            .select("user", "time").to_pyarrow().to_pylist())
    if not rows:
        _check_known(lake, rule_id)
    per_day: Counter[str] = Counter()
    tp = fp = 0
    hit: set[tuple[str, str]] = set()
    for row in rows:
        per_day[row["time"].date().isoformat()] += 1
        match = [i for i in incidents if i.user == row["user"] and i.start <= row["time"] <= i.end]
        if match:
            tp += 1
            hit.update((i.scenario, i.user) for i in match)
        else:
            fp += 1
    total = tp + fp
    return {"rule_id": rule_id, "matches": total, "per_day": dict(sorted(per_day.items())),
            "true_positives": tp, "false_positives": fp,
            "precision": round(tp / total, 4) if total else None,
            "incidents": len(incidents), "incidents_detected": len(hit),
            "detected": sorted(f"{s}:{u}" for s, u in hit)}


def _check_known(lake: Lake, rule_id: str) -> None:
    """A rule id that is neither in the shipped pack nor in the stored findings is a
    typo: say so, with the closest known ids, instead of scoring nothing."""
    from watchkeeper.detect.ruleset import DEFAULT_RULES
    from watchkeeper.detect.sigma.loader import rule_files
    findings = lake.table("finding")
    known = set(findings.select("rule_id").distinct().to_pyarrow()["rule_id"].to_pylist())
    known |= {p.name.removesuffix(p.suffix) for p in rule_files([DEFAULT_RULES])}
    if rule_id in known:
        return
    close = get_close_matches(rule_id, sorted(known), n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise NotFoundError(f"rule {rule_id!r}: not in the shipped pack nor in the stored "
                        f"findings{hint}")


__all__ = ["CaseResult", "Incident", "backtest", "case_matches", "case_tables",
           "read_answers", "run_golden_tests"]
