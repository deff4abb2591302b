"""A rule pack: Sigma and SQL rules with Watchkeeper metadata and golden tests.

Every rule file is YAML. A file with a ``query:`` is a SQL rule (:mod:`.sql_rules`); any
other is a Sigma rule. Both carry the same metadata: ``name`` (the stable dotted rule id,
equal to the file name without ``.yml``; Sigma's own ``id`` stays a UUID), ``title``,
``level``, ``tags``, ``description``, ``falsepositives``, ``runbook`` and ``tests``::

    tests:
      base:                     # one base row per table, stored once
        web: {user: U1, host: PC-1, time: 2025-01-06T10:00:00Z, activity: visit, ...}
      background:               # history every case sees (optional)
        authentication: [{time: ...}, ...]
      positive:                 # each case must match at least once (or `expect` times)
        - name: upload to a leak site
          events: {web: [{domain: wikileaks.org, activity: upload}]}
      negative:                 # each case must not match
        - name: ordinary visit
          events: {web: [{}]}

Each row overrides the base row of its table. Errors name the file and the rule id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sigma.rule import SigmaRule

from watchkeeper.detect.sigma.compiler import CompiledRule
from watchkeeper.detect.sigma.loader import compile_rules, load_rules, rule_files
from watchkeeper.detect.sigma.normalized import pipeline_for, target_table
from watchkeeper.detect.sql_rules import SqlRule, parse_sql_rule
from watchkeeper.errors import RuleError

#: The shipped insider-risk pack.
DEFAULT_RULES = Path(__file__).resolve().parent.parent / "rules" / "insider"
LEVELS = ("informational", "low", "medium", "high", "critical")
Row = dict[str, Any]


class RuleMeta(BaseModel):
    """Metadata every rule of a pack carries (validated, so errors name the field)."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(pattern=r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")
    title: str = Field(min_length=3)
    level: str = Field(pattern="^(" + "|".join(LEVELS) + ")$")
    tags: tuple[str, ...] = Field(min_length=1)
    description: str = Field(min_length=10)
    falsepositives: tuple[str, ...] = Field(min_length=1)
    runbook: str = Field(min_length=10)


@dataclass(frozen=True)
class TestCase:
    """One golden case: rows per table (overriding the base rows) and the expected result."""

    name: str
    positive: bool
    events: Mapping[str, Sequence[Row]]
    expect: int | None = None


@dataclass(frozen=True)
class GoldenTests:
    base: Mapping[str, Row]
    background: Mapping[str, Sequence[Row]]
    cases: tuple[TestCase, ...]


@dataclass(frozen=True)
class PackRule:
    """One rule of the pack: metadata, tests, and the Sigma or SQL form it runs as."""

    meta: RuleMeta
    tests: GoldenTests
    path: Path
    sigma: CompiledRule | None = None
    sql: SqlRule | None = None
    table: str | None = None  # the table a Sigma rule reads

    @property
    def rule_id(self) -> str:
        return self.meta.name

    @property
    def kind(self) -> str:
        return "sql" if self.sql is not None else "sigma"


@dataclass(frozen=True)
class Pack:
    rules: tuple[PackRule, ...]
    errors: tuple[RuleError, ...]

    def get(self, rule_id: str) -> PackRule:
        for rule in self.rules:
            if rule.rule_id == rule_id:
                return rule
        raise RuleError(f"no rule {rule_id!r} in the pack")


def load_pack(paths: Iterable[Path | str] | None = None) -> Pack:
    """Load, validate and compile every rule under ``paths`` (default: the shipped pack)."""
    files = rule_files(list(paths) if paths is not None else [DEFAULT_RULES])
    errors: list[RuleError] = []
    docs: dict[Path, dict[str, Any]] = {}
    for path in files:
        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            errors.append(RuleError(f"cannot parse: {exc}", path=path))
            continue
        if not isinstance(doc, dict):
            errors.append(RuleError("a rule file must hold one YAML mapping", path=path))
            continue
        docs[path] = doc
    rules = [r for path, doc in docs.items() if "query" in doc
             if (r := _sql_rule(path, doc, errors)) is not None]
    rules += _sigma_rules([p for p, d in docs.items() if "query" not in d], docs, errors)
    rules.sort(key=lambda r: r.rule_id)
    errors += check_ids(rules)
    return Pack(tuple(rules), tuple(errors))


def _sql_rule(path: Path, doc: dict[str, Any], errors: list[RuleError]) -> PackRule | None:
    try:
        meta, tests = _meta(path, doc), _tests(path, doc)
        return PackRule(meta, tests, path, sql=parse_sql_rule(doc, path))
    except RuleError as exc:
        errors.append(exc)
        return None


def _sigma_rules(paths: list[Path], docs: Mapping[Path, dict[str, Any]],
                 errors: list[RuleError]) -> list[PackRule]:
    if not paths:
        return []
    parsed = load_rules(paths)
    errors.extend(parsed.errors)
    out: list[PackRule] = []
    for rule in parsed.rules:
        path = Path(str(rule.source.path)) if rule.source and rule.source.path else paths[0]
        try:
            out.append(_sigma_rule(rule, path, docs.get(path, {})))
        except RuleError as exc:
            errors.append(exc)
    return out


def _sigma_rule(rule: SigmaRule, path: Path, doc: dict[str, Any]) -> PackRule:
    meta, tests = _meta(path, doc), _tests(path, doc)
    compiled = compile_rules([rule], pipeline_for(rule.logsource))
    if compiled.errors:
        raise RuleError(compiled.errors[0].reason, path=path, rule_id=meta.name)
    try:
        table = target_table(rule.logsource)
    except RuleError as exc:
        raise RuleError(exc.reason, path=path, rule_id=meta.name) from exc
    sigma = replace(compiled.rules[0], rule_id=meta.name)
    return PackRule(meta, tests, path, sigma=sigma, table=table)


def _meta(path: Path, doc: Mapping[str, Any]) -> RuleMeta:
    rule_id = str(doc.get("name") or "") or None
    fields = {k: doc.get(k) for k in RuleMeta.model_fields if doc.get(k) is not None}
    try:
        return RuleMeta.model_validate(fields)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
                             for e in exc.errors())
        raise RuleError(f"metadata: {problems}", path=path, rule_id=rule_id) from None


def _tests(path: Path, doc: Mapping[str, Any]) -> GoldenTests:
    rule_id = str(doc.get("name") or "") or None
    raw = doc.get("tests")
    if not isinstance(raw, dict):
        raise RuleError("missing 'tests' (base, positive, negative)", path=path,
                        rule_id=rule_id)
    try:
        base = {str(t): dict(r) for t, r in (raw.get("base") or {}).items()}
        background = {str(t): [dict(r) for r in rows]
                      for t, rows in (raw.get("background") or {}).items()}
        cases = tuple(_case(c, kind == "positive") for kind in ("positive", "negative")
                      for c in raw.get(kind) or ())
    except (TypeError, ValueError, AttributeError) as exc:
        raise RuleError(f"tests: {exc}", path=path, rule_id=rule_id) from None
    return GoldenTests(base, background, cases)


def _case(raw: Mapping[str, Any], positive: bool) -> TestCase:
    events = {str(t): [dict(r) for r in rows] for t, rows in raw["events"].items()}
    expect = raw.get("expect")
    return TestCase(str(raw["name"]), positive, events,
                    int(expect) if expect is not None else None)


def check_ids(rules: Sequence[PackRule]) -> list[RuleError]:
    """Repo-wide checks: ids unique and equal to file names; positive and negative cases."""
    errors: list[RuleError] = []
    seen: dict[str, Path] = {}
    for rule in rules:
        if rule.path.stem != rule.rule_id:
            errors.append(RuleError(f"file name {rule.path.name!r} does not match the rule "
                                    f"id", path=rule.path, rule_id=rule.rule_id))
        if rule.rule_id in seen:
            errors.append(RuleError(f"duplicate rule id (also in {seen[rule.rule_id]})",
                                    path=rule.path, rule_id=rule.rule_id))
        seen.setdefault(rule.rule_id, rule.path)
        kinds = {c.positive for c in rule.tests.cases}
        if kinds != {True, False}:
            errors.append(RuleError("needs at least one positive and one negative test case",
                                    path=rule.path, rule_id=rule.rule_id))
    return errors


__all__ = ["DEFAULT_RULES", "LEVELS", "GoldenTests", "Pack", "PackRule", "RuleMeta",
           "TestCase", "check_ids", "load_pack"]
