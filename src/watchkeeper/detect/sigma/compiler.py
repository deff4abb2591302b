"""Compile a parsed Sigma rule into a :class:`CompiledRule` bound to no table yet.

pySigma parses the rule, applies the value modifiers and builds the condition tree; this
module walks that tree once per :class:`~.pipeline.Route` and produces :mod:`.ir` nodes with
the route's column names. :meth:`CompiledRule.predicate` binds them to an Ibis table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir

from watchkeeper.detect.sigma.build import Columns, balanced, node_expr, route_expr
from watchkeeper.detect.sigma.ir import KEYWORDS, Node, all_of, any_of, negate
from watchkeeper.detect.sigma.pipeline import WINDOWS, Pipeline, Route
from watchkeeper.errors import RuleError, UnsupportedRuleError

if TYPE_CHECKING:  # pySigma loads when a rule is compiled (`_load_pysigma`)
    from sigma.conditions import (
        ConditionAND,
        ConditionFieldEqualsValueExpression,
        ConditionNOT,
        ConditionOR,
        ConditionValueExpression,
    )
    from sigma.exceptions import SigmaError
    from sigma.rule import SigmaRule

    from watchkeeper.detect.sigma.values import value_test


@dataclass(frozen=True)
class Branch:
    """The rule's detection on one route's rows."""

    route: Route
    condition: Node


@dataclass(frozen=True)
class CompiledRule:
    """A Sigma rule ready to run: metadata plus one detection per route."""

    rule_id: str
    title: str
    level: str | None
    status: str | None
    tags: tuple[str, ...]
    logsource: tuple[str | None, str | None, str | None]  # product, category, service
    path: str | None
    branches: tuple[Branch, ...]

    def predicate(self, table: ir.Table) -> ir.BooleanValue:
        """True on the rows of ``table`` the rule matches (never null)."""
        columns = Columns(table)
        parts = [route_expr(b.route, columns) & node_expr(b.condition, columns)
                 for b in self.branches]
        result = balanced(parts, is_and=False) if parts else ibis.literal(False)
        return result.fill_null(False)  # type: ignore[no-any-return]


def compile_rule(rule: SigmaRule, pipeline: Pipeline = WINDOWS) -> CompiledRule:
    """Compile one rule; raises UnsupportedRuleError or RuleError naming the rule."""
    _load_pysigma()
    path = str(rule.source.path) if rule.source and rule.source.path else None
    rule_id = str(rule.id) if rule.id else None
    try:
        branches = tuple(Branch(route, _detection(rule, route, pipeline))
                         for route in pipeline.routes(rule.logsource))
    except UnsupportedRuleError as exc:
        raise UnsupportedRuleError(exc.reason, path=path, rule_id=rule_id) from exc
    except SigmaError as exc:
        raise RuleError(str(exc), path=path, rule_id=rule_id) from exc
    return CompiledRule(
        rule_id=rule_id or rule.title,
        title=rule.title,
        level=str(rule.level) if rule.level else None,
        status=str(rule.status) if rule.status else None,
        tags=tuple(str(tag) for tag in rule.tags),
        logsource=(rule.logsource.product, rule.logsource.category, rule.logsource.service),
        path=path,
        branches=branches,
    )


def _detection(rule: SigmaRule, route: Route, pipeline: Pipeline) -> Node:
    if rule.errors:
        raise rule.errors[0]
    trees = [condition.parsed for condition in rule.detection.parsed_condition]
    translator = _Translator(route, pipeline.placeholders)
    return any_of(translator.node(tree) for tree in trees)


class _Translator:
    """Walks one pySigma condition tree with one route's field names."""

    def __init__(self, route: Route, placeholders: Mapping[str, Sequence[str]]) -> None:
        self.route = route
        self.placeholders = placeholders

    def node(self, tree: object) -> Node:
        if isinstance(tree, ConditionAND):
            return all_of(self.node(arg) for arg in tree.args)
        if isinstance(tree, ConditionOR):
            return any_of(self.node(arg) for arg in tree.args)
        if isinstance(tree, ConditionNOT):
            return negate(self.node(tree.args[0]))
        if isinstance(tree, ConditionFieldEqualsValueExpression):
            return value_test(self.route.column(tree.field), tree.value, self.placeholders,
                              self.route.column)
        if isinstance(tree, ConditionValueExpression):
            return value_test(KEYWORDS, tree.value, self.placeholders)
        raise UnsupportedRuleError(f"condition element {type(tree).__name__} is not supported")


def _load_pysigma() -> None:
    """Bind pySigma's condition classes and the value translation (which needs pySigma)
    as this module's names, on the first compile: rules served by the rule cache run
    without loading pySigma."""
    global ConditionAND, ConditionFieldEqualsValueExpression, ConditionNOT, ConditionOR
    global ConditionValueExpression, SigmaError, value_test
    if "value_test" in globals():
        return
    from sigma.conditions import (
        ConditionAND,
        ConditionFieldEqualsValueExpression,
        ConditionNOT,
        ConditionOR,
        ConditionValueExpression,
    )
    from sigma.exceptions import SigmaError

    from watchkeeper.detect.sigma.values import value_test
