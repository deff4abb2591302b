"""Rule conditions on the rows of one route within a batch, from per-value results.

:class:`GroupRows` evaluates a bound condition (:mod:`.probes`) on the rows of one route in
a :class:`.dictionary.Batch`. A sub-tree reading one column is a vector over that column's
distinct values, looked up by each row's code; an AND evaluates its most selective item
first (an item whose per-value vector is all false stops the rule without touching the
rows), then the others only on the rows still passing; an OR only on the rows not yet
matched. Null counts as false everywhere (as the SQL's ``CASE``/``COALESCE`` trees do), so
two-valued logic per row is exact.

A column's vector is computed on all its values at once when the column is small (eager)
or every test of the sub-tree is already known on all values (string tests after the
multi-pattern pass); otherwise only on the values of the rows that reach it (lazy: a
``LIKE``/regex test on a column of unique command lines runs on those values only).
"""

from __future__ import annotations

import numpy as np

from watchkeeper.detect.sigma.dictionary import Batch, Index, Mask
from watchkeeper.detect.sigma.probes import Bound, Combo, Key, Negation, Probe, keys_of

#: Rows selecting fewer than this share of a column's values find theirs by sorting their
#: codes, not by marking every value.
SORT_SHARE = 1 / 8


class GroupRows:
    """Evaluates bound conditions on the rows of one route within a batch."""

    def __init__(self, batch: Batch, rows: Index) -> None:
        self.batch = batch
        self.rows = rows
        self._codes: dict[Key, Index] = {}
        self._present: dict[Key, tuple[Index, Index]] = {}

    def matches(self, node: Bound) -> Index:
        """Batch row numbers where ``node`` holds."""
        hits: Index = self.rows[self.mask(node, None)]
        return hits

    def _codes_at(self, key: Key, sel: Index | None) -> Index:
        codes = self._codes.get(key)
        if codes is None:
            codes = self._codes[key] = self.batch.column(key).codes[self.rows]
        return codes if sel is None else codes[sel]

    def mask(self, node: Bound, sel: Index | None) -> Mask:
        """``node`` on the group's rows (``sel``: positions among them)."""
        n = len(self.rows) if sel is None else len(sel)
        if isinstance(node, bool):
            return np.full(n, node)
        keys = keys_of(node)
        if len(keys) == 1:
            return self._single(node, next(iter(keys)), sel, n)
        if isinstance(node, Negation):
            return ~self.mask(node.item, sel)
        assert isinstance(node, Combo)  # a probe reads one key
        items = self._decide(node)
        if isinstance(items, bool):
            return np.full(n, items)
        kept: Index = np.arange(n)
        out = np.zeros(n, np.bool_)
        for item in items:
            hit = self.mask(item, kept if sel is None else sel[kept])
            if node.is_and:
                kept = kept[hit]
            else:
                out[kept[hit]] = True
                kept = kept[~hit]
            if not kept.size:
                break
        if node.is_and:
            out[kept] = True
        return out

    def _decide(self, node: Combo) -> list[Probe | Combo | Negation] | bool:
        """The items still to evaluate on rows, most selective first for an AND, or the
        result when a one-key item decides it on its values alone (all false in an AND,
        all true in an OR); items that cannot change the result are dropped."""
        ranked: list[tuple[float, int, Probe | Combo | Negation]] = []
        for number, item in enumerate(node.items):
            if isinstance(item, bool):  # pragma: no cover - constants are folded when binding
                if item != node.is_and:
                    return item
                continue
            rank = 2.0
            keys = keys_of(item)
            if len(keys) == 1:
                column = self.batch.column(next(iter(keys)))
                if self.batch.whole(item, column):
                    vector = self.batch.vector(item, column)
                    if not vector.any():
                        if node.is_and:
                            return False
                        continue
                    if vector.all():
                        if not node.is_and:
                            return True
                        continue
                    rank = float(np.count_nonzero(vector)) / len(vector)
                else:
                    rank = 1.5
            ranked.append((rank if node.is_and else 0.0, number, item))
        if not ranked:
            return node.is_and
        return [item for _, _, item in sorted(ranked, key=lambda r: (r[0], r[1]))]

    def _single(self, node: Probe | Combo | Negation, key: Key, sel: Index | None,
                n: int) -> Mask:
        column = self.batch.column(key)
        if self.batch.whole(node, column):
            vector = self.batch.vector(node, column)
            if not vector.any():
                return np.zeros(n, np.bool_)
            result: Mask = vector[self._codes_at(key, sel)]
            return result
        entries, inverse = self._values_at(key, sel)
        found: Mask = column.vector(node, entries)[inverse]
        return found

    def _values_at(self, key: Key, sel: Index | None) -> tuple[Index, Index]:
        """The distinct value numbers of the rows (sorted) and each row's position among
        them; cached for all the group's rows."""
        cached = self._present.get(key) if sel is None else None
        if cached is not None:
            return cached
        codes = self._codes_at(key, sel)
        size = self.batch.column(key).size
        entries: Index
        inverse: Index
        if len(codes) < size * SORT_SHARE:
            unique, positions = np.unique(codes, return_inverse=True)
            entries, inverse = unique.astype(np.intp), positions.reshape(-1)
        else:
            present = np.zeros(size, np.bool_)
            present[codes] = True
            entries, inverse = np.flatnonzero(present), (np.cumsum(present) - 1)[codes]
        found = (entries, inverse)
        if sel is None:
            self._present[key] = found
        return found


__all__ = ["GroupRows"]
