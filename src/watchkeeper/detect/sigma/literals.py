"""Literal prefilters: text a ``LIKE`` pattern or a regular expression requires.

A ``LIKE``/regex test costs DuckDB a pattern match per value; most values of a column hold
none of a pattern's literals, so the fused runner (:mod:`.dictionary`) first finds, in the
same Aho-Corasick pass as the column's other string tests, the values that contain them,
and runs the expensive test on those values only. This module says which literals: a
:class:`Prefilter` is a few requirements, each a set of needles of which every matching
value's DuckDB-lower-cased text contains at least one. Needles are lower-case ASCII runs of
the pattern's literals, so they hold whatever the case of the value:

* a ``LIKE`` pattern (``%``/``_`` wildcards, no escape character, as :mod:`.values` writes
  them) requires each of its literal segments; on the lower-cased column the segment is
  already lower case, on the raw column (``|cased``) its ASCII runs, lower-cased, are in the
  lower-cased value too (``lower`` maps ASCII letters alone and keeps every other ASCII
  character);
* a regex requires the literals of every part it must match: runs of literal characters,
  groups, repeats of at least one, and alternations (one literal from each branch). Only a
  conservative subset of the syntax is read (Python's parser, which agrees with RE2 on it):
  escapes other than of punctuation and ``\\t\\n\\r\\f\\v\\d\\D\\w\\W\\s\\S\\b\\B\\A``, POSIX
  classes, comments and flags other than ``i``, ``m``, ``s`` give no prefilter. Under ``i``
  RE2 folds case by Unicode rules (``ſ`` matches ``s``, ``K`` (Kelvin) matches ``k``), which
  ``lower`` does not follow, so such a prefilter also lets through every value holding a
  non-ASCII character (``non_ascii``); an ASCII value matching ``(?i)abc`` holds ``abc`` in
  some case, so its lower-cased text holds ``abc``. A regex whose matches are at least
  :data:`MIN_LENGTH` characters long also skips shorter values (``.{1000,}``).

The result is a necessary condition only: a value passing it still runs the exact test.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

_parser: Any = importlib.import_module("re._parser")
_constants: Any = importlib.import_module("re._constants")

#: Needles shorter than this are not worth a pass (a one-character needle such as ``:``
#: occurs many times in most values).
MIN_NEEDLE = 2
#: At most this many requirements per test (the longest needles).
MAX_REQUIREMENTS = 3
#: A regex's shortest match length is a prefilter from this many characters on.
MIN_LENGTH = 16
_SAFE_ESCAPES = frozenset("tnrfvdDwWsSbBA")
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_FLAGS = re.compile(r"\(\?([a-zA-Z-]*)[:)]")
_ASCII_RUN = re.compile(r"[\x00-\x7f]+")


@dataclass(frozen=True)
class Prefilter:
    """Every value a test holds on contains, in its lower-cased text, at least one needle of
    each requirement (lower-case ASCII) or, when ``non_ascii``, a non-ASCII character; and
    has at least ``min_length`` characters (a regex's shortest match, as ``.{1000,}``)."""

    requirements: tuple[tuple[str, ...], ...]
    non_ascii: bool = False
    min_length: int = 0

    @property
    def needles(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(n for needed in self.requirements for n in needed))


@lru_cache(maxsize=65536)
def prefilter(kind: str, pattern: str) -> Prefilter | None:
    """The prefilter of a ``like`` or ``regex`` test (None when none is known)."""
    if kind == "like":
        return _like(pattern)
    if kind == "regex":
        return _regex(pattern)
    return None


def _like(pattern: str) -> Prefilter | None:
    return _choose([{segment} for segment in re.split(r"[%_]", pattern) if segment], False)


def _regex(pattern: str) -> Prefilter | None:
    if not _readable(pattern):
        return None
    try:
        parsed = _parser.parse(pattern)
    except (re.error, RecursionError, OverflowError, ValueError):
        return None
    ignorecase = _constants.SRE_FLAG_IGNORECASE
    folded = bool(parsed.state.flags & ignorecase) or _scoped_ignorecase(parsed.data)
    # RE2 matches code point by code point, case folded or not: a match is at least as
    # long as the parser's shortest width
    shortest = min(int(parsed.getwidth()[0]), 1 << 31)
    found = _choose(_requirements(parsed.data), folded)
    if shortest < MIN_LENGTH:
        return found
    return Prefilter(found.requirements if found else (), folded and found is not None,
                     shortest)


def _readable(pattern: str) -> bool:
    """Whether the pattern uses only syntax Python's parser reads as RE2 does."""
    if "[:" in pattern or "(?#" in pattern:
        return False
    for escaped in _ESCAPE.findall(pattern):
        if (escaped.isalnum() and escaped not in _SAFE_ESCAPES) or not escaped.isascii():
            return False
    return all(set(flags) <= set("ims-") for flags in _FLAGS.findall(pattern))


def _scoped_ignorecase(items: Iterable[tuple[Any, Any]]) -> bool:
    """Whether a group anywhere turns on ``i``."""
    for op, av in items:
        if op is _constants.SUBPATTERN:
            if av[1] & _constants.SRE_FLAG_IGNORECASE or _scoped_ignorecase(av[3]):
                return True
        elif op in (_constants.MAX_REPEAT, _constants.MIN_REPEAT):
            if _scoped_ignorecase(av[2]):
                return True
        elif op is _constants.BRANCH and any(_scoped_ignorecase(a) for a in av[1]):
            return True
    return False


def _requirements(items: Iterable[tuple[Any, Any]]) -> list[set[str]]:
    """What a match of the sequence ``items`` must contain: sets of strings, one of each
    set at least (runs of literal characters; the requirements of groups and of repeats
    of at least one; one requirement of each branch of an alternation)."""
    out: list[set[str]] = []
    run: list[str] = []
    for op, av in items:
        if op is _constants.LITERAL:
            run.append(chr(av))
            continue
        if run:
            out.append({"".join(run)})
            run = []
        if op is _constants.SUBPATTERN:
            out += _requirements(av[3])
        elif op in (_constants.MAX_REPEAT, _constants.MIN_REPEAT) and av[0] >= 1:
            out += _requirements(av[2])
        elif op is _constants.BRANCH:
            either: set[str] = set()
            for branch in av[1]:
                best = _best(_requirements(branch))
                if best is None:
                    break
                either |= best
            else:
                out.append(either)
    if run:
        out.append({"".join(run)})
    return out


def _needles(required: Iterable[str]) -> tuple[str, ...] | None:
    """The requirement as needles: each string's longest ASCII run, lower-cased (None when
    one has no run of :data:`MIN_NEEDLE` characters)."""
    needles: list[str] = []
    for text in required:
        runs = _ASCII_RUN.findall(text.replace("\x00", "\x80"))
        longest = max(runs, key=len, default="")
        if len(longest) < MIN_NEEDLE:
            return None
        needles.append(longest.lower())
    return tuple(sorted(set(needles)))


def _score(needles: Sequence[str]) -> tuple[int, int]:
    return min(len(n) for n in needles), -len(needles)


def _best(requirements: Sequence[set[str]]) -> set[str] | None:
    usable = [r for r in requirements if _needles(r) is not None]
    if not usable:
        return None
    return max(usable, key=lambda r: _score(_needles(r) or ()))


def _choose(requirements: Sequence[set[str]], non_ascii: bool) -> Prefilter | None:
    usable = {n for n in (_needles(r) for r in requirements) if n is not None}
    if not usable:
        return None
    chosen = sorted(usable, key=_score, reverse=True)[:MAX_REQUIREMENTS]
    return Prefilter(tuple(chosen), non_ascii)


__all__ = ["MIN_NEEDLE", "Prefilter", "prefilter"]
