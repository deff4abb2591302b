"""Dictionary evaluation: every field test runs once per *distinct* value of its column.

The fused runner reads a batch of rows once, dictionary-encodes each column the rules
read (one code per row, one slot for null), and evaluates each field test on the distinct
values only. A rule's condition is then combined per row from those per-value results.

* **Binding** (:mod:`.probes`; :func:`bind`, cached per condition and schema) turns an :mod:`.ir`
  tree into :class:`Probe` leaves keyed by the column(s) they read, folds missing columns to
  constants exactly like :mod:`.sqlgen`, and regroups the items of every AND/OR by column,
  so a sub-tree reading one column (``Image|endswith: [...]``, ``CommandLine|contains|all``)
  becomes one vector over that column's distinct values.
* **Probes**: ``eq``/``contains``/``startswith``/``endswith`` run as Arrow kernels on the
  lower-cased (``lower()`` computed by DuckDB, as in the SQL path) or raw values; these are
  byte comparisons, identical in both engines. Every other test (``LIKE``, regex, numbers,
  null/exists, fieldref, cased tests on non-string columns) runs as the very SQL
  :mod:`.sqlgen` generates, in one DuckDB query per column over the distinct values, so its
  semantics are DuckDB's by construction. ``FieldRef`` reads a column *pair*, encoded as the
  distinct pairs of codes. Keyword detections read the lower-cased event text as a column.
* **Rows**: an AND evaluates its most selective item first (an item whose per-value vector
  is all false stops the rule without touching the rows), then the others only on the rows
  still passing; an OR only on the rows not yet matched. Null counts as false everywhere
  (as the SQL's ``CASE``/``COALESCE`` trees do), so two-valued logic per row is exact.
* **Many string tests on many values** (at least :data:`MULTI_PROBES` tests of one case
  variant of a column and :data:`MULTI_VALUES` distinct values, e.g. a ``CommandLine``
  that hardly repeats): every ``eq``/``contains``/``startswith``/``endswith`` needle of the
  column runs in one Aho-Corasick pass (``pyahocorasick``) over the values joined by
  ``\\x00`` (``startswith`` needles are ``\\x00`` + text, ``endswith`` text + ``\\x00``,
  ``eq`` both), on all values at once, also for lazy columns. Python string semantics, as
  the per-test path; tests with an empty or ``\\x00``-containing text, and columns whose
  values contain ``\\x00``, take the per-test path.
* Columns with a large dictionary (more than :data:`EAGER_LIMIT` distinct values and more
  than a quarter of the rows) are evaluated lazily: a test runs only on the distinct values
  of the rows that reach it, and remembers them.
* **Bounded memory**: a test's result on every value of a column is kept as the sorted
  numbers of the values where it holds (:class:`Hits`), or as a bit per value when it holds
  on more than one value in :data:`SPARSE_SHARE`; only the tests being evaluated lazily
  keep a byte per value (result and "known"), until they are known everywhere. So a
  30,000-test rule set over a column of 300,000 distinct values keeps a few megabytes of
  results, not 30,000 x 300,000 bytes.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlglot import exp

from watchkeeper.detect.sigma.build import TEXT_COLUMN
from watchkeeper.detect.sigma.hits import SPARSE_SHARE, Hits, Index, Mask
from watchkeeper.detect.sigma.probes import (
    DIALECT,
    Bound,
    Combo,
    Key,
    Negation,
    Probe,
    bind,
    columns_read,
    keys_of,
    probes,
)
from watchkeeper.detect.sigma.probes import probe as probe_for
from watchkeeper.detect.sigma.sqlgen import (
    Schema,
    col,
    lower_alias,
    lower_expr,
)
from watchkeeper.detect.sigma.strings import _KERNELS, _Strings, multi_eligible

#: Dictionaries up to this size, or up to this share of the batch's rows, are evaluated
#: whole; larger ones lazily, on the values of the rows a test is reached on.
EAGER_LIMIT = 4096
EAGER_SHARE = 0.25
#: String tests on dictionaries up to this size run on Python strings (after one search of
#: the joined values); larger dictionaries and lazy subsets use Arrow's kernels.
PYTHON_LIMIT = 2048
#: A column's string tests (of one case variant) run as one Aho-Corasick pass over all its
#: distinct values when there are at least this many tests and values.
MULTI_PROBES = 16
MULTI_VALUES = 1
#: Per-value vectors of rule sub-trees kept per batch (a byte per value each).
VECTOR_BYTES = 64 << 20


class _Column:
    """One key's dictionary in a batch: a code per row, the distinct values (last = null)
    and the per-value results of the probes evaluated so far."""

    def __init__(self, batch: Batch, key: Key, codes: Index, values: pa.Table) -> None:
        self.batch, self.key = batch, key
        self.codes = codes
        self.values = values  # the key's columns, one row per code
        self.size = values.num_rows
        self.eager = self.size <= max(EAGER_LIMIT, batch.num_rows * EAGER_SHARE)
        self.results: dict[Probe, Mask] = {}  # lazily evaluated, not yet complete
        self.known: dict[Probe, Mask] = {}
        self._none = np.zeros(self.size, np.bool_)
        self.complete: dict[Probe, Hits] = {}  # known on every value
        self._lowered: pa.Array | None = None
        self._strings: dict[bool, _Strings] = {}
        self.pending: dict[Probe, Index] = {}  # results of the multi-pattern pass, unpacked
        # when first wanted
        self._facts: tuple[Mask, Index] | None = None

    def set_lowered(self, lowered: pa.Array) -> None:
        self._lowered = lowered

    def lowered(self) -> pa.Array:
        """Lower-cased text of a one-column key (DuckDB's ``lower``, as the SQL path)."""
        if self._lowered is None:
            expr = lower_expr(self.key[0], self.batch.schema).sql(DIALECT)
            self._lowered = self.batch.query(self.values, [expr]).column(0).combine_chunks()
        return self._lowered

    def strings(self, lowered: bool) -> _Strings:
        found = self._strings.get(lowered)
        if found is None:
            data = self.lowered() if lowered else self.values.column(0)
            values = data.slice(0, self.size - 1).to_pylist()  # the last slot is null
            found = self._strings[lowered] = _Strings(values)
        return found

    def multi(self, wanted: Sequence[Probe]) -> None:
        """Run the string probes of each case variant in one Aho-Corasick pass over all
        values, when they are many and so are the values."""
        if len(self.key) != 1 or self.size - 1 < MULTI_VALUES:
            return
        wanted = [*wanted, *(self._needle(n) for p in wanted if p.prefilter is not None
                             for n in p.prefilter.needles)]
        for lowered in (False, True):
            found = [p for p in wanted if p.lowered == lowered and p not in self.complete
                     and p not in self.pending and multi_eligible(p)]
            if len(found) >= max(MULTI_PROBES, 1):
                hits = self.strings(lowered).multi(found)
                if hits is not None:
                    self.pending.update(hits)

    def evaluate(self, wanted: Sequence[Probe], entries: Index | None) -> None:
        """Make every probe's result known on ``entries`` (all values when None)."""
        if self.pending:
            for found in wanted:
                hits = self.pending.pop(found, None)
                if hits is not None:
                    self.complete[found] = Hits(self.size, numbers=hits)
        if entries is None:
            todo = [p for p in wanted if p not in self.complete]
        else:
            todo = [p for p in wanted
                    if p not in self.complete and not self.known.get(p, self._none)[entries].all()]
        if not todo:
            return
        if entries is not None:
            known = np.logical_and.reduce([self.known.get(p, self._none) for p in todo])
            entries = entries[~known[entries]]
        self._run(todo, entries)

    def _run(self, todo: Sequence[Probe], entries: Index | None) -> None:
        for probe in todo:
            if probe not in self.results:
                self.results[probe] = np.zeros(self.size, np.bool_)
                self.known[probe] = np.zeros(self.size, np.bool_)
        where = slice(None) if entries is None else entries
        sql = [p for p in todo if p.kind == "sql"]
        if len(sql) < len(todo):
            # string tests: the null slot (last) never matches
            values = None if entries is None else entries[entries < self.size - 1]
            texts = [p for p in todo if p.kind != "sql"]
            if values is None and self.size <= PYTHON_LIMIT:
                for probe in texts:
                    found = self.strings(probe.lowered).evaluate(probe.kind, probe.value, None)
                    self.results[probe][:-1] = found
            else:  # many values: Arrow's byte-wise kernels (the same result, vectorized)
                chosen = slice(None, -1) if values is None else values
                data: dict[bool, pa.Array] = {}
                for probe in texts:
                    if probe.lowered not in data:
                        whole = self.lowered() if probe.lowered else self.values.column(0)
                        whole = whole.slice(0, self.size - 1) if values is None else \
                            whole.take(pa.array(values))
                        data[probe.lowered] = pc.cast(whole, pa.string())
                    self.results[probe][chosen] = _KERNELS[probe.kind](data[probe.lowered],
                                                                       probe.value)
        if sql:
            self._run_sql(sql, entries)
        for probe in todo:
            self.known[probe][where] = True
            if entries is None or self.known[probe].all():
                self.set_results(probe, self.results[probe])

    def _run_sql(self, sql: Sequence[Probe], entries: Index | None) -> None:
        """Run SQL probes in DuckDB on ``entries`` (all values when None), each only on the
        values its prefilter lets through (``CASE WHEN``: DuckDB evaluates the test on
        those rows only); the others are false."""
        rows: Index = np.arange(self.size) if entries is None else entries
        masks = [self.candidates(p, rows) for p in sql]
        if all(m is not None for m in masks):
            needed = np.logical_or.reduce([m for m in masks if m is not None])
            rows = rows[needed]
            masks = [None if m is None else m[needed] for m in masks]
        if not len(rows):
            return
        table = self.values if entries is None and len(rows) == self.size else \
            self.values.take(rows)
        flags: list[str] = []
        for number, (found, mask) in enumerate(zip(sql, masks, strict=True)):
            test = f"COALESCE({found.value}, FALSE)"
            if mask is not None and not mask.all():
                name = f"__wk_candidate{number}"
                table = table.append_column(name, pa.array(mask))
                test = f'CASE WHEN "{name}" THEN {test} ELSE FALSE END'
            flags.append(test)
        lowered = [n for n in self.key if n != TEXT_COLUMN]
        result = self.batch.query(table, flags, lowered)
        for number, found in enumerate(sql):
            self.results[found][rows] = result.column(number).to_numpy(zero_copy_only=False)

    def _needle(self, text: str) -> Probe:
        return probe_for(self.key, "contains", text, lowered=True)

    def _hits(self, found: Probe) -> Hits | None:
        """The complete result of a string probe, if known (from the multi-pattern pass)."""
        done = self.complete.get(found)
        if done is None:
            numbers = self.pending.pop(found, None)
            if numbers is not None:
                done = self.complete[found] = Hits(self.size, numbers=numbers)
        return done

    def candidates(self, found: Probe, rows: Index) -> Mask | None:
        """Which of the values ``rows`` a ``LIKE``/regex probe can hold on: those holding a
        needle of each requirement of its prefilter (:mod:`.literals`), known from the
        multi-pattern pass; None when there is no prefilter or its needles are unknown."""
        pre = found.prefilter
        if pre is None:
            return None
        mask: Mask | None = None
        for needed in pre.requirements:
            hits = [self._hits(self._needle(n)) for n in needed]
            if any(h is None for h in hits):
                return None
            either = np.logical_or.reduce([h.at(rows) for h in hits if h is not None])
            mask = either if mask is None else mask & either
        if mask is not None and pre.non_ascii:
            mask |= self.text_facts()[0][rows]
        if pre.min_length:
            long_enough = self.text_facts()[1][rows] >= pre.min_length
            mask = long_enough if mask is None else mask & long_enough
        return mask

    def known_everywhere(self, node: Probe | Combo | Negation) -> bool:
        """Whether every probe of the node has a complete result."""
        return all(self._hits(p) is not None for p in probes(node))

    def prefiltered(self, found: Probe) -> bool:
        """Whether the probe's prefilter is known (its needles' results are)."""
        return found.prefilter is not None and len(self.key) == 1 and all(
            self._hits(self._needle(n)) is not None for n in found.prefilter.needles)

    def text_facts(self) -> tuple[Mask, Index]:
        """Per value of the raw text: whether it holds a non-ASCII character, and its
        length in characters (null: false, 0)."""
        if self._facts is None:
            raw = pc.cast(self.values.column(0), pa.string())
            self._facts = (pc.invert(pc.string_is_ascii(raw)).fill_null(False).to_numpy(),
                           pc.utf8_length(raw).fill_null(0).to_numpy())
        return self._facts

    def set_results(self, found: Probe, result: Mask) -> None:
        """Store a result known on every value, compact."""
        self.complete[found] = Hits(self.size, mask=result)
        self.results.pop(found, None)
        self.known.pop(found, None)

    def vector(self, node: Probe | Combo | Negation, entries: Index | None) -> Mask:
        """The node's result per value (on ``entries`` only, when given)."""
        self.evaluate(list(probes(node)), entries)
        if entries is None:
            return self._combine(node, slice(None))
        if 4 * len(entries) > self.size:
            # whole vectors combine faster than gathered ones; values not on ``entries``
            # (results unknown there) are dropped after
            whole: Mask = self._combine(node, slice(None))[entries]
            return whole
        return self._combine(node, entries)

    def _combine(self, node: Bound, where: slice | Index) -> Mask:
        if isinstance(node, Probe):
            done = self.complete.get(node)
            return done.at(where) if done is not None else self.results[node][where]
        if isinstance(node, Negation):
            return ~self._combine(node.item, where)
        if isinstance(node, bool):  # pragma: no cover - constants are folded when binding
            return np.full(self.size, node)[where]
        if not node.is_and and isinstance(where, slice) and where == slice(None):
            # an OR on every value: the values of sparse results marked in one vector
            out = np.zeros(self.size, np.bool_)
            for item in node.items:
                done = self.complete.get(item) if isinstance(item, Probe) else None
                if done is not None and done.numbers is not None:
                    out[done.numbers] = True
                else:
                    out |= self._combine(item, where)
            return out
        parts = [self._combine(i, where) for i in node.items]
        reduce = np.logical_and.reduce if node.is_and else np.logical_or.reduce
        result: Mask = reduce(parts)
        return result


class Batch:
    """Rows read once from the table (columns by name) and their dictionaries."""

    def __init__(self, data: pa.RecordBatch, names: dict[str, str], schema: Schema,
                 con: Any) -> None:
        self.data = data
        self.names = names  # table column (or the keyword text) -> column of ``data``
        self.schema = schema
        self.con = con  # a DuckDB cursor for the per-value SQL probes
        self.num_rows = data.num_rows
        self._columns: dict[Key, _Column] = {}
        self._vectors: dict[int, tuple[Bound, Mask]] = {}
        self._vector_bytes = 0

    def prepare(self, wanted: Sequence[Probe]) -> None:
        """Evaluate the probes on every value of the small dictionaries at once: one
        ``lower`` query for all string columns, one SQL query per column."""
        by_key: dict[Key, list[Probe]] = {}
        for probe in wanted:
            by_key.setdefault(probe.key, []).append(probe)
        lower = [self.column(key) for key, found in by_key.items()
                 if len(key) == 1 and key[0] != TEXT_COLUMN and key[0] in self.schema.strings
                 and any(p.lowered for p in found)]
        if lower:
            values = pa.chunked_array([c.values.column(0).cast(pa.string()) for c in lower],
                                      pa.string())
            lowered = self.query(pa.table({"v": values}), ['lower("v")']).column(0)
            start = 0
            for column in lower:
                column.set_lowered(lowered.slice(start, column.size).combine_chunks())
                start += column.size
        combined: list[tuple[_Column, list[Probe]]] = []
        for key, found in by_key.items():
            column = self.column(key)
            column.multi(found)
            if not column.eager:
                continue
            # SQL probes in one query for all columns, but those with a prefilter on their
            # column's own values only
            sql = [p for p in found if p.kind == "sql" and not column.prefiltered(p)]
            if sql and len(key) == 1:
                combined.append((column, sql))
                alone = set(sql)
                found = [p for p in found if p not in alone]
            column.evaluate(found, None)
        if combined:
            self._sql_probes(combined)

    def _sql_probes(self, work: Sequence[tuple[_Column, list[Probe]]]) -> None:
        """The SQL probes of many one-column keys in one query: each key's values form one
        column of a table as long as the longest dictionary (shorter ones padded with
        nulls, whose results are ignored)."""
        longest = max(column.size for column, _ in work)
        values: dict[str, pa.Array] = {}
        lowered: list[str] = []
        for column, _ in work:
            name = column.key[0]
            data = column.values.column(0).combine_chunks()
            values[name] = pa.concat_arrays([data, pa.nulls(longest - column.size, data.type)])
            if name != TEXT_COLUMN:
                lowered.append(name)
        flags = [f"COALESCE({p.value}, FALSE)" for _, found in work for p in found]
        result = self.query(pa.table(values), flags, lowered)
        number = 0
        for column, found in work:
            for found_probe in found:
                flags_of = result.column(number).to_numpy(zero_copy_only=False)
                column.set_results(found_probe, flags_of[:column.size].copy())
                number += 1

    def column(self, key: Key) -> _Column:
        found = self._columns.get(key)
        if found is None:
            found = self._columns[key] = (self._single(key[0]) if len(key) == 1
                                          else self._pair(key))
        return found

    def _single(self, name: str) -> _Column:
        array = self.data.column(self.names[name])
        encoded = pc.dictionary_encode(array)
        dictionary = encoded.dictionary
        values = pa.concat_arrays([dictionary, pa.nulls(1, dictionary.type)])
        # int32 codes: half the memory of intp, and numpy indexes with them as fast
        codes: Index = encoded.indices.fill_null(len(dictionary)).to_numpy().astype(
            np.int32 if len(dictionary) < 1 << 31 else np.intp)
        return _Column(self, (name,), codes, pa.table({name: values}))

    def _pair(self, key: Key) -> _Column:
        parts = [self.column((name,)) for name in key]
        combined = np.zeros(self.num_rows, np.int64)
        for part in parts:
            combined = combined * part.size + part.codes
        unique, inverse = np.unique(combined, return_inverse=True)
        columns: dict[str, pa.Array] = {}
        rest = unique
        for part, name in reversed(list(zip(parts, key, strict=True))):
            columns[name] = part.values.column(0).take(pa.array(rest % part.size))
            rest = rest // part.size
        values = pa.table({name: columns[name] for name in key})
        return _Column(self, key, inverse.astype(np.intp).reshape(-1), values)

    def release(self) -> None:
        """Drop the dictionaries and vectors (each column refers back to its batch, so
        without this a batch's memory waits for the cyclic garbage collector)."""
        self._columns.clear()
        self._vectors.clear()

    def whole(self, node: Probe | Combo | Negation, column: _Column) -> bool:
        """Whether a single-key node is evaluated on all of its column's values: the column
        is eager, or every test of the node is already known on all values."""
        return column.eager or column.known_everywhere(node)

    def vector(self, node: Probe | Combo | Negation, column: _Column) -> Mask:
        """A single-key node's result on every value of its column (cached, up to
        :data:`VECTOR_BYTES` of vectors per batch)."""
        found = self._vectors.get(id(node))
        if found is None:
            if self._vector_bytes > VECTOR_BYTES:
                self._vectors.clear()
                self._vector_bytes = 0
            found = self._vectors[id(node)] = (node, column.vector(node, None))
            self._vector_bytes += found[1].nbytes
        return found[1]

    def query(self, values: pa.Table, select: Sequence[str],
              lowered: Sequence[str] = ()) -> pa.Table:
        """Evaluate SQL expressions (generated text) over ``values`` (plus the ``__lc__``
        columns of ``lowered``) in DuckDB, one output column each, in row order."""
        name = f"__wk_values_{uuid.uuid4().hex}"
        # a lake connection does not preserve insertion order: the position column and
        # ORDER BY keep each result row next to its value
        values = values.append_column(_POSITION, pa.array(np.arange(values.num_rows)))
        source = _values_sql(tuple(values.column_names), tuple(lowered), self.schema, name)
        items = ", ".join(f"{text} AS p{i}" for i, text in enumerate(select))
        text = f'SELECT {items} FROM ({source}) AS v ORDER BY v."{_POSITION}"'
        self.con.register(name, values)
        try:
            result: pa.Table = self.con.sql(text).to_arrow_table()
        finally:
            self.con.unregister(name)
        return result


_POSITION = "__wk_position"


def _values_sql(names: tuple[str, ...], lowered: tuple[str, ...], schema: Schema,
                table: str) -> str:
    """``SELECT`` the columns ``names`` and the lower-cased ``lowered`` from ``table``
    (generated once per shape: sqlglot's generator cost ~3 ms a query)."""
    return _values_template(names, lowered, schema).replace(_TABLE, table)


@lru_cache(maxsize=4096)
def _values_template(names: tuple[str, ...], lowered: tuple[str, ...], schema: Schema) -> str:
    inner: list[exp.Expr] = [col(n) for n in names]
    inner += [lower_expr(n, schema).as_(lower_alias(n), quoted=True) for n in lowered]
    source = exp.Table(this=exp.to_identifier(_TABLE, quoted=True))
    return exp.select(*inner).from_(source).sql(DIALECT)


_TABLE = "__wk_values_table__"


__all__ = ["SPARSE_SHARE", "Batch", "Bound", "Combo", "Hits", "Index", "Key", "Mask", "Negation",
           "Probe", "bind",
           "columns_read", "keys_of", "probes"]
