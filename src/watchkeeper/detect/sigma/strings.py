"""String tests on a column's distinct values: Python strings, Arrow kernels, or one
Aho-Corasick pass for many tests at once (used by :mod:`.dictionary`).

``contains``/``startswith``/``endswith``/``=`` on Python strings agree with DuckDB's
byte-wise functions on valid UTF-8 (which DuckDB guarantees).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from itertools import chain, pairwise
from typing import Any, TypeAlias

import ahocorasick
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.detect.sigma.probes import ARROW_KINDS, Probe

#: Characters of joined values searched at a time by the multi-pattern pass.
MULTI_CHUNK = 1 << 20
#: Needles estimated to occur more than this many times per value are tested value by
#: value instead (on dictionaries of at least FREQUENT_MIN_VALUES values, estimated on
#: every SAMPLE_STEP-th value).
FREQUENT_SHARE = 0.5
FREQUENT_MIN_VALUES = 4096
SAMPLE_STEP = 32
Mask: TypeAlias = "np.ndarray[Any, np.dtype[np.bool_]]"
Index: TypeAlias = "np.ndarray[Any, np.dtype[np.intp]]"


class _Strings:
    """The values of a one-column key as Python strings (null slot excluded), for the
    string probes. ``contains``/``startswith``/``endswith``/``=`` on Python strings agree
    with DuckDB's byte-wise functions on valid UTF-8 (which DuckDB guarantees)."""

    SEPARATOR = "\x00"

    def __init__(self, values: list[str]) -> None:
        self.values = values
        sep = self.SEPARATOR
        joined = sep + sep.join(values) + sep
        # one search of the joined text rules out most tests; only a hit is checked per value
        # (a separator inside a value would fake hits: then every test is checked per value)
        self.joined = joined if joined.count(sep) == len(values) + 1 else None
        self._index: dict[str, list[int]] | None = None

    def evaluate(self, kind: str, value: str, entries: Index | None) -> Mask:
        if entries is not None:
            chosen = [self.values[i] for i in entries]
            return np.fromiter((_TEST[kind](s, value) for s in chosen), np.bool_, len(chosen))
        out = np.zeros(len(self.values), np.bool_)
        if kind == "eq":
            out[self.index().get(value, [])] = True
            return out
        needle = {"contains": value, "startswith": self.SEPARATOR + value,
                  "endswith": value + self.SEPARATOR}[kind]
        if self.joined is None or needle in self.joined:
            test = _TEST[kind]
            out[:] = np.fromiter((test(s, value) for s in self.values), np.bool_,
                                 len(self.values))
        return out

    def multi(self, found: Sequence[Probe]) -> dict[Probe, Index] | None:
        """Per probe (non-empty text without ``\\x00``) the numbers of the values where it
        holds, in one Aho-Corasick pass over the joined values (None when a value contains
        the separator). A needle occurs in the joined text only within one value, or
        within it and its separators: ``contains`` inside the value, ``startswith``/``eq``
        starting at the separator before it, ``endswith`` starting inside it; so each
        occurrence's start tells the value."""
        if not self.values or not found:
            return {p: np.zeros(0, np.intp) for p in found}
        if self.joined is None:
            return None
        needles = [_needle(p.kind, p.value) for p in found]
        unique = list(dict.fromkeys(needles))
        frequent = self._frequent(unique)
        hits = {n: self._scan(n) for n in frequent}
        hits |= self._search([n for n in unique if n not in frequent])
        return {p: hits[n] for p, n in zip(found, needles, strict=True)}

    def _frequent(self, needles: list[str]) -> set[str]:
        """Needles estimated (on every :data:`SAMPLE_STEP`-th value) to occur more than
        :data:`FREQUENT_SHARE` times per value: each occurrence costs the pass a Python
        tuple, so ``i``, ``.exe`` or ``\\system32`` are cheaper tested value by value."""
        if len(self.values) < FREQUENT_MIN_VALUES or not needles:
            return set()
        sample = self.values[::SAMPLE_STEP]
        automaton, _ = _automaton(tuple(needles))
        text = self.SEPARATOR + self.SEPARATOR.join(sample) + self.SEPARATOR
        ids = np.fromiter((i for _, i in automaton.iter(text)), np.int64)
        counts = np.bincount(ids, minlength=len(needles))
        limit = len(sample) * FREQUENT_SHARE
        return {needles[i] for i in np.flatnonzero(counts > limit)}

    def _scan(self, needle: str) -> Index:
        """The numbers of the values holding a needle, tested value by value."""
        sep = self.SEPARATOR
        text = needle.strip(sep)
        kind = ("eq" if needle[0] == sep and needle[-1] == sep else "startswith"
                if needle[0] == sep else "endswith" if needle[-1] == sep else "contains")
        test = _TEST[kind]
        return np.flatnonzero(np.fromiter((test(s, text) for s in self.values), np.bool_,
                                          len(self.values)))

    def _search(self, unique: list[str]) -> dict[str, Index]:
        """Per needle, the numbers of the values holding it: one Aho-Corasick pass."""
        if not unique:
            return {}
        automaton, lengths = _automaton(tuple(unique))
        size = len(self.values)
        # separator i is just before value i (the last one after the last value)
        separators = np.zeros(size + 1, np.int64)
        separators[1:] = np.cumsum(np.fromiter(map(len, self.values), np.int64, size) + 1)
        pairs = self._occurrences(automaton, lengths, separators)
        # each pair once, sorted by value then needle: regroup per needle (a stable sort
        # keeps each needle's values sorted; radix sort for up to 65,536 needles)
        numbers, owners = np.divmod(pairs, len(unique))
        order = np.argsort(owners.astype(np.uint16 if len(unique) <= 1 << 16 else np.int64),
                           kind="stable")
        owners, numbers = owners[order], numbers[order]
        bounds = np.searchsorted(owners, np.arange(len(unique) + 1))
        return {n: numbers[bounds[i]:bounds[i + 1]].astype(np.intp)
                for i, n in enumerate(unique)}

    def _occurrences(self, automaton: Any, lengths: np.ndarray[Any, np.dtype[np.int64]],
                     separators: np.ndarray[Any, np.dtype[np.int64]]
                     ) -> np.ndarray[Any, np.dtype[np.int64]]:
        """The distinct (value, needle) pairs found, as ``value * needles + needle``,
        sorted. The text is searched in slices of about :data:`MULTI_CHUNK` characters cut
        at separators (an occurrence lies within one value and its two separators) and
        each slice's pairs are deduplicated at once, so memory follows the pairs found, not
        the occurrences. Occurrences come in the order of their ends, and all those ending
        in value ``i`` (or at the separator after it) belong to it, so the value numbers
        arrive sorted: a stable sort (runs merged) orders the pairs far faster than
        ``np.unique``'s hashing."""
        assert self.joined is not None
        stride = len(lengths)
        parts: list[np.ndarray[Any, np.dtype[np.int64]]] = []
        cuts = np.searchsorted(separators, np.arange(0, separators[-1], MULTI_CHUNK))
        bounds = [int(b) for b in np.unique(np.append(cuts, len(separators) - 1))]
        for first, last in pairwise(bounds):
            start = int(separators[first])
            text = self.joined[start:int(separators[last]) + 1]
            flat = np.fromiter(chain.from_iterable(automaton.iter(text)), np.int64)
            ends, ids = flat[0::2] + start, flat[1::2]
            where = np.searchsorted(separators, ends - lengths[ids] + 1, side="right") - 1
            keys = np.sort(where * stride + ids, kind="stable")
            first_of = np.ones(len(keys), np.bool_)
            first_of[1:] = keys[1:] != keys[:-1]
            parts.append(keys[first_of])
        # slices hold disjoint values, in order: the pairs are distinct and sorted
        return np.concatenate(parts) if parts else np.zeros(0, np.int64)

    def index(self) -> dict[str, list[int]]:
        if self._index is None:
            self._index = {}
            for number, text in enumerate(self.values):
                self._index.setdefault(text, []).append(number)
        return self._index


def _needle(kind: str, value: str) -> str:
    sep = _Strings.SEPARATOR
    return {"contains": value, "startswith": sep + value, "endswith": value + sep,
            "eq": sep + value + sep}[kind]


@lru_cache(maxsize=1024)
def _automaton(needles: tuple[str, ...]) -> tuple[Any, np.ndarray[Any, np.dtype[np.int64]]]:
    """An Aho-Corasick automaton over distinct ``needles`` (each one's payload: its number)
    and their lengths; cached, as every batch has the same tests."""
    automaton = ahocorasick.Automaton(ahocorasick.STORE_INTS)
    for number, needle in enumerate(needles):
        automaton.add_word(needle, number)
    automaton.make_automaton()
    return automaton, np.fromiter(map(len, needles), np.int64, len(needles))


def multi_eligible(found: Probe) -> bool:
    """Whether the probe can run in the Aho-Corasick pass."""
    return (found.kind in ARROW_KINDS and bool(found.value)
            and _Strings.SEPARATOR not in found.value)


def _kernel(function: Callable[..., Any]) -> Callable[[pa.Array, str], Mask]:
    def run(data: pa.Array, value: str) -> Mask:
        flags: Mask = function(data, value).fill_null(False).to_numpy(zero_copy_only=False)
        return flags
    return run


_KERNELS: dict[str, Callable[[pa.Array, str], Mask]] = {
    "eq": _kernel(lambda data, value: pc.equal(data, pa.scalar(value, pa.string()))),
    "contains": _kernel(pc.match_substring),
    "startswith": _kernel(pc.starts_with),
    "endswith": _kernel(pc.ends_with),
}

_TEST: dict[str, Callable[[str, str], bool]] = {
    "eq": lambda s, v: s == v,
    "contains": lambda s, v: v in s,
    "startswith": lambda s, v: s.startswith(v),
    "endswith": lambda s, v: s.endswith(v),
}
