"""Bind :mod:`.ir` nodes to an Ibis table.

A column the table lacks folds to "no match" before any expression is built, so rules over
sparse wide tables stay small. Three-valued logic: a test on a null value is null, which an
``OR``/``AND`` tree treats like false; under ``NOT`` and at the top the value is coalesced to
false, so ``not selection`` matches events where the selected field is absent (as in Sigma).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from itertools import chain
from typing import Any, TypeAlias

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from watchkeeper.detect.sigma.ir import (
    KEYWORDS,
    AllOf,
    AnyOf,
    Const,
    Exists,
    FieldRef,
    IsNull,
    Node,
    Not,
    NumCompare,
    StrMatch,
    fold_terms,
    split_equalities,
)
from watchkeeper.detect.sigma.pipeline import Route
from watchkeeper.schema.windows import CORE_COLUMNS, find_column

LOWER_PREFIX = "__lc__"
TEXT_COLUMN = "__text__"
Expr: TypeAlias = "ir.BooleanValue | bool"


class Columns:
    """Case-insensitive column access on one table, using pre-lowered columns if present."""

    def __init__(self, table: ir.Table, lowered: Mapping[str, str] | None = None) -> None:
        self.table = table
        self.names = [n for n in table.columns if not n.startswith(("__lc__", "__text__"))]
        self.lowered_names = dict(lowered or {})
        self._cache: dict[str, str | None] = {}

    def name(self, field: str) -> str | None:
        if field not in self._cache:
            self._cache[field] = find_column(self.names, field)
        return self._cache[field]

    def raw(self, field: str) -> ir.Value | None:
        if field == KEYWORDS:
            return self.text()
        name = self.name(field)
        return self.table[name] if name is not None else None

    def lower(self, field: str) -> ir.StringValue | None:
        if field == KEYWORDS:
            return self.text()
        name = self.name(field)
        if name is None:
            return None
        if name in self.lowered_names:
            return self.table[self.lowered_names[name]]  # type: ignore[no-any-return]
        return _as_string(self.table[name]).lower()

    def text(self) -> ir.StringValue | None:
        """All event-field text of a row, lower case (keyword detections search it)."""
        if TEXT_COLUMN in self.table.columns:
            return self.table[TEXT_COLUMN]  # type: ignore[no-any-return]
        return text_expr(self.table)


def text_expr(table: ir.Table) -> ir.StringValue | None:
    names = sorted((n for n in table.columns if n not in CORE_COLUMNS
                    and not n.startswith("__") and table.schema()[n].is_string()),
                   key=str.casefold)  # the order of sqlgen.text_columns
    if not names:
        return None
    return ibis.literal("\n").join([table[n].fill_null("") for n in names]).lower()


def _as_string(value: ir.Value) -> ir.StringValue:
    result: ir.StringValue = value if value.type().is_string() else value.cast(dt.string)
    return result


def route_expr(route: Route, columns: Columns) -> ir.BooleanValue:
    """The rows of ``route`` (all rows when it names no channel or event code)."""
    result: ir.BooleanValue = ibis.literal(True)
    channel, code = columns.raw("channel"), columns.raw("event_code")
    if route.channels:
        if channel is None:
            return ibis.literal(False)
        result = result & channel.isin(list(route.channels))
    if route.event_codes and code is not None:
        result = result & code.isin(list(route.event_codes))
    return result


def node_expr(node: Node, columns: Columns) -> ir.BooleanValue:
    value = _node(node, columns)
    return ibis.literal(value) if isinstance(value, bool) else value


def _node(node: Node, columns: Columns) -> Expr:
    if isinstance(node, AllOf | AnyOf):
        return _combine(node, columns)
    if isinstance(node, Not):
        inner = _node(node.item, columns)
        if isinstance(inner, bool):
            return not inner
        negated: ir.BooleanValue = ~inner.fill_null(False)
        return negated
    if isinstance(node, Const):
        return node.value
    return _TESTS[type(node)](node, columns)


def _combine(node: AllOf | AnyOf, columns: Columns) -> Expr:
    items, groups = split_equalities(node)
    terms = chain((_node(item, columns) for item in items), _in_lists(groups, columns))
    return fold_terms(terms, isinstance(node, AllOf), balanced)


def balanced(parts: list[ir.BooleanValue], is_and: bool) -> ir.BooleanValue:
    """AND/OR of many terms as a balanced tree (a long chain overflows Ibis's recursion)."""
    if len(parts) == 1:
        return parts[0]
    middle = len(parts) // 2
    left, right = balanced(parts[:middle], is_and), balanced(parts[middle:], is_and)
    # CASE evaluates its THEN/ELSE only on the rows that reach it, so unlike AND/OR inside
    # a projection it short-circuits: most rules stop at their first test on most rows.
    # A null condition takes the ELSE branch, i.e. counts as false, as Sigma wants.
    result: ir.BooleanValue = (left.ifelse(right, False) if is_and
                               else left.ifelse(True, right))
    return result


def _in_lists(groups: dict[str, list[str]], columns: Columns) -> Iterator[ir.BooleanValue]:
    for field, values in groups.items():
        column = columns.lower(field)
        if column is not None:
            yield column.isin(values) if len(values) > 1 else column == values[0]


def _str_match(node: StrMatch, columns: Columns) -> Expr:
    column = columns.raw(node.field) if node.cased else columns.lower(node.field)
    if column is None:
        return False
    column = _as_string(column)
    if node.kind == "eq":
        return column == node.value  # type: ignore[no-any-return]
    if node.kind == "contains":
        return column.contains(node.value)  # type: ignore[no-any-return]
    if node.kind == "startswith":
        return column.startswith(node.value)  # type: ignore[no-any-return]
    if node.kind == "endswith":
        return column.endswith(node.value)  # type: ignore[no-any-return]
    if node.kind == "like":
        return column.like(node.value)  # type: ignore[no-any-return]
    return column.re_search(node.value)  # type: ignore[no-any-return]


def _num_compare(node: NumCompare, columns: Columns) -> Expr:
    column = columns.raw(node.field)
    if column is None:
        return False
    if node.op == "eq" and not column.type().is_numeric():
        lowered = columns.lower(node.field)
        return lowered == str(node.number).lower()  # type: ignore[no-any-return, union-attr]
    number = column if column.type().is_numeric() else column.try_cast(dt.float64)
    ops: dict[str, Callable[[Any, Any], ir.BooleanValue]] = {
        "eq": lambda a, b: a == b, "ne": lambda a, b: a != b,
        "lt": lambda a, b: a < b, "lte": lambda a, b: a <= b,
        "gt": lambda a, b: a > b, "gte": lambda a, b: a >= b,
    }
    result: ir.BooleanValue = ops[node.op](number, node.number)
    return result


def _is_null(node: IsNull, columns: Columns) -> Expr:
    column = columns.raw(node.field)
    if column is None:
        return True
    return column.isnull() | (_as_string(column) == "")  # type: ignore[no-any-return]


def _exists(node: Exists, columns: Columns) -> Expr:
    column = columns.raw(node.field)
    if column is None:
        return not node.present
    return column.notnull() if node.present else column.isnull()  # type: ignore[no-any-return]


def _field_ref(node: FieldRef, columns: Columns) -> Expr:
    left, right = columns.lower(node.field), columns.lower(node.other)
    if left is None or right is None:
        return False
    if node.kind == "startswith":
        return left.startswith(right)  # type: ignore[no-any-return]
    if node.kind == "endswith":
        return left.endswith(right)  # type: ignore[no-any-return]
    return left == right  # type: ignore[no-any-return]


_TESTS: dict[type, Callable[[Any, Columns], Expr]] = {
    StrMatch: _str_match,
    NumCompare: _num_compare,
    IsNull: _is_null,
    Exists: _exists,
    FieldRef: _field_ref,
}
