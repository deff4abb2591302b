"""Bind :mod:`.ir` nodes to dialect-neutral SQL syntax trees (sqlglot) for one table schema.

This is the fast path of the fused runner: no Ibis expression graph is built, values become
sqlglot literals (escaped by the generator, never formatted into strings), and the result
can be generated for DuckDB or Spark. Semantics follow :mod:`.build` exactly: a missing
column folds to "no match", a null test under ``NOT`` counts as false first, ``AND``/``OR``
are ``CASE WHEN`` trees (DuckDB evaluates those lazily inside a projection).

Case-insensitive tests read ``__lc__<column>``: the runner adds each such column once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain
from typing import Any, TypeAlias

from sqlglot import exp

from watchkeeper.detect.sigma.build import LOWER_PREFIX, TEXT_COLUMN
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
    Test,
    fold_terms,
    split_equalities,
)
from watchkeeper.detect.sigma.pipeline import Route
from watchkeeper.schema.windows import CORE_COLUMNS, find_column

Sql: TypeAlias = "exp.Expr | bool"


@dataclass(frozen=True)
class Schema:
    """Column names of a table and which of them are numeric / string (hashable: a cache key)."""

    names: tuple[str, ...]
    numeric: frozenset[str]
    strings: frozenset[str]

    def name(self, field: str) -> str | None:
        return _find(self.names, field)


@lru_cache(maxsize=65536)
def _find(names: tuple[str, ...], field: str) -> str | None:
    return find_column(names, field)


def col(name: str) -> exp.Column:
    return exp.column(name, quoted=True)


def lower_alias(name: str) -> str:
    return f"{LOWER_PREFIX}{name}"


def lower_expr(name: str, schema: Schema) -> exp.Expr:
    """``lower(column)`` (cast to text first when the column is not a string)."""
    return exp.Lower(this=_text(name, schema))


@lru_cache(maxsize=1024)
def text_columns(schema: Schema) -> tuple[str, ...]:
    """The columns whose text keyword detections search (string event fields), in
    case-folded name order: the joined text must not depend on the table's column order."""
    return tuple(sorted((n for n in schema.names if n in schema.strings
                         and n not in CORE_COLUMNS and not n.startswith("__")),
                        key=str.casefold))


def text_expr(schema: Schema) -> exp.Expr | None:
    """All event-field text of a row, lower case, joined by newlines (keyword search)."""
    names = text_columns(schema)
    if not names:
        return None
    parts = [exp.Coalesce(this=col(n), expressions=[exp.Literal.string("")]) for n in names]
    return exp.Lower(this=exp.ConcatWs(expressions=[exp.Literal.string("\n"), *parts]))


def route_sql(route: Route, schema: Schema) -> exp.Expr:
    """The rows of ``route`` (all rows when it names no channel or event code)."""
    tests: list[exp.Expr] = []
    channel, code = schema.name("channel"), schema.name("event_code")
    if route.channels:
        if channel is None:
            return exp.false()
        tests.append(col(channel).isin(*[exp.Literal.string(c) for c in route.channels]))
    if route.event_codes and code is not None:
        tests.append(col(code).isin(*[exp.Literal.number(c) for c in route.event_codes]))
    return exp.and_(*tests) if tests else exp.true()


@lru_cache(maxsize=65536)
def condition_sql(node: Node, schema: Schema) -> exp.Expr:
    """The node as a never-null boolean SQL expression on a table of ``schema``."""
    value = _node(node, schema)
    if isinstance(value, bool):
        return exp.true() if value else exp.false()
    return exp.Coalesce(this=value, expressions=[exp.false()])


@lru_cache(maxsize=65536)
def condition_text(node: Node, schema: Schema, dialect: str) -> str:
    """:func:`condition_sql` generated for ``dialect`` (cached: generating is the cost)."""
    return condition_sql(node, schema).sql(dialect)


def leaf_sql(test: Test, schema: Schema) -> Sql:
    """One field test as SQL (may be null: callers coalesce), or a constant when the
    column is missing."""
    return _TESTS[type(test)](test, schema)


@lru_cache(maxsize=65536)
def has_text(schema: Schema) -> bool:
    """Whether the table has event-field text for keyword detections."""
    return bool(text_columns(schema))


@lru_cache(maxsize=65536)
def read_columns(tree: exp.Expr) -> frozenset[str]:
    """Names of the columns a generated condition reads (lowered aliases included)."""
    return frozenset(c.name for c in tree.find_all(exp.Column))


def _node(node: Node, schema: Schema) -> Sql:
    if isinstance(node, AllOf | AnyOf):
        return _combine(node, schema)
    if isinstance(node, Not):
        inner = _node(node.item, schema)
        if isinstance(inner, bool):
            return not inner
        return exp.Not(this=exp.Coalesce(this=inner, expressions=[exp.false()]))
    if isinstance(node, Const):
        return node.value
    return _TESTS[type(node)](node, schema)


def _combine(node: AllOf | AnyOf, schema: Schema) -> Sql:
    items, groups = split_equalities(node)
    terms = chain((_node(item, schema) for item in items), _in_lists(groups, schema))
    return fold_terms(terms, isinstance(node, AllOf), balanced)


def balanced(parts: Sequence[exp.Expr], is_and: bool) -> exp.Expr:
    """AND/OR as a balanced ``CASE WHEN`` tree (lazy in DuckDB; null counts as false)."""
    if len(parts) == 1:
        return parts[0]
    middle = len(parts) // 2
    left, right = balanced(parts[:middle], is_and), balanced(parts[middle:], is_and)
    then, otherwise = (right, exp.false()) if is_and else (exp.true(), right)
    return exp.Case(ifs=[exp.If(this=left, true=then)], default=otherwise)


def _in_lists(groups: dict[str, list[str]], schema: Schema) -> Iterator[exp.Expr]:
    for field, values in groups.items():
        column = _lower(field, schema)
        if column is not None:
            literals = [exp.Literal.string(v) for v in values]
            yield (column.isin(*literals) if len(literals) > 1
                   else exp.EQ(this=column, expression=literals[0]))


def _text(name: str, schema: Schema) -> exp.Expr:
    if name in schema.strings:
        return col(name)
    return exp.Cast(this=col(name), to=exp.DataType.build("text"))


def _raw(field: str, schema: Schema) -> exp.Expr | None:
    if field == KEYWORDS:
        return col(TEXT_COLUMN) if text_expr(schema) is not None else None
    name = schema.name(field)
    return col(name) if name is not None else None


def _lower(field: str, schema: Schema) -> exp.Expr | None:
    if field == KEYWORDS:
        return _raw(field, schema)
    name = schema.name(field)
    return col(lower_alias(name)) if name is not None else None


def _str_match(node: StrMatch, schema: Schema) -> Sql:
    if node.cased or node.kind == "regex":
        name = schema.name(node.field)
        column = (_text(name, schema) if name is not None and node.field != KEYWORDS
                  else _raw(node.field, schema))
    else:
        column = _lower(node.field, schema)
    if column is None:
        return False
    value = exp.Literal.string(node.value)
    builders: dict[str, Callable[[], exp.Expr]] = {
        "eq": lambda: exp.EQ(this=column, expression=value),
        "contains": lambda: exp.Contains(this=column, expression=value),
        "startswith": lambda: exp.StartsWith(this=column, expression=value),
        "endswith": lambda: exp.EndsWith(this=column, expression=value),
        "like": lambda: exp.Like(this=column, expression=value),
        "regex": lambda: exp.RegexpLike(this=column, expression=value),
    }
    return builders[node.kind]()


_OPS: Mapping[str, type[exp.Binary]] = {
    "eq": exp.EQ, "ne": exp.NEQ, "lt": exp.LT, "lte": exp.LTE, "gt": exp.GT, "gte": exp.GTE,
}


def _num_compare(node: NumCompare, schema: Schema) -> Sql:
    name = schema.name(node.field)
    if name is None:
        return False
    if node.op == "eq" and name not in schema.numeric:
        return exp.EQ(this=col(lower_alias(name)),
                      expression=exp.Literal.string(str(node.number).lower()))
    number: exp.Expr = (col(name) if name in schema.numeric else
                              exp.TryCast(this=col(name), to=exp.DataType.build("double")))
    return _OPS[node.op](this=number, expression=exp.Literal.number(node.number))


def _is_null(node: IsNull, schema: Schema) -> Sql:
    name = schema.name(node.field)
    if name is None:
        return True
    empty = exp.EQ(this=_text(name, schema), expression=exp.Literal.string(""))
    return exp.or_(exp.Is(this=col(name), expression=exp.Null()), empty)


def _exists(node: Exists, schema: Schema) -> Sql:
    name = schema.name(node.field)
    if name is None:
        return not node.present
    is_null = exp.Is(this=col(name), expression=exp.Null())
    return exp.Not(this=is_null) if node.present else is_null


def _field_ref(node: FieldRef, schema: Schema) -> Sql:
    left, right = _lower(node.field, schema), _lower(node.other, schema)
    if left is None or right is None:
        return False
    if node.kind == "startswith":
        return exp.StartsWith(this=left, expression=right)
    if node.kind == "endswith":
        return exp.EndsWith(this=left, expression=right)
    return exp.EQ(this=left, expression=right)


_TESTS: dict[type, Callable[[Any, Schema], Sql]] = {
    StrMatch: _str_match,
    NumCompare: _num_compare,
    IsNull: _is_null,
    Exists: _exists,
    FieldRef: _field_ref,
}
