"""A test's result on every value of a column, compact (:class:`Hits`), for the fused
runner's dictionary evaluation (:mod:`.dictionary`)."""

from __future__ import annotations

from typing import Any, TypeAlias

import numpy as np

#: A complete result holding on more than this share of the values is kept as a bitmap.
SPARSE_SHARE = 1 / 32
Mask: TypeAlias = "np.ndarray[Any, np.dtype[np.bool_]]"
Index: TypeAlias = "np.ndarray[Any, np.dtype[np.intp]]"

_NONE: Index = np.zeros(0, np.uint32)


class Hits:
    """A probe's result on every value of a column, compact: the sorted numbers of the
    values where it holds (``uint32``), or a packed bitmap when they are many."""

    __slots__ = ("bits", "numbers", "size")

    def __init__(self, size: int, numbers: Index | None = None, mask: Mask | None = None) -> None:
        self.size = size
        if numbers is None:
            assert mask is not None
            count = int(np.count_nonzero(mask))
            # most tests hold on no value: no search for the numbers then
            numbers = (_NONE if not count else np.flatnonzero(mask)
                       if count <= size * SPARSE_SHARE else None)
        else:
            count = len(numbers)
            if count > size * SPARSE_SHARE:
                mask = np.zeros(size, np.bool_)
                mask[numbers] = True
                numbers = None
        self.numbers = None if numbers is None else numbers.astype(np.uint32)
        self.bits = None if numbers is not None or mask is None else np.packbits(mask)

    @property
    def nbytes(self) -> int:
        stored = self.numbers if self.numbers is not None else self.bits
        return 0 if stored is None else int(stored.nbytes)

    def at(self, where: slice | Index) -> Mask:
        """The result on ``where`` (every value, or the given value numbers)."""
        if self.bits is not None:
            dense: Mask = np.unpackbits(self.bits, count=self.size).view(np.bool_)
            return dense[where]
        numbers = self.numbers
        assert numbers is not None
        if isinstance(where, slice):
            out = np.zeros(self.size, np.bool_)
            out[numbers] = True
            return out[where]
        if not len(numbers):
            return np.zeros(len(where), np.bool_)
        if len(where) > self.size >> 3:  # many values asked: a dense gather is cheaper
            dense = np.zeros(self.size, np.bool_)
            dense[numbers] = True
            gathered: Mask = dense[where]
            return gathered
        found = np.searchsorted(numbers, where)
        found[found == len(numbers)] = 0
        hit: Mask = numbers[found] == where
        return hit


__all__ = ["SPARSE_SHARE", "Hits", "Index", "Mask"]
