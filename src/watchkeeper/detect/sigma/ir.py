"""A small, engine-free form of a compiled detection: boolean nodes over field tests.

The compiler turns pySigma's condition tree into these nodes; :mod:`.build` turns them into
Ibis expressions for one table. Keeping this step separate lets one compiled rule run on
tables with different column sets (a missing column folds to "no match" when binding) and
lets the fused runner inspect which fields a rule set reads.

Field names in nodes are column names not yet matched to a table (matching is
case-insensitive). :data:`KEYWORDS` stands for "any text of the event".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Literal, TypeVar

T = TypeVar("T")

KEYWORDS = "*"

StrKind = Literal["eq", "contains", "startswith", "endswith", "like", "regex"]
CompareOp = Literal["eq", "ne", "lt", "lte", "gt", "gte"]
RefKind = Literal["eq", "startswith", "endswith"]


@dataclass(frozen=True)
class StrMatch:
    """A string test; case-insensitive unless ``cased`` (values are then already lower case)."""

    field: str
    kind: StrKind
    value: str
    cased: bool = False


@dataclass(frozen=True)
class NumCompare:
    """A numeric comparison; non-numeric values never match."""

    field: str
    op: CompareOp
    number: int | float


@dataclass(frozen=True)
class IsNull:
    """The field is absent, null or empty (Sigma ``field: null``)."""

    field: str


@dataclass(frozen=True)
class Exists:
    """Sigma ``|exists``: the field is present (``present``) or absent."""

    field: str
    present: bool


@dataclass(frozen=True)
class FieldRef:
    """Sigma ``|fieldref``: the field equals (starts/ends with) another field, ignoring case."""

    field: str
    other: str
    kind: RefKind = "eq"


@dataclass(frozen=True)
class AllOf:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class AnyOf:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    item: Node


@dataclass(frozen=True)
class Const:
    value: bool


Test = StrMatch | NumCompare | IsNull | Exists | FieldRef
Node = Test | AllOf | AnyOf | Not | Const
TRUE = Const(True)
FALSE = Const(False)


def all_of(items: Iterable[Node]) -> Node:
    """Conjunction with nested conjunctions flattened and constants folded."""
    flat: list[Node] = []
    for item in items:
        if item == FALSE:
            return FALSE
        if isinstance(item, AllOf):
            flat.extend(item.items)
        elif item != TRUE:
            flat.append(item)
    return _single(flat, TRUE, AllOf)


def any_of(items: Iterable[Node]) -> Node:
    """Disjunction with nested disjunctions flattened and constants folded."""
    flat: list[Node] = []
    for item in items:
        if item == TRUE:
            return TRUE
        if isinstance(item, AnyOf):
            flat.extend(item.items)
        elif item != FALSE:
            flat.append(item)
    return _single(flat, FALSE, AnyOf)


def negate(item: Node) -> Node:
    if isinstance(item, Const):
        return Const(not item.value)
    if isinstance(item, Not):
        return item.item
    return Not(item)


def _single(items: list[Node], empty: Const, kind: type[AllOf] | type[AnyOf]) -> Node:
    if not items:
        return empty
    return items[0] if len(items) == 1 else kind(tuple(items))


def walk(node: Node) -> Iterator[Node]:
    """Every node of a tree, parents first."""
    yield node
    if isinstance(node, AllOf | AnyOf):
        for item in node.items:
            yield from walk(item)
    elif isinstance(node, Not):
        yield from walk(node.item)


def lowered_fields(node: Node) -> set[str]:
    """Fields the node compares case-insensitively (worth lower-casing once per row)."""
    found: set[str] = set()
    for item in walk(node):
        if isinstance(item, StrMatch) and not item.cased and item.kind != "regex":
            found.add(item.field)
        elif isinstance(item, FieldRef):
            found.update((item.field, item.other))
    return found


def uses_keywords(node: Node) -> bool:
    return any(getattr(item, "field", None) == KEYWORDS for item in walk(node))


def split_equalities(node: AllOf | AnyOf) -> tuple[list[Node], dict[str, list[str]]]:
    """A node's items; in an OR, case-insensitive equalities are pulled out and grouped by
    field, so a backend can test each group as one ``IN`` list."""
    if isinstance(node, AllOf):
        return list(node.items), {}
    groups: dict[str, list[str]] = {}
    rest: list[Node] = []
    for item in node.items:
        if isinstance(item, StrMatch) and item.kind == "eq" and not item.cased:
            groups.setdefault(item.field, []).append(item.value)
        else:
            rest.append(item)
    return rest, groups


def fold_terms(terms: Iterable[T | bool], is_and: bool,
               combine: Callable[[list[T], bool], T]) -> T | bool:
    """AND/OR of backend terms: constants fold (stopping at the first decisive one, so the
    rest are never built), the others are combined by the backend."""
    parts: list[T] = []
    for value in terms:
        if isinstance(value, bool):
            if value != is_and:
                return value
            continue
        parts.append(value)
    return combine(parts, is_and) if parts else is_and

