"""Binding: a rule condition's :mod:`.ir` tree as probes on the columns they read.

:func:`bind` (cached per condition and table schema) turns the tree into :class:`Probe`
leaves keyed by the column(s) they read, folds missing columns to constants exactly like
:mod:`.sqlgen`, and regroups the items of every AND/OR by column, so a sub-tree reading
one column (``Image|endswith: [...]``, ``CommandLine|contains|all``) becomes one vector
over that column's distinct values (:mod:`.dictionary` evaluates them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeAlias

from watchkeeper.detect.sigma.build import LOWER_PREFIX, TEXT_COLUMN
from watchkeeper.detect.sigma.ir import KEYWORDS, AllOf, AnyOf, Const, Node, Not, StrMatch, Test
from watchkeeper.detect.sigma.literals import Prefilter, prefilter
from watchkeeper.detect.sigma.sqlgen import (
    Schema,
    has_text,
    leaf_sql,
    read_columns,
    text_columns,
)

DIALECT = "duckdb"
ARROW_KINDS = frozenset({"eq", "contains", "startswith", "endswith"})
Key: TypeAlias = tuple[str, ...]


@dataclass(frozen=True, eq=False)
class Probe:
    """One field test on the distinct values of ``key`` (one column, the keyword text, or a
    column pair): an Arrow string test (``kind`` in :data:`ARROW_KINDS`, ``value`` the
    literal) on the lower-cased (``lowered``) or raw values, or ``kind == "sql"`` with
    ``value`` a DuckDB condition over the key's raw and lower-cased columns. A ``LIKE`` or
    regex test on a string column carries the literals it requires (``prefilter``)."""

    key: Key
    kind: str
    value: str
    lowered: bool = False
    prefilter: Prefilter | None = None


_PROBES: dict[tuple[Key, str, str, bool], Probe] = {}


def probe(key: Key, kind: str, value: str, lowered: bool = False,
          prefilter: Prefilter | None = None) -> Probe:
    """The one :class:`Probe` object for this test (probes hash by identity: cheap lookups;
    equal tests share one result). ``prefilter`` follows from the test (its SQL ``value``)."""
    if len(_PROBES) > 1 << 20:  # a bound on the memory; fresh objects stay correct
        _PROBES.clear()
    spec = (key, kind, value, lowered)
    found = _PROBES.get(spec)
    if found is None:
        found = _PROBES[spec] = Probe(key, kind, value, lowered, prefilter)
    return found


@dataclass(frozen=True, eq=False)
class Combo:
    """AND (``is_and``) or OR of bound items; ``keys``: every key the items read."""

    items: tuple[Bound, ...]
    is_and: bool
    keys: frozenset[Key]


@dataclass(frozen=True, eq=False)
class Negation:
    item: Bound
    keys: frozenset[Key]


Bound: TypeAlias = "Probe | Combo | Negation | bool"


def keys_of(node: Probe | Combo | Negation) -> frozenset[Key]:
    return frozenset((node.key,)) if isinstance(node, Probe) else node.keys


@lru_cache(maxsize=65536)
def bind(node: Node, schema: Schema) -> Bound:
    """The condition bound to a table of ``schema`` (``True``/``False`` when constant)."""
    return _bind(node, schema)


def _bind(node: Node, schema: Schema) -> Bound:
    if isinstance(node, AllOf | AnyOf):
        is_and = isinstance(node, AllOf)
        items: list[Probe | Combo | Negation] = []
        for item in node.items:
            bound = _bind(item, schema)
            if isinstance(bound, bool):
                if bound != is_and:
                    return bound
                continue
            items.append(bound)
        return _combine(items, is_and)
    if isinstance(node, Not):
        inner = _bind(node.item, schema)
        return (not inner) if isinstance(inner, bool) else Negation(inner, keys_of(inner))
    if isinstance(node, Const):
        return node.value
    return _probe(node, schema)


def _combine(items: list[Probe | Combo | Negation], is_and: bool) -> Bound:
    """Flatten same-kind children and group the single-key ones by key (AND and OR are
    commutative once null counts as false), so each group is one per-value vector."""
    flat: list[Probe | Combo | Negation] = []
    for item in items:
        if isinstance(item, Combo) and item.is_and == is_and:
            flat.extend(i for i in item.items if not isinstance(i, bool))
        else:
            flat.append(item)
    by_key: dict[Key, list[Probe | Combo | Negation]] = {}
    mixed: list[Probe | Combo | Negation] = []
    for item in flat:
        keys = keys_of(item)
        if len(keys) == 1:
            by_key.setdefault(next(iter(keys)), []).append(item)
        else:
            mixed.append(item)
    out = [group[0] if len(group) == 1 else Combo(tuple(group), is_and, frozenset((key,)))
           for key, group in by_key.items()] + mixed
    if not out:
        return is_and
    if len(out) == 1:
        return out[0]
    return Combo(tuple(out), is_and, frozenset().union(*[keys_of(i) for i in out]))


def _probe(test: Test, schema: Schema) -> Bound:
    if isinstance(test, StrMatch) and test.kind in ARROW_KINDS:
        # the columns sqlgen._str_match reads: keyword text; __lc__name; raw string column
        if test.field == KEYWORDS:
            return _keyword(test, schema)
        name = schema.name(test.field)
        if name is None:
            return False
        if not test.cased:
            return probe((name,), test.kind, test.value, lowered=True)
        if name in schema.strings:
            return probe((name,), test.kind, test.value)
    sql = leaf_sql(test, schema)
    if isinstance(sql, bool):
        return sql
    names = {c.removeprefix(LOWER_PREFIX) for c in read_columns(sql)}
    if not names:  # pragma: no cover - every generated test reads a column
        raise ValueError(f"test {test!r} reads no column")
    key = tuple(sorted(names))
    return probe(key, "sql", sql.sql(DIALECT), prefilter=_prefilter(test, key, schema))


def _prefilter(test: Test, key: Key, schema: Schema) -> Prefilter | None:
    """The literals a ``LIKE``/regex test on one string column requires (:mod:`.literals`)."""
    if (isinstance(test, StrMatch) and test.kind in ("like", "regex")
            and test.field != KEYWORDS and len(key) == 1 and key[0] in schema.strings):
        return prefilter(test.kind, test.value)
    return None


def _keyword(test: StrMatch, schema: Schema) -> Bound:
    """A keyword test. The event text is ``lower(concat_ws('\\n', coalesce(field, '')...))``
    and ``lower`` maps each character on its own, so a ``contains`` text without a newline
    is in the event text exactly when it is in one field's lower-cased text: the test runs
    on each field's distinct values instead of building the text of every row."""
    if not has_text(schema):
        return False
    if test.kind == "contains" and "\n" not in test.value:
        if not test.value:
            return True
        return _combine([probe((name,), "contains", test.value, lowered=True)
                         for name in text_columns(schema)], is_and=False)
    return probe((TEXT_COLUMN,), test.kind, test.value)


@lru_cache(maxsize=1 << 17)
def probes(node: Bound) -> tuple[Probe, ...]:
    """The node's probes, each once, in order (cached, as bound trees are: the fused runner
    asks for them per batch and per rule)."""
    if isinstance(node, Probe):
        return (node,)
    if isinstance(node, Combo):
        return tuple(dict.fromkeys(p for item in node.items for p in probes(item)))
    if isinstance(node, Negation):
        return probes(node.item)
    return ()


def columns_read(keys: Sequence[Key]) -> set[str]:
    """Table columns behind the keys (the keyword text is not a table column)."""
    return {name for key in keys for name in key if name != TEXT_COLUMN}
