"""The parts of a rule set: metadata, golden tests, compiled forms; a pack rule's
metadata and tests parsed from its YAML document (see :mod:`.ruleset` for the format)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from watchkeeper.detect.allow import Allow
from watchkeeper.detect.rulefiles import CacheStats
from watchkeeper.detect.sigma.compiler import CompiledRule
from watchkeeper.detect.sigma.correlation import CorrelationSpec
from watchkeeper.detect.sql_rules import SqlRule
from watchkeeper.errors import RuleError

if TYPE_CHECKING:
    from sigma.rule import SigmaRule

#: The shipped insider-risk pack.
DEFAULT_RULES = Path(__file__).resolve().parent.parent / "rules" / "insider"
LEVELS = ("informational", "low", "medium", "high", "critical")
Row = dict[str, Any]

class RuleMeta(BaseModel):
    """What every rule carries: its id (``name``), title, severity and tags.

    Plain Sigma rules get it derived (:func:`watchkeeper.detect.sigma_pack.plain_meta`);
    pack rules must state it all (:class:`PackMeta`).
    """

    model_config = ConfigDict(frozen=True)

    name: str = Field(min_length=1)
    title: str = Field(min_length=1)
    level: str = Field(pattern="^(" + "|".join(LEVELS) + ")$")
    tags: tuple[str, ...] = ()
    description: str = ""
    falsepositives: tuple[str, ...] = ()
    runbook: str = ""


class PackMeta(RuleMeta):
    """The stricter metadata of a pack rule (validated, so errors name the field)."""

    name: str = Field(pattern=r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")
    title: str = Field(min_length=3)
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
    #: True for a plain Sigma rule (metadata derived, no golden tests required)
    plain: bool = False
    #: the parsed Sigma rule (to explain which selections a finding matched); None for a
    #: rule served by the rule cache (:func:`~.selections.rule_selections` explains it
    #: from the cache's selections, or parses its file)
    source: SigmaRule | None = field(default=None, compare=False, repr=False)
    #: a cached Sigma rule: the fields its detections test, and its index in its file
    fields: tuple[str, ...] | None = field(default=None, compare=False, repr=False)
    position: int | None = field(default=None, compare=False, repr=False)

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
    errors: tuple[RuleError, ...]  # rules (or files) that cannot run; none of them runs
    helpers: tuple[BaseRule, ...] = field(default_factory=tuple)
    #: files in pack format (held to the pack checks), as given
    pack_files: frozenset[str] = frozenset()
    #: how the rule cache served the files
    cache: CacheStats = field(default_factory=CacheStats)

    def is_fatal(self, path: str | None) -> bool:
        """Whether a problem in ``path`` breaks the pack (not a plain rule left out)."""
        return path is None or path in self.pack_files

    def get(self, rule_id: str) -> PackRule:
        for rule in self.rules:
            if rule.rule_id == rule_id:
                return rule
        raise RuleError(f"no rule {rule_id!r} in the pack")


def parse_meta(path: Path, doc: Mapping[str, Any]) -> RuleMeta:
    """A pack rule's metadata (:class:`PackMeta`), errors naming the field."""
    rule_id = str(doc.get("name") or "") or None
    fields = {k: doc.get(k) for k in PackMeta.model_fields if doc.get(k) is not None}
    try:
        return PackMeta.model_validate(fields)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
                             for e in exc.errors())
        raise RuleError(f"metadata: {problems}", path=path, rule_id=rule_id) from None


def parse_tests(path: Path, doc: Mapping[str, Any]) -> GoldenTests:
    """A pack rule's golden tests; errors name the file and rule."""
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


#: The golden tests of a rule that has none (plain Sigma).
NO_TESTS = GoldenTests({}, {}, ())

__all__ = ["DEFAULT_RULES", "LEVELS", "NO_TESTS", "BaseRule", "Correlation", "GoldenTests",
           "Pack", "PackMeta", "PackRule", "RuleMeta", "TestCase", "parse_meta",
           "parse_tests"]
