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

A Sigma rule file may hold several YAML documents (a pySigma collection): the document
named like the file is the pack rule (it carries the metadata and tests); the others are
*helper* rules (a ``name`` and a detection, nothing else) that a correlation of the pack
refers to. Correlation rules (``correlation:``) refer to pack rules or helpers by ``name``
or ``id``; helpers never raise findings of their own.

``allow:`` (any rule) lists exceptions as data: matches that satisfy one entry's ``where``
are suppressed (see :class:`Allow`); a workspace may add its own in ``exceptions.yml``
(:func:`load_exceptions`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sigma.correlations import SigmaCorrelationRule
from sigma.rule import SigmaRule

from watchkeeper.detect.sigma.compiler import CompiledRule
from watchkeeper.detect.sigma.correlation import CorrelationSpec, compile_correlation
from watchkeeper.detect.sigma.loader import compile_rules, load_rules, rule_files
from watchkeeper.detect.sigma.normalized import pipeline_for, target_table
from watchkeeper.detect.sql_rules import SqlRule, parse_sql_rule
from watchkeeper.errors import RuleError, yaml_location

#: The shipped insider-risk pack.
DEFAULT_RULES = Path(__file__).resolve().parent.parent / "rules" / "insider"
LEVELS = ("informational", "low", "medium", "high", "critical")
#: The workspace file of site-specific exceptions (next to the ``lake`` folder).
EXCEPTIONS_FILE = "exceptions.yml"
ALLOW_OPS = ("eq", "gt", "gte", "lt", "lte", "neq")
Row = dict[str, Any]


@dataclass(frozen=True)
class Condition:
    """One ``where`` test: ``key`` (``user``, ``host``, a column of the match or
    ``person.<column>``) compared with ``op`` to any of ``values``."""

    key: str
    op: str
    values: tuple[Any, ...]


@dataclass(frozen=True)
class Allow:
    """An exception: matches of ``rules`` satisfying every condition are suppressed.

    ``rules`` is empty for a rule's own ``allow:`` list (it applies to that rule) and lists
    rule ids (or ``*``) in a workspace exceptions file. ``until`` (inclusive) ends it.
    """

    reason: str
    where: tuple[Condition, ...]
    rules: tuple[str, ...] = ()
    until: date | None = None
    source: str | None = None

    def applies_to(self, rule_id: str) -> bool:
        return not self.rules or "*" in self.rules or rule_id in self.rules


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
class BaseRule:
    """A Sigma rule a correlation counts: its pack id (or helper name) and table."""

    rule: CompiledRule
    table: str


@dataclass(frozen=True)
class Correlation:
    """A correlation rule: the spec (``rule_refs`` are pack ids) and its base rules."""

    spec: CorrelationSpec
    bases: tuple[BaseRule, ...]

    @property
    def tables(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(b.table for b in self.bases))


@dataclass(frozen=True)
class PackRule:
    """One rule of the pack: metadata, tests, and the Sigma, SQL or correlation form."""

    meta: RuleMeta
    tests: GoldenTests
    path: Path
    sigma: CompiledRule | None = None
    sql: SqlRule | None = None
    table: str | None = None  # the table a Sigma rule reads
    correlation: Correlation | None = None
    allow: tuple[Allow, ...] = ()

    @property
    def rule_id(self) -> str:
        return self.meta.name

    @property
    def kind(self) -> str:
        if self.correlation is not None:
            return "correlation"
        return "sql" if self.sql is not None else "sigma"


@dataclass(frozen=True)
class Pack:
    rules: tuple[PackRule, ...]
    errors: tuple[RuleError, ...]
    helpers: tuple[BaseRule, ...] = field(default_factory=tuple)

    def get(self, rule_id: str) -> PackRule:
        for rule in self.rules:
            if rule.rule_id == rule_id:
                return rule
        raise RuleError(f"no rule {rule_id!r} in the pack")


def load_pack(paths: Iterable[Path | str] | None = None) -> Pack:
    """Load, validate and compile every rule under ``paths`` (default: the shipped pack)."""
    files = rule_files(list(paths) if paths is not None else [DEFAULT_RULES])
    errors: list[RuleError] = []
    docs: dict[Path, list[dict[str, Any]]] = {}
    for path in files:
        try:
            found = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8"))
                     if d is not None]
        except yaml.YAMLError as exc:
            where, problem = yaml_location(path, exc)
            errors.append(RuleError(problem, path=where))
            continue
        except OSError as exc:
            errors.append(RuleError(f"cannot read: {exc.strerror or exc}", path=path))
            continue
        if not found or not all(isinstance(d, dict) for d in found):
            errors.append(RuleError("a rule file must hold YAML mappings", path=path))
            continue
        if any("query" in d for d in found) and len(found) > 1:
            errors.append(RuleError("a SQL rule file holds one document", path=path,
                                    rule_id=str(found[0].get("name") or "") or None))
            continue
        docs[path] = found
    rules = [r for path, found in docs.items() if "query" in found[0]
             if (r := _sql_rule(path, found[0], errors)) is not None]
    sigma, helpers = _sigma_rules([p for p, d in docs.items() if "query" not in d[0]],
                                  docs, errors)
    rules += sigma
    rules.sort(key=lambda r: r.rule_id)
    errors += check_ids(rules)
    names = {r.rule_id for r in rules}
    errors += [RuleError("helper rule id is also a pack rule id", path=h.rule.path,
                         rule_id=h.rule.rule_id) for h in helpers if h.rule.rule_id in names]
    return Pack(tuple(rules), tuple(errors), tuple(helpers))


def _sql_rule(path: Path, doc: dict[str, Any], errors: list[RuleError]) -> PackRule | None:
    try:
        meta, tests = _meta(path, doc), _tests(path, doc)
        return PackRule(meta, tests, path, sql=parse_sql_rule(doc, path),
                        allow=parse_allow(doc.get("allow"), path, meta.name))
    except RuleError as exc:
        errors.append(exc)
        return None


def _primary(path: Path, found: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """The document of a rule file that is the pack rule (the one named like the file)."""
    if len(found) == 1:
        return found[0]
    return next((d for d in found if str(d.get("name") or "") == path.stem), None)


def _sigma_rules(paths: list[Path], docs: Mapping[Path, list[dict[str, Any]]],
                 errors: list[RuleError]) -> tuple[list[PackRule], list[BaseRule]]:
    if not paths:
        return [], []
    for path in paths:
        if _primary(path, docs[path]) is None:
            errors.append(RuleError(f"a file of several rules needs one named {path.stem!r} "
                                    "(the pack rule; the others are helpers)", path=path))
    parsed = load_rules(paths)
    errors.extend(parsed.errors)
    out: list[PackRule] = []
    base: dict[int, BaseRule] = {}  # id(SigmaRule) -> compiled form
    helpers: list[BaseRule] = []
    for rule in parsed.rules:
        path = _path_of(rule, paths)
        doc = _primary(path, docs.get(path, []))
        try:
            if doc is not None and (len(docs[path]) == 1 or rule.name == path.stem):
                packed = _sigma_rule(rule, path, doc)
                out.append(packed)
                if packed.sigma is not None and packed.table is not None:
                    base[id(rule)] = BaseRule(packed.sigma, packed.table)
            else:
                helper = _helper(rule, path)
                helpers.append(helper)
                base[id(rule)] = helper
        except RuleError as exc:
            errors.append(exc)
    for corr in parsed.correlations:
        path = _path_of(corr, paths)
        doc = _primary(path, docs.get(path, []))
        rule_id = corr.name or (str(corr.id) if corr.id else None)
        try:
            if doc is None or (len(docs[path]) > 1 and corr.name != path.stem):
                raise RuleError("a correlation must be the file's pack rule (named like "
                                "the file); chained correlations are not supported",
                                path=path, rule_id=rule_id)
            out.append(_correlation_rule(corr, path, doc, base))
        except RuleError as exc:
            errors.append(exc)
    return out, helpers


def _path_of(rule: SigmaRule | SigmaCorrelationRule, paths: Sequence[Path]) -> Path:
    return Path(str(rule.source.path)) if rule.source and rule.source.path else paths[0]


def _helper(rule: SigmaRule, path: Path) -> BaseRule:
    """A helper rule of a multi-document file: named, compiled, never reported."""
    name = rule.name
    if not name:
        raise RuleError("a helper rule needs a 'name' (correlations refer to it)", path=path,
                        rule_id=str(rule.id) if rule.id else rule.title)
    compiled = compile_rules([rule], pipeline_for(rule.logsource))
    if compiled.errors:
        raise RuleError(compiled.errors[0].reason, path=path, rule_id=name)
    try:
        table = target_table(rule.logsource)
    except RuleError as exc:
        raise RuleError(exc.reason, path=path, rule_id=name) from exc
    return BaseRule(replace(compiled.rules[0], rule_id=name), table)


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
    return PackRule(meta, tests, path, sigma=sigma, table=table,
                    allow=parse_allow(doc.get("allow"), path, meta.name))


def _correlation_rule(corr: SigmaCorrelationRule, path: Path, doc: dict[str, Any],
                      base: Mapping[int, BaseRule]) -> PackRule:
    meta, tests = _meta(path, doc), _tests(path, doc)
    try:
        spec = compile_correlation(corr)
    except RuleError as exc:
        raise RuleError(exc.reason, path=path, rule_id=meta.name) from exc
    bases: list[BaseRule] = []
    for ref in corr.rules or ():
        target = getattr(ref, "rule", None)
        found = base.get(id(target)) if target is not None else None
        if found is None:
            kind = ("a correlation (chained correlations are not supported)"
                    if isinstance(target, SigmaCorrelationRule) else
                    "not a compiled Sigma rule of the pack (SQL rules cannot be correlated)")
            raise RuleError(f"correlation refers to {ref.reference!r}: {kind}", path=path,
                            rule_id=meta.name)
        bases.append(found)
    if not spec.timespan_seconds:
        raise RuleError("correlation needs a timespan", path=path, rule_id=meta.name)
    spec = replace(spec, rule_id=meta.name, title=meta.title, level=meta.level,
                   rule_refs=tuple(b.rule.rule_id for b in bases))
    return PackRule(meta, tests, path, correlation=Correlation(spec, tuple(bases)),
                    allow=parse_allow(doc.get("allow"), path, meta.name))


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


def parse_allow(raw: Any, path: Path | str | None, rule_id: str | None,
                workspace: bool = False) -> tuple[Allow, ...]:
    """Exception entries (a rule's ``allow:`` or a workspace file's ``exceptions:``).

    Each entry: ``reason`` (required), ``where`` (a mapping of ``key`` or ``key|op`` to a
    value or list of values; ``op`` is one of :data:`ALLOW_OPS`), optional ``until``
    (a date); in a workspace file also ``rules`` (rule ids or ``*``).
    """
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise RuleError("'allow' must be a list of entries", path=path, rule_id=rule_id)
    out: list[Allow] = []
    for i, entry in enumerate(raw):
        where = f"{'exceptions' if workspace else 'allow'}[{i}]"
        if not isinstance(entry, dict):
            raise RuleError(f"{where}: must be a mapping", path=path, rule_id=rule_id)
        unknown = set(entry) - {"reason", "where", "until", *(("rules",) if workspace else ())}
        if unknown:
            raise RuleError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}", path=path,
                            rule_id=rule_id)
        reason, tests = entry.get("reason"), entry.get("where")
        if not isinstance(reason, str) or len(reason.strip()) < 3:
            raise RuleError(f"{where}: needs a 'reason'", path=path, rule_id=rule_id)
        if not isinstance(tests, dict) or not tests:
            raise RuleError(f"{where}: 'where' must be a non-empty mapping", path=path,
                            rule_id=rule_id)
        conditions = []
        for key, value in tests.items():
            name, _, op = str(key).partition("|")
            op = op or "eq"
            values = tuple(value) if isinstance(value, list) else (value,)
            if op not in ALLOW_OPS or not name:
                raise RuleError(f"{where}: bad key {key!r} (operators: {', '.join(ALLOW_OPS)})",
                                path=path, rule_id=rule_id)
            if op in ("gt", "gte", "lt", "lte") and not all(
                    isinstance(v, int | float) and not isinstance(v, bool) for v in values):
                raise RuleError(f"{where}: {key!r} compares numbers", path=path,
                                rule_id=rule_id)
            conditions.append(Condition(name, op, values))
        until = entry.get("until")
        if until is not None and not isinstance(until, date):
            try:
                until = date.fromisoformat(str(until))
            except ValueError:
                raise RuleError(f"{where}: 'until' must be a date (YYYY-MM-DD)", path=path,
                                rule_id=rule_id) from None
        rules: tuple[str, ...] = ()
        if workspace:
            names = entry.get("rules")
            names = [names] if isinstance(names, str) else names
            if not isinstance(names, list) or not names:
                raise RuleError(f"{where}: needs 'rules' (rule ids or '*')", path=path,
                                rule_id=rule_id)
            rules = tuple(str(n) for n in names)
        out.append(Allow(reason.strip(), tuple(conditions), rules, until,
                         str(path) if path is not None else None))
    return tuple(out)


def load_exceptions(path: Path | str) -> tuple[Allow, ...]:
    """A workspace's exceptions file (nothing when it does not exist)::

        exceptions:
          - rules: [insider.access.logon_other_users_machine]
            reason: desk-side support contract, ticket CHG-1234
            where: {user: [U123, U456]}
            until: 2025-12-31
    """
    path = Path(path)
    if not path.exists():
        return ()
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        where, problem = yaml_location(path, exc)
        raise RuleError(problem, path=where) from None
    except OSError as exc:
        raise RuleError(f"cannot read: {exc.strerror or exc}", path=path) from None
    if doc is None:
        return ()
    if not isinstance(doc, dict) or set(doc) - {"exceptions"}:
        raise RuleError("an exceptions file holds one key, 'exceptions' (a list)", path=path)
    return parse_allow(doc.get("exceptions") or [], path, None, workspace=True)


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


__all__ = ["ALLOW_OPS", "DEFAULT_RULES", "EXCEPTIONS_FILE", "LEVELS", "Allow", "BaseRule",
           "Condition", "Correlation", "GoldenTests", "Pack", "PackRule", "RuleMeta",
           "TestCase", "check_ids", "load_exceptions", "load_pack", "parse_allow"]
