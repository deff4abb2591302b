"""Sigma values (after pySigma applied the modifiers) into field tests.

Wildcards: a pattern with ``*`` only at its ends becomes ``eq``/``contains``/``startswith``/
``endswith`` (plain literal, nothing to escape); inner wildcards become a SQL ``LIKE``
pattern when the literal parts hold no ``%``, ``_`` or ``\\`` (DuckDB and Spark then agree,
as neither needs an escape character), otherwise an anchored regular expression with every
literal escaped. Case-insensitive tests compare lower-cased values.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Mapping, Sequence

from sigma.types import (
    CompareOperators,
    Placeholder,
    SigmaBool,
    SigmaCasedString,
    SigmaCIDRExpression,
    SigmaCompareExpression,
    SigmaExists,
    SigmaExpansion,
    SigmaFieldReference,
    SigmaNull,
    SigmaNumber,
    SigmaRegularExpression,
    SigmaRegularExpressionFlag,
    SigmaString,
    SigmaType,
    SpecialChars,
)

from watchkeeper.detect.sigma.ir import (
    KEYWORDS,
    CompareOp,
    Exists,
    FieldRef,
    IsNull,
    Node,
    NumCompare,
    RefKind,
    StrMatch,
    any_of,
)
from watchkeeper.errors import UnsupportedRuleError

Part = str | SpecialChars
_REGEX_SPECIAL = frozenset("\\.^$|?*+()[]{}")
_LIKE_SPECIAL = frozenset("%_\\")
_COMPARE_OPS: dict[CompareOperators, CompareOp] = {
    CompareOperators.LT: "lt",
    CompareOperators.LTE: "lte",
    CompareOperators.GT: "gt",
    CompareOperators.GTE: "gte",
    CompareOperators.NEQ: "ne",
}
_FLAGS = {
    SigmaRegularExpressionFlag.IGNORECASE: "i",
    SigmaRegularExpressionFlag.MULTILINE: "m",
    SigmaRegularExpressionFlag.DOTALL: "s",
}
# Regex features that RE2 (DuckDB) cannot run; Spark's Java engine could, but one
# definition must run on both engines.
_RE2_UNSUPPORTED = re.compile(r"\(\?<?[=!]|\(\?>|(?<!\\)\\[1-9]|[*+?}]\+|\\Z|\(\?\(")


def value_test(field: str, value: SigmaType, placeholders: Mapping[str, Sequence[str]],
               column: Callable[[str], str] = str) -> Node:
    """The test that ``field`` matches ``value`` (``KEYWORDS`` for a keyword detection).

    ``column`` maps a field named inside the value (``|fieldref``) to its column.
    """
    if isinstance(value, SigmaExpansion):
        return any_of(value_test(field, v, placeholders, column) for v in value.values)
    if isinstance(value, SigmaFieldReference):
        kind: RefKind = ("startswith" if value.starts_with
                         else "endswith" if value.ends_with else "eq")
        return FieldRef(field, column(value.field), kind)
    if isinstance(value, SigmaString):
        return _string_test(field, value, placeholders, keyword=field == KEYWORDS)
    if field == KEYWORDS and isinstance(value, SigmaNumber | SigmaBool):
        return StrMatch(field, "contains", str(value).lower())
    if isinstance(value, SigmaNumber):
        return NumCompare(field, "eq", value.number)
    if isinstance(value, SigmaBool):
        return StrMatch(field, "eq", "true" if value.boolean else "false")
    if isinstance(value, SigmaNull):
        return IsNull(field)
    if isinstance(value, SigmaExists):
        return Exists(field, value.exists)
    return _special_test(field, value)


def _special_test(field: str, value: SigmaType) -> Node:
    if field == KEYWORDS and not isinstance(value, SigmaRegularExpression):
        raise UnsupportedRuleError(f"keyword detection with {type(value).__name__} value")
    if isinstance(value, SigmaRegularExpression):
        return regex_test(field, value)
    if isinstance(value, SigmaCIDRExpression):
        return any_of(_pattern_test(field, _parse_wildcards(p), cased=False)
                      for p in value.expand("*"))
    if isinstance(value, SigmaCompareExpression):
        return NumCompare(field, _COMPARE_OPS[value.op], value.number.number)
    raise UnsupportedRuleError(f"value type {type(value).__name__} is not supported")


def regex_test(field: str, value: SigmaRegularExpression) -> StrMatch:
    pattern = value.regexp.to_plain()
    if _RE2_UNSUPPORTED.search(pattern):
        raise UnsupportedRuleError(
            f"regex {pattern!r} uses lookaround, backreferences or possessive/atomic groups,"
            " which RE2 (DuckDB) cannot run")
    flags = "".join(sorted(_FLAGS[f] for f in value.flags))
    return StrMatch(field, "regex", f"(?{flags}){pattern}" if flags else pattern, cased=True)


def _string_test(field: str, value: SigmaString, placeholders: Mapping[str, Sequence[str]],
                 keyword: bool) -> Node:
    cased = isinstance(value, SigmaCasedString)
    tests: list[Node] = []
    for parts in _expand_placeholders(list(value.s), placeholders):
        if keyword and parts[:1] != [SpecialChars.WILDCARD_MULTI]:
            parts = [SpecialChars.WILDCARD_MULTI, *parts]
        if keyword and parts[-1:] != [SpecialChars.WILDCARD_MULTI]:
            parts = [*parts, SpecialChars.WILDCARD_MULTI]
        tests.append(_pattern_test(field, parts, cased))
    return any_of(tests)


def _expand_placeholders(parts: list[object], placeholders: Mapping[str, Sequence[str]]
                         ) -> list[list[Part]]:
    """Every combination of placeholder values (Sigma ``|expand``), as plain part lists."""
    options: list[list[list[Part]]] = []
    for part in parts:
        if isinstance(part, Placeholder):
            if part.name not in placeholders:
                raise UnsupportedRuleError(
                    f"placeholder %{part.name}% has no values; set it in the pipeline")
            options.append([_parse_wildcards(v) for v in placeholders[part.name]])
        elif isinstance(part, str | SpecialChars):
            options.append([[part]])
    return [[p for chunk in combo for p in chunk] for combo in itertools.product(*options)]


def _parse_wildcards(text: str) -> list[Part]:
    return [p for p in SigmaString(text).s if isinstance(p, str | SpecialChars)]


def _pattern_test(field: str, parts: list[Part], cased: bool) -> Node:
    """Classify a wildcard pattern into the cheapest test that expresses it."""
    parts = _merge(parts, cased)
    if not parts:
        return StrMatch(field, "eq", "", cased)
    lead = parts[0] == SpecialChars.WILDCARD_MULTI
    trail = len(parts) > 1 and parts[-1] == SpecialChars.WILDCARD_MULTI
    core = parts[int(lead): len(parts) - int(trail)]
    if not core:
        return Exists(field, True)
    if len(core) == 1 and isinstance(core[0], str):
        kind = {(True, True): "contains", (True, False): "endswith",
                (False, True): "startswith", (False, False): "eq"}[(lead, trail)]
        return StrMatch(field, kind, core[0], cased)  # type: ignore[arg-type]
    if not any(isinstance(p, str) and _LIKE_SPECIAL & set(p) for p in parts):
        return StrMatch(field, "like", _like(parts), cased)
    return StrMatch(field, "regex", _anchored_regex(parts, cased), cased=True)


def _merge(parts: list[Part], cased: bool) -> list[Part]:
    """Join adjacent literals, lower-case them unless cased, collapse repeated ``*``."""
    merged: list[Part] = []
    for part in parts:
        if isinstance(part, str):
            text = part if cased else part.lower()
            if merged and isinstance(merged[-1], str):
                merged[-1] += text
            elif text:
                merged.append(text)
        elif not (part == SpecialChars.WILDCARD_MULTI and merged
                  and merged[-1] == SpecialChars.WILDCARD_MULTI):
            merged.append(part)
    return merged


def _like(parts: list[Part]) -> str:
    return "".join(p if isinstance(p, str) else "%" if p == SpecialChars.WILDCARD_MULTI else "_"
                   for p in parts)


def escape_regex(text: str) -> str:
    """Escape only the metacharacters, so the result reads the same in RE2 and Java regex."""
    return "".join("\\" + c if c in _REGEX_SPECIAL else c for c in text)


def _anchored_regex(parts: list[Part], cased: bool) -> str:
    body = "".join(escape_regex(p) if isinstance(p, str)
                   else ".*" if p == SpecialChars.WILDCARD_MULTI else "." for p in parts)
    # literals are already lower case when not cased; (?i) makes the column side match
    return f"(?s)^{body}$" if cased else f"(?is)^{body}$"
