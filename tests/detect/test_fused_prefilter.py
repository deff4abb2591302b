"""Literal prefilters for ``LIKE``/regex tests (:mod:`watchkeeper.detect.sigma.literals`):
a prefilter only ever drops values DuckDB's test rejects (property test over random values
and patterns: wildcards, case-insensitive and cased, regex flags, Unicode case folding),
and the fused runner using it gives exactly the matches of one query per rule."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import duckdb
import pyarrow as pa
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from watchkeeper.detect import CompiledRule, connect_table, run_rules, run_rules_per_rule
from watchkeeper.detect.sigma import dictionary
from watchkeeper.detect.sigma.compiler import Branch
from watchkeeper.detect.sigma.ir import StrMatch
from watchkeeper.detect.sigma.literals import Prefilter, prefilter
from watchkeeper.detect.sigma.pipeline import Route

from .conftest import events_table

# ASCII letters of both cases, letters RE2 folds onto ASCII ones (long s, Kelvin sign),
# letters whose lower case is not one character in Python (dotted I), separators
ALPHABET = "abcksSKxX.-:\\ %_é\u017f\u212a\u0130\u00df"
VALUE = st.text(alphabet=ALPHABET, max_size=10)
LITERAL = st.text(alphabet="abcksSKX.-:\\ é\u017f\u212a", min_size=2, max_size=5)


def _escape(text: str) -> str:
    return "".join("\\" + c if c in ".\\-" else c for c in text)


#: Characters RE2 treats as the same letter under ``(?i)``, some not lower-cased to it
FOLDS = {"s": "sS\u017f", "S": "sS\u017f", "k": "kK\u212a", "K": "kK\u212a", "a": "aA",
         "b": "bB", "c": "cC", "x": "xX", "X": "xX", "\u017f": "sS\u017f",
         "\u212a": "kK\u212a"}


def variants(text: str) -> st.SearchStrategy[str]:
    """``text`` with each letter in any of its case-folded forms, within other text."""
    folded = st.tuples(*[st.sampled_from(FOLDS.get(c, c)) for c in text]).map("".join)
    return st.tuples(VALUE, folded, VALUE).map("".join)


@st.composite
def regexes(draw: st.DrawFn) -> tuple[str, list[str]]:
    """Patterns built from literals, classes, repeats, groups, alternations and flags;
    and the literals used."""
    literals: list[str] = []

    def literal() -> str:
        literals.append(draw(LITERAL))
        return _escape(literals[-1])

    parts: list[str] = []
    for _ in range(draw(st.integers(1, 5))):
        atom = draw(st.sampled_from([".", ".*", "\\s", "\\w", "[ab]", "[^k]", "\\b", "^",
                                     "$", ".{3,}", "\\w{4}", "literal", "literal"]))
        atom = literal() if atom == "literal" else atom
        shape = draw(st.sampled_from(["", "?", "+", "*", "{2}", "group", "either",
                                      "scoped"]))
        if shape == "group":
            atom = f"({atom})"
        elif shape == "either":
            atom = f"(?:{atom}|{literal()})"
        elif shape == "scoped":
            atom = f"(?i:{atom})"
        elif shape:
            atom = f"(?:{atom}){shape}"
        parts.append(atom)
    flags = draw(st.sampled_from(["", "(?i)", "(?i)", "(?s)", "(?is)", "(?m)"]))
    return flags + "".join(parts), literals


def values_for(literals: list[str]) -> st.SearchStrategy[list[str]]:
    """Random values, and values holding the pattern's literals in other cases."""
    near = st.sampled_from(literals).flatmap(variants) if literals else VALUE
    return st.lists(st.one_of(near, near, VALUE), min_size=1, max_size=12)


@st.composite
def likes(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.one_of(LITERAL.filter(lambda t: "\\" not in t),
                                    st.sampled_from(["%", "_"])), min_size=1, max_size=5))
    return "".join(parts)


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    yield connection
    connection.close()


def holds(con: duckdb.DuckDBPyConnection, kind: str, pattern: str, cased: bool,
          values: list[str]) -> list[tuple[str, str, bool]]:
    """Per value: itself, DuckDB's ``lower`` of it and whether DuckDB's test holds."""
    table = pa.table({"v": pa.array(values, pa.string())})
    test = ("regexp_matches(v, $p)" if kind == "regex"
            else "v LIKE $p" if cased else "lower(v) LIKE $p")
    con.register("vals", table)
    try:
        rows: list[tuple[str, str, bool]] = con.execute(
            f"SELECT v, lower(v), {test} FROM vals", {"p": pattern}).fetchall()
    except duckdb.Error:
        assume(False)  # not a pattern RE2 reads
        raise
    finally:
        con.unregister("vals")
    return rows


def admits(found: Prefilter, value: str, lowered: str) -> bool:
    if len(value) < found.min_length:
        return False
    if found.non_ascii and not value.isascii():
        return True
    return all(any(n in lowered for n in needed) for needed in found.requirements)


@settings(max_examples=600, deadline=None)
@given(regex=regexes(), data=st.data())
def test_regex_prefilter_keeps_every_match(con: duckdb.DuckDBPyConnection,
                                           regex: tuple[str, list[str]],
                                           data: st.DataObject) -> None:
    pattern, literals = regex
    values = data.draw(values_for(literals))
    found = prefilter("regex", pattern)
    if found is None:  # nothing to check (e.g. every literal optional)
        return
    for value, lowered, matched in holds(con, "regex", pattern, True, values):
        if matched:
            assert admits(found, value, lowered), (pattern, value, found)


@settings(max_examples=300, deadline=None)
@given(pattern=likes(), cased=st.booleans(), values=st.lists(VALUE, max_size=12))
def test_like_prefilter_keeps_every_match(con: duckdb.DuckDBPyConnection, pattern: str,
                                          cased: bool, values: list[str]) -> None:
    pattern = pattern if cased else pattern.lower()
    found = prefilter("like", pattern)
    if found is None:
        return
    for value, lowered, matched in holds(con, "like", pattern, cased, values):
        if matched:
            assert admits(found, value, lowered), (pattern, value, found)


def test_prefilter_golden_cases() -> None:
    assert prefilter("regex", r"(?i)\\system32\\(cmd|powershell)\.exe") == Prefilter(
        (("\\system32\\",), (".exe",), ("cmd", "powershell")), non_ascii=True,
        min_length=17)
    assert prefilter("like", "%ipconfig%|%find%") == Prefilter((("ipconfig",), ("find",)))
    cased = prefilter("regex", r"Invoke-\w+Mimikatz")
    assert cased == Prefilter((("mimikatz",), ("invoke-",)), min_length=16)
    assert prefilter("regex", ".{1000,}") == Prefilter((), min_length=1000)
    assert prefilter("regex", "(?i)ab.{20}") == Prefilter((("ab",),), True, 22)
    # no literal of two characters, or syntax read differently by Python and RE2
    for pattern in (r"\s-[ab]\s", r"[[:alpha:]]+abc", r"\x41bcd", r"\Qabc\E", r"\pLabc",
                    r"(?x) a b c", r"abc\z", r"(?#c)abc", "a?b*"):
        assert prefilter("regex", pattern) is None, pattern


RULE_ROUTE = Route("process_creation", ("Microsoft-Windows-Sysmon/Operational",), (1,))


def rule(number: int, test: StrMatch) -> CompiledRule:
    return CompiledRule(f"rule-{number}", f"rule {number}", "high", "test", (),
                        ("windows", "process_creation", None), None,
                        (Branch(RULE_ROUTE, test),))


def pairs(matches: pa.Table) -> set[tuple[str, str]]:
    return set(zip(matches["rule_id"].to_pylist(), matches["event_id"].to_pylist(),
                   strict=True))


@settings(max_examples=60, deadline=None)
@given(tests=st.lists(st.one_of(regexes().map(lambda r: ("regex", r[0], True)),
                                st.tuples(st.just("like"), likes(), st.booleans())),
                      min_size=1, max_size=6),
       values=st.lists(VALUE, min_size=1, max_size=16), lazy=st.booleans())
def test_fused_prefiltered_tests_equal_per_rule(con: duckdb.DuckDBPyConnection,
                                                tests: list[tuple[str, str, bool]],
                                                values: list[str], lazy: bool) -> None:
    """Needles found in the multi-pattern pass (forced on), the exact test run on the
    values they let through, eagerly or lazily: the same matches as plain SQL."""
    checked = [(kind, p if cased or kind == "regex" else p.lower(), cased)
               for kind, p, cased in tests]
    for kind, pattern, cased in checked:
        holds(con, kind, pattern, cased, [""])  # RE2 must read the pattern
    rules = [rule(n, StrMatch("CommandLine", kind, pattern, cased))  # type: ignore[arg-type]
             for n, (kind, pattern, cased) in enumerate(checked)]
    table = connect_table(events_table(*[{"CommandLine": v} for v in [*values, None]]))
    used: list[int] = []
    original = dictionary._Column.candidates

    def counted(self: Any, found: Any, rows: Any) -> Any:
        mask = original(self, found, rows)
        used.append(mask is not None)
        return mask

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(dictionary._Column, "candidates", counted)
        patch.setattr(dictionary, "MULTI_PROBES", 0)
        patch.setattr(dictionary, "MULTI_VALUES", 0)
        if lazy:
            patch.setattr(dictionary, "EAGER_LIMIT", 0)
            patch.setattr(dictionary, "EAGER_SHARE", 0.0)
        fused = run_rules(rules, table)
    assert pairs(fused) == pairs(run_rules_per_rule(rules, table))
    if any(prefilter(kind, pattern) for kind, pattern, _ in checked):
        assert any(used)  # a prefilter really chose the values


def test_prefilter_sends_only_candidates_to_duckdb() -> None:
    """1,000 command lines, 10 holding the literal: the regex runs on those 10 only."""
    values = [f"c:\\tools\\app{i}.exe --run {i}" for i in range(990)]
    values += [f"powershell -enc QQ{i} -Invoke-Mimikatz" for i in range(10)]
    table = connect_table(events_table(*[{"CommandLine": v} for v in values]))
    rules = [rule(0, StrMatch("CommandLine", "regex", r"Invoke-\w+Mimikatz|Mimikatz", True)),
             rule(1, StrMatch("CommandLine", "like", "%-enc%mimikatz%"))]
    rules += [rule(2 + n, StrMatch("CommandLine", "contains", f"app{n}."))
              for n in range(dictionary.MULTI_PROBES)]
    sizes: list[int] = []
    original = dictionary.Batch.query

    def recorded(self: Any, values: pa.Table, select: Any, lowered: Any = ()) -> Any:
        if any("mimikatz" in s.lower() for s in select):
            sizes.append(values.num_rows)
        return original(self, values, select, lowered)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(dictionary.Batch, "query", recorded)
        patch.setattr(dictionary, "MULTI_VALUES", 100)
        fused = run_rules(rules, table)
    assert pairs(fused) == pairs(run_rules_per_rule(rules, table))
    assert {r for r, _ in pairs(fused)} >= {"rule-0", "rule-1"}
    assert sizes and max(sizes) <= 10
