"""The fused runner (dictionary evaluation) gives exactly the matches of one SQL query per
rule: every compiled SigmaHQ Windows rule over every regression sample, in the default
mode, with every column evaluated lazily, with small batches and with every column's string
tests in one Aho-Corasick pass; plus golden edge cases."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest
from sigma.collection import SigmaCollection

from watchkeeper.detect import (
    CompiledRule,
    RuleSet,
    compile_rule,
    compile_rules,
    connect_table,
    run_rules,
    run_rules_per_rule,
)
from watchkeeper.detect.sigma import dictionary

from .conftest import events_table


def pairs(matches: pa.Table) -> set[tuple[str, str]]:
    return set(zip(matches["rule_id"].to_pylist(), matches["event_id"].to_pylist(),
                   strict=True))


@pytest.fixture(scope="module")
def events(regression_events: pa.Table) -> pa.Table:
    return regression_events


@pytest.fixture(scope="module")
def rules(corpus: RuleSet) -> list[CompiledRule]:
    return compile_rules([r for r in corpus.rules if r.logsource.product == "windows"]).rules


@pytest.fixture(scope="module")
def per_rule(rules: list[CompiledRule], events: pa.Table) -> set[tuple[str, str]]:
    return pairs(run_rules_per_rule(rules, connect_table(events)))


@pytest.mark.slow
def test_fused_equals_per_rule_on_all_rules(rules: list[CompiledRule], events: pa.Table,
                                            per_rule: set[tuple[str, str]]) -> None:
    fused = run_rules(rules, connect_table(events))
    assert fused.num_rows == len(pairs(fused))  # one row per rule and event
    assert pairs(fused) == per_rule
    assert len(rules) > 2500 and len({r for r, _ in per_rule}) > 150  # not vacuous


@pytest.mark.slow
def test_lazy_columns_and_small_batches_agree(rules: list[CompiledRule], events: pa.Table,
                                              per_rule: set[tuple[str, str]],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Every dictionary evaluated lazily (on the rows reaching a test); 37-row batches with
    string tests on Arrow kernels instead of Python strings."""
    monkeypatch.setattr(dictionary, "EAGER_LIMIT", 0)
    monkeypatch.setattr(dictionary, "EAGER_SHARE", 0.0)
    assert pairs(run_rules(rules, connect_table(events))) == per_rule
    monkeypatch.undo()
    monkeypatch.setattr(dictionary, "PYTHON_LIMIT", 0)  # string tests via Arrow kernels
    assert pairs(run_rules(rules, connect_table(events), batch_rows=37)) == per_rule


@pytest.mark.slow
@pytest.mark.parametrize("lazy", [False, True])
def test_multi_pattern_pass_agrees(rules: list[CompiledRule], events: pa.Table,
                                   per_rule: set[tuple[str, str]], lazy: bool,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Every column's string tests forced into the one Aho-Corasick pass (the samples'
    dictionaries are below the thresholds), eager and lazy."""
    passes: list[int] = []
    original = dictionary._Strings.multi

    def counted(self: dictionary._Strings, found: Any) -> Any:
        passes.append(len(found))
        return original(self, found)

    monkeypatch.setattr(dictionary._Strings, "multi", counted)
    monkeypatch.setattr(dictionary, "MULTI_PROBES", 0)
    monkeypatch.setattr(dictionary, "MULTI_VALUES", 0)
    if lazy:
        monkeypatch.setattr(dictionary, "EAGER_LIMIT", 0)
        monkeypatch.setattr(dictionary, "EAGER_SHARE", 0.0)
    assert pairs(run_rules(rules, connect_table(events))) == per_rule
    assert sum(passes) > 5000  # most string tests ran in the pass


@pytest.mark.slow
def test_a_connection_that_reorders_rows_gives_the_same_matches(
        rules: list[CompiledRule], events: pa.Table, per_rule: set[tuple[str, str]]) -> None:
    """The lake's DuckDB connections do not preserve insertion order (and may run on many threads):
    per-value results must still line up with their values."""
    import duckdb
    import ibis

    con = duckdb.connect(config={"preserve_insertion_order": False, "threads": 8})
    table = ibis.duckdb.from_connection(con).create_table("events", ibis.memtable(events))
    assert pairs(run_rules(rules, table)) == per_rule


RULE = """
title: test
id: 00000000-0000-0000-0000-0000000000{number:02d}
logsource:
    product: windows
    {logsource}
detection:
{detection}
"""

EVENTS: list[dict[str, Any]] = [
    {},
    {"CommandLine": "CMD.EXE /C WHOAMI\nnet user", "Image": "C:\\Tools\\Cmd.exe"},
    {"CommandLine": None, "ParentImage": None},
    {"CommandLine": "", "Image": "C:\\a%b_c\\x.exe", "IntegrityLevel": "High"},
    {"channel": "Security", "event_code": 4688, "Image": None,
     "NewProcessName": "C:\\Windows\\System32\\cmd.exe", "ParentProcessName": "C:\\x.exe"},
    {"Image": "C:\\Windows\\explorer.exe", "CommandLine": "explorer.exe"},
    {"event_code": 3, "DestinationIp": "10.1.2.3", "DestinationPort": "445"},
    {"event_code": 3, "DestinationIp": "fe80::1", "DestinationPort": "x"},
]

DETECTIONS = [
    ("category: process_creation", "sel:\n  Image|endswith: '\\cmd.exe'\ncondition: sel"),
    ("category: process_creation", "sel:\n  CommandLine|contains: 'WHOAMI'\ncondition: sel"),
    ("category: process_creation", "sel:\n  CommandLine|cased: 'cmd.exe /c whoami'\n"
                                   "condition: sel"),
    ("category: process_creation", "sel:\n  CommandLine|contains|cased: 'WHOAMI'\n"
                                   "condition: sel"),
    ("category: process_creation", "sel:\n  CommandLine: null\ncondition: sel"),
    ("category: process_creation", "sel:\n  CommandLine: ''\ncondition: sel"),
    ("category: process_creation", "sel:\n  CommandLine|exists: false\ncondition: sel"),
    ("category: process_creation", "sel:\n  Missing|exists: false\ncondition: sel"),
    ("category: process_creation", "sel:\n  Missing: 'x'\ncondition: not sel"),
    ("category: process_creation", "sel:\n  CommandLine|contains: 'whoami'\n"
                                   "condition: not sel"),
    ("category: process_creation", "sel:\n  CommandLine|re: '(?i)whoami$'\ncondition: sel"),
    ("category: process_creation", "sel:\n  CommandLine|re: '^net'\ncondition: sel"),
    ("category: process_creation", "sel:\n  CommandLine|re|m: '^net'\ncondition: sel"),
    ("category: process_creation", "sel:\n  Image: 'c:\\*%b_c*'\ncondition: sel"),
    ("category: process_creation", "sel:\n  Image: 'c:\\*\\x.exe'\ncondition: sel"),
    ("category: process_creation", "sel:\n  Image|fieldref: NewProcessName\ncondition: sel"),
    ("category: process_creation", "sel:\n  ParentImage|fieldref|endswith: Image\n"
                                   "condition: not sel"),
    ("category: process_creation", "a:\n  Image|endswith: '.exe'\nb:\n  CommandLine|contains:"
                                   " 'user'\nc:\n  ParentImage|contains: 'explorer'\n"
                                   "condition: a and (b or not c)"),
    ("category: process_creation", "keywords:\n  - 'whoami'\n  - 'c:\\x.exe'\n"
                                   "condition: keywords"),
    ("category: process_creation", "keywords:\n  - 'whoami*user'\ncondition: keywords"),
    ("category: process_creation", "keywords:\n  - 'whoami\nnet'\ncondition: keywords"),
    ("category: process_creation", "keywords:\n  - 'high'\ncondition: not keywords"),
    ("category: process_creation", "sel:\n  EventID: 1\ncondition: sel"),
    ("category: process_creation", "sel:\n  EventID|gt: 1000\ncondition: sel"),
    ("category: process_creation", "sel:\n  EventID|startswith: '46'\ncondition: sel"),
    ("category: network_connection", "sel:\n  DestinationIp|cidr: '10.0.0.0/8'\n"
                                     "condition: sel"),
    ("category: network_connection", "sel:\n  DestinationPort|lt: 1000\ncondition: sel"),
    ("category: network_connection", "sel:\n  DestinationPort: 445\ncondition: sel"),
    ("category: network_connection", "sel:\n  DestinationIp|startswith: 'FE80:'\n"
                                     "condition: sel"),
]


def compiled(number: int, logsource: str, detection: str) -> CompiledRule:
    text = RULE.format(number=number, logsource=logsource,
                       detection="\n".join("    " + line for line in detection.splitlines()))
    return compile_rule(SigmaCollection.from_yaml(text).rules[0])


@pytest.mark.parametrize("lazy", [False, True])
@pytest.mark.parametrize("python_limit", [0, dictionary.PYTHON_LIMIT])
def test_golden_edge_cases_agree(lazy: bool, python_limit: int,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dictionary, "PYTHON_LIMIT", python_limit)
    if lazy:
        monkeypatch.setattr(dictionary, "EAGER_LIMIT", 0)
        monkeypatch.setattr(dictionary, "EAGER_SHARE", 0.0)
    rules = [compiled(i, *d) for i, d in enumerate(DETECTIONS)]
    table = connect_table(events_table(*EVENTS))
    fused, single = run_rules(rules, table), run_rules_per_rule(rules, table)
    assert pairs(fused) == pairs(single)
    assert fused.num_rows == len(pairs(fused))
    fired = {rule for rule, _ in pairs(single)}
    assert len(fired) > len(rules) // 2  # most cases match something
    assert len(fired) < len(rules)  # and some match nothing


def test_fields_are_read_per_route() -> None:
    rule = compiled(1, "category: process_creation",
                    "sel:\n  Image|endswith: '\\cmd.exe'\ncondition: sel")
    table = connect_table(events_table(*EVENTS))
    found = run_rules([rule], table, fields=["Image", "ParentImage"])
    rows = sorted(zip(found["Image"].to_pylist(), found["ParentImage"].to_pylist(),
                      strict=True), key=str)
    assert rows == sorted([("C:\\Windows\\System32\\cmd.exe", "C:\\Windows\\explorer.exe"),
                           ("C:\\Tools\\Cmd.exe", "C:\\Windows\\explorer.exe"),
                           ("C:\\Windows\\System32\\cmd.exe", None),
                           ("C:\\Windows\\System32\\cmd.exe", "C:\\x.exe")], key=str)


def test_no_rules_and_no_rows() -> None:
    table = connect_table(events_table({}))
    assert run_rules([], table).num_rows == 0
    rule = compiled(1, "service: security", "sel:\n  Image: x\ncondition: sel")
    assert run_rules([rule], table).num_rows == 0
