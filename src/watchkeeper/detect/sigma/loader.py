"""Load Sigma rules (files, folders, collections, correlation rules), collecting errors.

Every problem is reported at once as a :class:`~watchkeeper.errors.RuleError` naming the
rule file and rule id, instead of stopping at the first bad rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml
from sigma.collection import SigmaCollection
from sigma.correlations import SigmaCorrelationRule
from sigma.exceptions import SigmaError, SigmaRuleLocation
from sigma.rule import SigmaRule

from watchkeeper.detect.sigma.compiler import CompiledRule, compile_rule
from watchkeeper.detect.sigma.pipeline import WINDOWS, Pipeline
from watchkeeper.errors import RuleError, UnsupportedRuleError, yaml_location


@dataclass(frozen=True)
class RuleSet:
    """Parsed rules, correlation rules and the errors met while parsing."""

    rules: tuple[SigmaRule, ...]
    correlations: tuple[SigmaCorrelationRule, ...]
    errors: tuple[RuleError, ...]


@dataclass(frozen=True)
class Compilation:
    """Rules that compiled, and why the others did not."""

    rules: tuple[CompiledRule, ...]
    errors: tuple[RuleError, ...]

    @property
    def unsupported(self) -> tuple[UnsupportedRuleError, ...]:
        return tuple(e for e in self.errors if isinstance(e, UnsupportedRuleError))


def rule_files(paths: Iterable[Path | str]) -> list[Path]:
    """The ``.yml``/``.yaml`` files under the given files and folders, sorted."""
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found.extend(p for p in path.rglob("*") if p.suffix in (".yml", ".yaml"))
        else:
            found.append(path)
    return sorted(found)


def load_rules(paths: Iterable[Path | str]) -> RuleSet:
    """Parse every rule under ``paths``; a broken file or rule becomes an error, not a stop.

    Correlation rules may refer to rules of other files: references are resolved once all
    files are read.
    """
    items: list[SigmaRule | SigmaCorrelationRule] = []
    errors: list[RuleError] = []
    for path in rule_files(paths):
        collection = _parse_file(path, errors)
        for item in collection.rules if collection else ():
            if item.errors:
                rule_id = str(item.id) if item.id else None
                errors.append(RuleError(str(item.errors[0]), path=path, rule_id=rule_id))
            else:
                items.append(item)
    every = SigmaCollection(init_rules=list(items), resolve_references=False)
    rules = [r for r in items if isinstance(r, SigmaRule)]
    correlations = [r for r in items if isinstance(r, SigmaCorrelationRule)
                    and _resolved(r, every, errors)]
    return RuleSet(tuple(rules), tuple(correlations), tuple(errors))


def _parse_file(path: Path, errors: list[RuleError]) -> SigmaCollection | None:
    try:
        collection = SigmaCollection.from_yaml(
            path.read_text(encoding="utf-8"), collect_errors=True,
            source=SigmaRuleLocation(path), resolve_references=False)
    except yaml.YAMLError as exc:
        where, problem = yaml_location(path, exc)
        errors.append(RuleError(problem, path=where))
        return None
    except (SigmaError, OSError, ValueError) as exc:
        errors.append(RuleError(f"cannot parse: {' '.join(str(exc).split())}", path=path))
        return None
    # file-level errors repeat the rule-level ones; keep those not attached to a rule
    per_rule = {str(e) for item in collection.rules for e in item.errors}
    errors.extend(RuleError(str(e), path=path) for e in collection.errors
                  if str(e) not in per_rule)
    return collection


def _resolved(rule: SigmaCorrelationRule, collection: SigmaCollection,
              errors: list[RuleError]) -> bool:
    try:
        rule.resolve_rule_references(collection)
    except SigmaError as exc:
        path = rule.source.path if rule.source else None
        errors.append(RuleError(str(exc), path=path,
                                rule_id=str(rule.id) if rule.id else rule.name or None))
        return False
    return True


def compile_rules(rules: Iterable[SigmaRule], pipeline: Pipeline = WINDOWS) -> Compilation:
    """Compile each rule; the ones that cannot be compiled are listed with their reason."""
    compiled: list[CompiledRule] = []
    errors: list[RuleError] = []
    for rule in rules:
        try:
            compiled.append(compile_rule(rule, pipeline))
        except RuleError as exc:
            errors.append(exc)
    return Compilation(tuple(compiled), tuple(errors))
