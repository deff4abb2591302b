"""Compiled rules as plain JSON values, and a fingerprint of a processing pipeline.

The rule cache (:mod:`.cache`) stores :class:`~.compiler.CompiledRule` objects in this form:
only lists, strings, numbers, booleans and null, so reading an entry never runs code (no
pickle). Decoding rebuilds the very objects the compiler makes: ``decode_rule(encode_rule(r))
== r``. Each :mod:`.ir` node is a list whose first item names its type.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from watchkeeper.detect.sigma.compiler import Branch, CompiledRule
from watchkeeper.detect.sigma.ir import (
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
)
from watchkeeper.detect.sigma.pipeline import Pipeline, Route

Json = Any  # a value json.loads returns


class CodecError(ValueError):
    """An encoded value is not what :func:`encode_rule` writes."""


def encode_node(node: Node) -> Json:
    if isinstance(node, StrMatch):
        return ["s", node.field, node.kind, node.value, node.cased]
    if isinstance(node, NumCompare):
        return ["n", node.field, node.op, node.number]
    if isinstance(node, IsNull):
        return ["z", node.field]
    if isinstance(node, Exists):
        return ["e", node.field, node.present]
    if isinstance(node, FieldRef):
        return ["f", node.field, node.other, node.kind]
    if isinstance(node, AllOf | AnyOf):
        return ["a" if isinstance(node, AllOf) else "o", [encode_node(i) for i in node.items]]
    if isinstance(node, Not):
        return ["!", encode_node(node.item)]
    return ["c", node.value]


def _text(value: Json) -> str:
    if not isinstance(value, str):
        raise CodecError(f"expected a string, got {type(value).__name__}")
    return value


def _flag(value: Json) -> bool:
    if not isinstance(value, bool):
        raise CodecError(f"expected a boolean, got {type(value).__name__}")
    return value


def _number(value: Json) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CodecError(f"expected a number, got {type(value).__name__}")
    return value


def _items(value: Json) -> tuple[Node, ...]:
    if not isinstance(value, list):
        raise CodecError("expected a list of nodes")
    return tuple(decode_node(i) for i in value)


def _str_match(v: list[Json]) -> StrMatch:
    # the commonest node (tens of thousands per rule set): checked inline
    field, kind, value, cased = v[1], v[2], v[3], v[4]
    if type(field) is not str or type(kind) is not str or type(value) is not str \
            or type(cased) is not bool:
        raise CodecError("malformed string test")
    return StrMatch(field, kind, value, cased)  # type: ignore[arg-type]


_NODES: dict[str, tuple[int, Callable[[list[Json]], Node]]] = {
    "s": (5, _str_match),
    "n": (4, lambda v: NumCompare(_text(v[1]), _text(v[2]), _number(v[3]))),  # type: ignore[arg-type]
    "z": (2, lambda v: IsNull(_text(v[1]))),
    "e": (3, lambda v: Exists(_text(v[1]), _flag(v[2]))),
    "f": (4, lambda v: FieldRef(_text(v[1]), _text(v[2]), _text(v[3]))),  # type: ignore[arg-type]
    "a": (2, lambda v: AllOf(_items(v[1]))),
    "o": (2, lambda v: AnyOf(_items(v[1]))),
    "!": (2, lambda v: Not(decode_node(v[1]))),
    "c": (2, lambda v: Const(_flag(v[1]))),
}


def decode_node(value: Json) -> Node:
    if not isinstance(value, list) or not value or not isinstance(value[0], str):
        raise CodecError("a node is a list starting with its type")
    found = _NODES.get(value[0])
    if found is None or len(value) != found[0]:
        raise CodecError(f"unknown node {value[0]!r} or wrong length")
    return found[1](value)


def encode_route(route: Route) -> Json:
    return [route.name, list(route.channels), list(route.event_codes),
            dict(route.field_map), route.system_fields]


def decode_route(value: Json) -> Route:
    """The route (one object per distinct route: rules share their log sources')."""
    if not isinstance(value, list) or len(value) != 5:
        raise CodecError("a route is a list of 5 items")
    try:
        key = (value[0], tuple(value[1]), tuple(value[2]), tuple(sorted(value[3].items())),
               value[4])
        found = _ROUTES.get(key)
    except (TypeError, AttributeError):  # malformed: _route says how
        return _route(value)
    if found is None:
        if len(_ROUTES) > 4096:
            _ROUTES.clear()
        found = _ROUTES[key] = _route(value)
    return found


_ROUTES: dict[tuple[Any, ...], Route] = {}


def _route(value: list[Json]) -> Route:
    if len(value) != 5:
        raise CodecError("a route is a list of 5 items")
    name, channels, codes, field_map, system = value
    if not (isinstance(channels, list) and isinstance(codes, list)
            and isinstance(field_map, dict)):
        raise CodecError("malformed route")
    return Route(_text(name), tuple(_text(c) for c in channels),
                 tuple(int(_number(c)) for c in codes),
                 {_text(k): _text(v) for k, v in field_map.items()}, _flag(system))


def encode_rule(rule: CompiledRule) -> Json:
    """The rule without its path (the cache re-attaches the file it was read from)."""
    return {"id": rule.rule_id, "title": rule.title, "level": rule.level,
            "status": rule.status, "tags": list(rule.tags), "logsource": list(rule.logsource),
            "branches": [[encode_route(b.route), encode_node(b.condition)]
                         for b in rule.branches]}


def _optional(value: Json) -> str | None:
    return None if value is None else _text(value)


def decode_rule(value: Json, path: str | None) -> CompiledRule:
    if not isinstance(value, dict):
        raise CodecError("a rule is a mapping")
    try:
        logsource = value["logsource"]
        if not isinstance(logsource, list) or len(logsource) != 3:
            raise CodecError("malformed log source")
        branches = value["branches"]
        if not isinstance(branches, list):
            raise CodecError("malformed branches")
        return CompiledRule(
            rule_id=_text(value["id"]), title=_text(value["title"]),
            level=_optional(value["level"]), status=_optional(value["status"]),
            tags=tuple(_text(t) for t in value["tags"]),
            logsource=(_optional(logsource[0]), _optional(logsource[1]),
                       _optional(logsource[2])),
            path=path,
            branches=tuple(Branch(decode_route(b[0]), decode_node(b[1])) for b in branches),
        )
    except (KeyError, IndexError, TypeError) as exc:
        raise CodecError(f"malformed rule: {exc}") from None


def fingerprint(pipeline: Pipeline) -> str:
    """A digest of everything in ``pipeline`` that decides how a rule compiles."""
    body = {
        "name": pipeline.name,
        "categories": {k: [encode_route(r) for r in v]
                       for k, v in sorted(pipeline.categories.items())},
        "services": {k: [encode_route(r) for r in v]
                     for k, v in sorted(pipeline.services.items())},
        "products": sorted(pipeline.products),
        "placeholders": {k: list(v) for k, v in sorted(pipeline.placeholders.items())},
        "catch_all": pipeline.catch_all,
    }
    text = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


__all__ = [
    "CodecError",
    "decode_node",
    "decode_route",
    "decode_rule",
    "encode_node",
    "encode_route",
    "encode_rule",
    "fingerprint",
]
