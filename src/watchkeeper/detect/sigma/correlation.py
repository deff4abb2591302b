"""Sigma correlation rules (event_count, value_count, temporal, …) as plain specifications.

A :class:`CorrelationSpec` names the rules it correlates, the grouping fields, the time
window and the threshold; :func:`~watchkeeper.detect.sigma.correlate.run_correlations`
evaluates it over the match table of :func:`run_rules` (sliding windows per group).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from watchkeeper.errors import UnsupportedRuleError

if TYPE_CHECKING:  # pySigma loads when a correlation is compiled
    from sigma.correlations import SigmaCorrelationRule


@dataclass(frozen=True)
class Threshold:
    """``count``/``field`` compared with ``op`` (gt, gte, lt, lte, eq, neq)."""

    op: str
    count: float
    field: tuple[str, ...]


@dataclass(frozen=True)
class CorrelationSpec:
    rule_id: str
    title: str
    level: str | None
    kind: str
    rule_refs: tuple[str, ...]
    group_by: tuple[str, ...]
    timespan_seconds: int
    threshold: Threshold | None
    generate: bool


def compile_correlation(rule: SigmaCorrelationRule) -> CorrelationSpec:
    """The specification of a parsed correlation rule."""
    from sigma.correlations import SigmaCorrelationCondition

    if rule.aliases is not None and len(rule.aliases):
        raise UnsupportedRuleError("correlation field 'aliases' are not supported",
                                   rule_id=str(rule.id) if rule.id else rule.name)
    condition = rule.condition
    threshold = None
    if isinstance(condition, SigmaCorrelationCondition):
        fields = condition.fieldref
        names = (fields,) if isinstance(fields, str) else tuple(fields or ())
        threshold = Threshold(condition.op.name.lower(), float(condition.count), names)
    elif condition is not None and rule.type.name.lower() not in ("temporal",
                                                                    "temporal_ordered"):
        raise UnsupportedRuleError("extended correlation conditions are not supported",
                                   rule_id=str(rule.id) if rule.id else None)
    return CorrelationSpec(
        rule_id=str(rule.id) if rule.id else (rule.name or rule.title),
        title=rule.title,
        level=str(rule.level) if rule.level else None,
        kind=rule.type.name.lower(),
        rule_refs=tuple(ref.reference for ref in rule.rules or ()),
        group_by=tuple(rule.group_by or ()),
        timespan_seconds=int(rule.timespan.seconds),
        threshold=threshold,
        generate=bool(rule.generate),
    )
