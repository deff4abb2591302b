"""Sigma rule files → pack rules: pack-format rules, plain Sigma rules, helpers, correlations.

A *pack-format* file carries Watchkeeper metadata (``runbook`` or ``tests``) or lies in the
shipped pack: its rules are held to :class:`~.packtypes.PackMeta` and need golden tests.
Any other file is *plain Sigma* (SigmaHQ or another repository, as it comes): every rule
in it runs, with metadata derived from the rule itself (:func:`plain_meta`); a rule that a
correlation of the set refers to is a helper (no findings of its own) unless the
correlation says ``generate: true``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from watchkeeper.detect.allow import parse_allow
from watchkeeper.detect.packtypes import (
    DEFAULT_RULES,
    NO_TESTS,
    BaseRule,
    Correlation,
    GoldenTests,
    PackRule,
    RuleMeta,
    parse_meta,
    parse_tests,
)
from watchkeeper.detect.rulefiles import ReadFile, SigmaEntry
from watchkeeper.detect.sigma.compiler import CompiledRule
from watchkeeper.detect.sigma.correlation import compile_correlation
from watchkeeper.detect.sigma.loader import compile_rules, load_rules
from watchkeeper.detect.sigma.normalized import pipeline_for, target_table
from watchkeeper.errors import RuleError

if TYPE_CHECKING:  # pySigma loads when a file is parsed: cached rule sets run without it
    from sigma.correlations import SigmaCorrelationRule
    from sigma.rule import SigmaRule

Docs = Mapping[Path, list[dict[str, Any]]]
PACK_KEYS = ("runbook", "tests")
#: Severity of a plain Sigma rule without ``level``.
DEFAULT_LEVEL = "informational"


def is_pack_file(path: Path, found: Sequence[Mapping[str, Any]]) -> bool:
    """Pack format: in the shipped pack, or any document carries ``runbook``/``tests``."""
    return path.resolve().is_relative_to(DEFAULT_RULES) or any(
        key in doc for doc in found for key in PACK_KEYS)


def plain_meta(rule: SigmaRule | SigmaCorrelationRule, rule_id: str) -> RuleMeta:
    """Metadata of a plain Sigma rule: id given, severity from ``level``, tags as they are."""
    level = str(rule.level).lower() if rule.level is not None else DEFAULT_LEVEL
    return RuleMeta(name=rule_id, title=rule.title or rule_id, level=level,
                    tags=tuple(str(t) for t in rule.tags or ()),
                    description=" ".join((rule.description or "").split()),
                    falsepositives=tuple(str(f) for f in rule.falsepositives or ()))


def plain_id(rule: SigmaRule | SigmaCorrelationRule, path: Path) -> str:
    """A plain rule's id: its ``name``, else its ``id`` (a UUID), else the file name."""
    return rule.name or (str(rule.id) if rule.id else path.stem)


def sigma_rules(paths: list[Path], docs: Docs,
                errors: list[RuleError]) -> tuple[list[PackRule], list[BaseRule]]:
    """Every Sigma and correlation rule of ``paths``, and the helpers correlations count."""
    if not paths:
        return [], []
    pack_files = {p for p in paths if is_pack_file(p, docs[p])}
    for path in sorted(pack_files):
        if _primary(path, docs[path]) is None:
            errors.append(RuleError(f"a file of several rules needs one named {path.stem!r} "
                                    "(the pack rule; the others are helpers)", path=path))
    parsed = load_rules(paths, docs)
    errors.extend(parsed.errors)
    quiet = _helpers_of(parsed.correlations, pack_files, paths)
    out: list[PackRule] = []
    base: dict[int, BaseRule] = {}  # id(SigmaRule) -> compiled form
    helpers: list[BaseRule] = []
    for rule in parsed.rules:
        path = _path_of(rule, paths)
        try:
            if path in pack_files:
                _pack_rule(rule, path, docs[path], out, base, helpers)
            elif id(rule) in quiet:
                helper = _helper(rule, path, plain_id(rule, path))
                helpers.append(helper)
                base[id(rule)] = helper
            else:
                packed = _plain_rule(rule, path)
                out.append(packed)
                base[id(rule)] = BaseRule(packed.sigma, packed.table)  # type: ignore[arg-type]
        except RuleError as exc:
            errors.append(exc)
    for corr in parsed.correlations:
        try:
            out.append(_correlation(corr, _path_of(corr, paths), pack_files, docs, base))
        except RuleError as exc:
            errors.append(exc)
    return out, helpers


def _helpers_of(correlations: Sequence[SigmaCorrelationRule], pack_files: set[Path],
                paths: Sequence[Path]) -> set[int]:
    """Plain rules a non-generating plain correlation refers to (they only feed it)."""
    from sigma.rule import SigmaRule

    quiet: set[int] = set()
    for corr in correlations:
        if _path_of(corr, paths) in pack_files or corr.generate:
            continue
        for ref in corr.rules or ():
            target = getattr(ref, "rule", None)
            if isinstance(target, SigmaRule) and _path_of(target, paths) not in pack_files:
                quiet.add(id(target))
    return quiet


def _pack_rule(rule: SigmaRule, path: Path, found: list[dict[str, Any]], out: list[PackRule],
               base: dict[int, BaseRule], helpers: list[BaseRule]) -> None:
    doc = _primary(path, found)
    if doc is not None and (len(found) == 1 or rule.name == path.stem):
        packed = _compiled(rule, path, parse_meta(path, doc), parse_tests(path, doc),
                           doc.get("allow"))
        out.append(packed)
        base[id(rule)] = BaseRule(packed.sigma, packed.table)  # type: ignore[arg-type]
    else:
        if not rule.name:
            raise RuleError("a helper rule needs a 'name' (correlations refer to it)",
                            path=path, rule_id=str(rule.id) if rule.id else rule.title)
        helper = _helper(rule, path, rule.name)
        helpers.append(helper)
        base[id(rule)] = helper


def _primary(path: Path, found: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """The document of a pack file that is the pack rule (the one named like the file)."""
    if len(found) == 1:
        return found[0]
    return next((d for d in found if str(d.get("name") or "") == path.stem), None)


def _path_of(rule: SigmaRule | SigmaCorrelationRule, paths: Sequence[Path]) -> Path:
    return Path(str(rule.source.path)) if rule.source and rule.source.path else paths[0]


def compile_one(rule: SigmaRule, path: Path, rule_id: str) -> tuple[CompiledRule, str]:
    """The compiled rule (under ``rule_id``) and its table; errors keep their kind."""
    compiled = compile_rules([rule], pipeline_for(rule.logsource))
    try:
        if compiled.errors:
            raise compiled.errors[0]
        table = target_table(rule.logsource)
    except RuleError as exc:
        raise type(exc)(exc.reason, path=path, rule_id=rule_id) from exc
    return replace(compiled.rules[0], rule_id=rule_id), table


def _helper(rule: SigmaRule, path: Path, name: str) -> BaseRule:
    """A rule that only feeds a correlation: compiled, never reported."""
    return BaseRule(*compile_one(rule, path, name))


def _compiled(rule: SigmaRule, path: Path, meta: RuleMeta, tests: GoldenTests,
              allow: Any, plain: bool = False) -> PackRule:
    sigma, table = compile_one(rule, path, meta.name)
    return PackRule(meta, tests, path, sigma=sigma, table=table,
                    allow=parse_allow(allow, path, meta.name), plain=plain, source=rule)


def _plain_rule(rule: SigmaRule, path: Path) -> PackRule:
    rule_id = plain_id(rule, path)
    return _compiled(rule, path, plain_meta(rule, rule_id), NO_TESTS, None, plain=True)


def _correlation(corr: SigmaCorrelationRule, path: Path, pack_files: set[Path], docs: Docs,
                 base: Mapping[int, BaseRule]) -> PackRule:
    if path not in pack_files:
        rule_id = plain_id(corr, path)
        return _correlation_rule(corr, path, plain_meta(corr, rule_id), NO_TESTS, None,
                                 base, plain=True)
    doc = _primary(path, docs[path])
    if doc is None or (len(docs[path]) > 1 and corr.name != path.stem):
        raise RuleError("a correlation must be the file's pack rule (named like the file); "
                        "chained correlations are not supported", path=path,
                        rule_id=corr.name or (str(corr.id) if corr.id else None))
    return _correlation_rule(corr, path, parse_meta(path, doc), parse_tests(path, doc),
                             doc.get("allow"), base)


def _correlation_rule(corr: SigmaCorrelationRule, path: Path, meta: RuleMeta,
                      tests: GoldenTests, allow: Any, base: Mapping[int, BaseRule],
                      plain: bool = False) -> PackRule:
    try:
        spec = compile_correlation(corr)
    except RuleError as exc:
        raise type(exc)(exc.reason, path=path, rule_id=meta.name) from exc
    from sigma.correlations import SigmaCorrelationRule

    bases: list[BaseRule] = []
    for ref in corr.rules or ():
        target = getattr(ref, "rule", None)
        found = base.get(id(target)) if target is not None else None
        if found is None:
            kind = ("a correlation (chained correlations are not supported)"
                    if isinstance(target, SigmaCorrelationRule) else
                    "not a compiled Sigma rule of the set (SQL rules cannot be correlated)")
            raise RuleError(f"correlation refers to {ref.reference!r}: {kind}", path=path,
                            rule_id=meta.name)
        bases.append(found)
    if not spec.timespan_seconds:
        raise RuleError("correlation needs a timespan", path=path, rule_id=meta.name)
    spec = replace(spec, rule_id=meta.name, title=meta.title, level=meta.level,
                   rule_refs=tuple(b.rule.rule_id for b in bases))
    return PackRule(meta, tests, path, correlation=Correlation(spec, tuple(bases)),
                    allow=parse_allow(allow, path, meta.name), plain=plain)


def cached_rules(read: ReadFile, doc: Mapping[str, Any] | None,
                 errors: list[RuleError]) -> list[PackRule]:
    """The rules of a file read through the rule cache: plain Sigma rules, or (``doc``
    given: the file's one YAML document) its pack rule, metadata and tests from ``doc``."""
    errors.extend(read.entry.errors)
    out: list[PackRule] = []
    for rule in read.entry.rules:
        try:
            out.append(_cached_plain(rule, read.path) if doc is None
                       else _from_entry(rule, read.path, parse_meta(read.path, doc),
                                        parse_tests(read.path, doc), doc.get("allow")))
        except RuleError as exc:
            errors.append(exc)
    return out


def _cached_plain(rule: SigmaEntry, path: Path) -> PackRule:
    rule_id = rule.name or rule.sigma_id or path.stem  # as plain_id
    meta = RuleMeta(name=rule_id, title=rule.title or rule_id,
                    level=rule.level or DEFAULT_LEVEL, tags=rule.tags,
                    description=rule.description, falsepositives=rule.falsepositives)
    return _from_entry(rule, path, meta, NO_TESTS, None, plain=True)


def _from_entry(rule: SigmaEntry, path: Path, meta: RuleMeta, tests: GoldenTests,
                allow: Any, plain: bool = False) -> PackRule:
    if rule.compiled is None or rule.table is None:
        error = rule.error or RuleError("not compiled")
        raise type(error)(error.reason, path=path, rule_id=meta.name, line=error.line)
    return PackRule(meta, tests, path, sigma=replace(rule.compiled, rule_id=meta.name),
                    table=rule.table, allow=parse_allow(allow, path, meta.name), plain=plain,
                    fields=rule.fields, position=rule.position)


__all__ = ["DEFAULT_LEVEL", "cached_rules", "compile_one", "is_pack_file", "plain_id",
           "plain_meta", "sigma_rules"]
