"""Rules that cannot run, by reason, with the file and line at fault.

A rule set is loaded whole: every rule that cannot run is collected as a
:class:`~watchkeeper.errors.RuleError` (see :mod:`.ruleset`). This module sorts them into
a few reasons a person can act on, finds the line of the YAML at fault, and counts them::

    YAML error             the file is not YAML, or not a mapping
    invalid Sigma          pySigma rejects the rule (missing detection, bad condition, …)
    no log-source mapping  no lake table holds the rule's log source
    unsupported feature    a modifier or construct the compiler cannot express
    pack check             a pack rule's metadata, tests or file name are wrong
    duplicate id           another rule of the set has the same id (the first one runs)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from watchkeeper.errors import RuleError, UnsupportedRuleError, yaml_location

YAML_ERROR = "YAML error"
INVALID = "invalid Sigma"
NO_MAPPING = "no log-source mapping"
UNSUPPORTED = "unsupported feature"
PACK_CHECK = "pack check"
DUPLICATE = "duplicate id"
REASONS = (YAML_ERROR, INVALID, NO_MAPPING, UNSUPPORTED, PACK_CHECK, DUPLICATE)


@dataclass(frozen=True)
class Rejection:
    """One rule (or file) that cannot run: why, and where."""

    reason: str  # one of REASONS
    detail: str
    path: str | None = None
    line: int | None = None
    rule_id: str | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.path and self.line else self.path
        parts = [p for p in (where, f"rule {self.rule_id}" if self.rule_id else None) if p]
        return ": ".join([*parts, self.detail])

    def to_dict(self) -> dict[str, str | int | None]:
        return {"reason": self.reason, "path": self.path, "line": self.line,
                "rule_id": self.rule_id, "detail": self.detail}


def reason_of(error: RuleError) -> str:
    """The reason a rule error stands for."""
    text = error.reason
    if text.startswith("cannot parse") or "must hold YAML mappings" in text:
        return YAML_ERROR
    if isinstance(error, UnsupportedRuleError):
        return NO_MAPPING if "log source" in text else UNSUPPORTED
    if text.startswith("duplicate rule id"):
        return DUPLICATE
    if text.startswith(("metadata:", "tests:", "missing 'tests'", "file name",
                        "needs at least one", "allow", "a helper", "a file of several",
                        "a SQL rule", "helper rule")):
        return PACK_CHECK
    return INVALID


def rejection(error: RuleError) -> Rejection:
    """``error`` as a rejection, with its line found in the rule file when not known."""
    reason = reason_of(error)
    line = error.line
    detail = " ".join(error.reason.split())  # engines' messages may span lines
    if line is None and error.path is not None:
        line = _line_of(error.path, error.rule_id, _key_for(reason, error.reason))
    return Rejection(reason, detail, error.path, line, error.rule_id)


def rejections(errors: Iterable[RuleError]) -> tuple[Rejection, ...]:
    return tuple(rejection(e) for e in errors)


def summary(found: Sequence[Rejection]) -> dict[str, int]:
    """Count per reason, in the order of :data:`REASONS`."""
    counts = Counter(r.reason for r in found)
    return {reason: counts[reason] for reason in REASONS if counts[reason]}


def _key_for(reason: str, detail: str) -> str | None:
    """The top-level key of the rule document the problem is about."""
    if reason == NO_MAPPING:
        return "logsource"
    if reason == UNSUPPORTED:
        return "detection"
    if reason == PACK_CHECK and detail.startswith("metadata: "):
        return detail.removeprefix("metadata: ").split(":")[0].split(".")[0]
    if reason == PACK_CHECK and "tests" in detail:
        return "tests"
    return None


def _line_of(path: str, rule_id: str | None, key: str | None) -> int | None:
    """1-based line of ``key`` in the document of ``rule_id`` (else of the document)."""
    documents = _documents(path)
    if not documents:
        return None
    chosen = next((d for d in documents if rule_id and rule_id in d[1]), documents[0])
    start, _, keys = chosen
    return keys.get(key, start) if key else start


def _documents(path: str) -> tuple[tuple[int, frozenset[str], dict[str, int]], ...]:
    """Per YAML document: its first line, the ids/names it declares, its keys' lines."""
    try:
        nodes = list(yaml.compose_all(Path(path).read_text(encoding="utf-8"),
                                      Loader=yaml.SafeLoader))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return ()
    found = []
    for node in nodes:
        if not isinstance(node, yaml.MappingNode):
            continue
        keys = {str(k.value): k.start_mark.line + 1 for k, _ in node.value
                if isinstance(k, yaml.ScalarNode)}
        ids = frozenset(str(v.value) for k, v in node.value
                        if isinstance(k, yaml.ScalarNode) and k.value in ("id", "name")
                        and isinstance(v, yaml.ScalarNode))
        found.append((node.start_mark.line + 1, ids, keys))
    return tuple(found)


def yaml_error(path: Path, exc: Exception) -> RuleError:
    """A YAML parse error as one line naming the file, line and column."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    where, problem = yaml_location(path, exc)
    line = mark.line + 1 if mark is not None else None
    return RuleError(f"cannot parse: {problem} (at {where})", path=path, line=line)


__all__ = ["DUPLICATE", "INVALID", "NO_MAPPING", "PACK_CHECK", "REASONS", "UNSUPPORTED",
           "YAML_ERROR", "Rejection", "reason_of", "rejection", "rejections", "summary",
           "yaml_error"]
