"""The Aho-Corasick pass of the fused runner (many string tests on many distinct values)
gives exactly the per-test results: property test against Python's string methods, and
golden edge cases (overlapping needles, a needle equal to the value, empty values, the same
text in tests of different kinds, unicode) against one SQL query per rule."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sigma.collection import SigmaCollection

from watchkeeper.detect import (
    CompiledRule,
    compile_rule,
    connect_table,
    run_rules,
    run_rules_per_rule,
)
from watchkeeper.detect.sigma import dictionary
from watchkeeper.detect.sigma import probes as binding
from watchkeeper.detect.sigma import strings as strings_module
from watchkeeper.detect.sigma.probes import Probe
from watchkeeper.detect.sigma.strings import _TEST, _Strings

from .conftest import events_table

KINDS = ("eq", "contains", "startswith", "endswith")
TEXT = st.text(alphabet="abAB\\ .é\u0130\U0001f600\x00", max_size=6)


@settings(max_examples=300, deadline=None)
@given(values=st.lists(TEXT, max_size=12),
       tests=st.lists(st.tuples(st.sampled_from(KINDS), TEXT), max_size=12),
       chunk=st.sampled_from([1, 2, 5, strings_module.MULTI_CHUNK]),
       frequent=st.sampled_from([None, 0.0, 0.5, 2.0]), step=st.sampled_from([1, 3]))
def test_multi_pass_equals_python_string_tests(values: list[str],
                                               tests: list[tuple[str, str]],
                                               chunk: int, frequent: float | None,
                                               step: int) -> None:
    """Also with the joined text searched in slices of ``chunk`` characters (cut at
    separators; the default is megabytes, so only these small slices split values), and
    with the needles estimated frequent (on every ``step``-th value; share 0: all of them
    that occur) tested value by value."""
    found = list(dict.fromkeys(binding.probe(("c",), kind, value) for kind, value in tests
                               if value and "\x00" not in value))
    strings = _Strings(values)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(strings_module, "MULTI_CHUNK", chunk)
        if frequent is not None:
            patch.setattr(strings_module, "FREQUENT_MIN_VALUES", 0)
            patch.setattr(strings_module, "FREQUENT_SHARE", frequent)
            patch.setattr(strings_module, "SAMPLE_STEP", step)
        hits = strings.multi(found)
    if any("\x00" in v for v in values) and found:
        assert hits is None
        return
    assert hits is not None and set(hits) == set(found)
    for probe in found:
        expected = [i for i, v in enumerate(values) if _TEST[probe.kind](v, probe.value)]
        assert hits[probe].tolist() == expected, (probe, values)


def test_multi_pass_edge_cases() -> None:
    values = ["aaa", "aa", "a", "", "ba", "ab", "x\\cmd.exe", "cmd.exe", "é\U0001f600é"]
    tests = [(k, v) for k in KINDS
             for v in ("a", "aa", "aaa", "aaaa", "ab", "ba", "cmd.exe", "\\cmd.exe", "é",
                       "\U0001f600é", "é\U0001f600é")]
    found = [binding.probe(("edge",), k, v) for k, v in tests]
    hits = _Strings(values).multi(found)
    assert hits is not None
    for probe in found:
        expected = [i for i, v in enumerate(values) if _TEST[probe.kind](v, probe.value)]
        assert hits[probe].tolist() == expected, probe
    assert not dictionary.multi_eligible(Probe(("edge",), "contains", ""))
    assert not dictionary.multi_eligible(Probe(("edge",), "eq", "a\x00"))
    assert not dictionary.multi_eligible(Probe(("edge",), "sql", "TRUE"))


RULE = """
title: test
id: 00000000-0000-0000-0000-0000000001{number:02d}
logsource:
    product: windows
    category: process_creation
detection:
{detection}
"""

VALUES = ["aaa", "aa", "", "ab", "cmd.exe", "CMD.EXE /c whoami", "x\\cmd.exe", "İstanbul",
          "ǅemal é\U0001f600", "whoami", "who", "/c whoami /all"]
DETECTIONS = [
    f"sel:\n  CommandLine|{mod}: '{value}'\ncondition: sel" if mod else
    f"sel:\n  CommandLine: '{value}'\ncondition: sel"
    for mod in ("", "contains", "startswith", "endswith", "contains|cased", "endswith|cased")
    for value in ("a", "aa", "aaa", "cmd.exe", "whoami", "who", "i̇stanbul", "İstanbul",
                  "ǆemal", "é\U0001f600", "/c whoami", "")
] + [
    "sel:\n  CommandLine|contains|all: ['who', 'ami', 'oam']\ncondition: sel",
    "sel:\n  CommandLine|contains: 'who'\nnot1:\n  CommandLine|endswith: 'who'\n"
    "condition: sel and not not1",
    "keywords:\n  - 'whoami'\n  - 'aa'\ncondition: keywords",
]


def compiled(number: int, detection: str) -> CompiledRule:
    text = RULE.format(number=number,
                       detection="\n".join("    " + line for line in detection.splitlines()))
    return compile_rule(SigmaCollection.from_yaml(text).rules[0])


@pytest.mark.parametrize("lazy", [False, True])
def test_forced_multi_pass_agrees_with_per_rule(lazy: bool,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    original = _Strings.multi

    def counted(self: _Strings, found: Any) -> Any:
        calls.append(len(found))
        return original(self, found)

    monkeypatch.setattr(_Strings, "multi", counted)
    monkeypatch.setattr(dictionary, "MULTI_PROBES", 0)
    monkeypatch.setattr(dictionary, "MULTI_VALUES", 0)
    if lazy:
        monkeypatch.setattr(dictionary, "EAGER_LIMIT", 0)
        monkeypatch.setattr(dictionary, "EAGER_SHARE", 0.0)
    rules = [compiled(i, d) for i, d in enumerate(DETECTIONS)]
    table = connect_table(events_table(*[{"CommandLine": v} for v in [*VALUES, None]]))
    fused, single = run_rules(rules, table), run_rules_per_rule(rules, table)
    pairs = set(zip(fused["rule_id"].to_pylist(), fused["event_id"].to_pylist(), strict=True))
    assert pairs == set(zip(single["rule_id"].to_pylist(), single["event_id"].to_pylist(),
                            strict=True))
    assert fused.num_rows == len(pairs)
    assert max(calls) > 40  # the column's tests ran in the multi-pattern pass
    assert len({r for r, _ in pairs}) > len(rules) // 2


def test_values_with_the_separator_take_the_per_test_path(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dictionary, "MULTI_PROBES", 0)
    monkeypatch.setattr(dictionary, "MULTI_VALUES", 0)
    rules = [compiled(i, d) for i, d in enumerate(DETECTIONS)]
    table = connect_table(events_table(*[{"CommandLine": v} for v in [*VALUES, "a\x00who"]]))
    fused, single = run_rules(rules, table), run_rules_per_rule(rules, table)
    assert set(zip(fused["rule_id"].to_pylist(), fused["event_id"].to_pylist(), strict=True)) \
        == set(zip(single["rule_id"].to_pylist(), single["event_id"].to_pylist(), strict=True))
