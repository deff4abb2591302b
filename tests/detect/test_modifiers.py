"""Each Sigma value modifier, on golden events: a base event overridden per case."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from sigma.collection import SigmaCollection

from watchkeeper.detect import (
    compile_rule,
    connect_table,
    load_rules,
    run_rules,
    run_rules_per_rule,
)
from watchkeeper.detect.sigma.pipeline import generic_pipeline, windows_pipeline

from .conftest import events_table

RULE = """
title: test
id: 00000000-0000-0000-0000-000000000001
logsource:
    product: windows
    category: process_creation
detection:
{detection}
"""


def matches(detection: str, event: dict[str, Any], **pipeline: Any) -> bool:
    text = RULE.format(detection="\n".join("    " + line for line in detection.splitlines()))
    rule = SigmaCollection.from_yaml(text).rules[0]
    compiled = compile_rule(rule, windows_pipeline(**pipeline))
    table = connect_table(events_table(event))
    fused = run_rules([compiled], table).num_rows
    single = run_rules_per_rule([compiled], table).num_rows
    assert fused == single
    return fused == 1


SEL = "condition: sel\n"
CASES = [
    # (detection, event override, expected)
    ("sel:\n  Image|endswith: '\\cmd.exe'\n" + SEL, {}, True),
    ("sel:\n  Image|endswith: '\\CMD.EXE'\n" + SEL, {}, True),
    ("sel:\n  Image|endswith: '\\cmd.ex'\n" + SEL, {}, False),
    ("sel:\n  Image|startswith: 'c:\\windows'\n" + SEL, {}, True),
    ("sel:\n  Image|startswith: 'windows'\n" + SEL, {}, False),
    ("sel:\n  CommandLine|contains: 'WHOAMI'\n" + SEL, {}, True),
    ("sel:\n  CommandLine|contains: 'net user'\n" + SEL, {}, False),
    ("sel:\n  CommandLine|contains|all: ['cmd', 'whoami']\n" + SEL, {}, True),
    ("sel:\n  CommandLine|contains|all: ['cmd', 'ipconfig']\n" + SEL, {}, False),
    ("sel:\n  CommandLine: 'cmd.exe /c whoami'\n" + SEL, {}, True),
    ("sel:\n  CommandLine: 'cmd.exe'\n" + SEL, {}, False),
    ("sel:\n  CommandLine|cased: 'cmd.exe /c whoami'\n" + SEL, {}, True),
    ("sel:\n  CommandLine|cased: 'CMD.exe /c whoami'\n" + SEL, {}, False),
    ("sel:\n  CommandLine|contains|cased: 'WHOAMI'\n" + SEL, {}, False),
    ("sel:\n  CommandLine|re: 'who[a-z]+$'\n" + SEL, {}, True),
    ("sel:\n  CommandLine|re: 'WHO[a-z]+$'\n" + SEL, {}, False),
    ("sel:\n  CommandLine|re|i: 'WHO[a-z]+$'\n" + SEL, {}, True),
    ("sel:\n  CommandLine|re|m: '^whoami$'\n" + SEL, {"CommandLine": "cmd\nwhoami"}, True),
    ("sel:\n  CommandLine|re: '^whoami$'\n" + SEL, {"CommandLine": "cmd\nwhoami"}, False),
    ("sel:\n  CommandLine|re|s: 'cmd.whoami'\n" + SEL, {"CommandLine": "cmd\nwhoami"}, True),
    ("sel:\n  CommandLine|re: 'cmd.whoami'\n" + SEL, {"CommandLine": "cmd\nwhoami"}, False),
    ("sel:\n  DestinationIp|cidr: '10.0.0.0/8'\n" + SEL, {"DestinationIp": "10.1.2.3"}, True),
    ("sel:\n  DestinationIp|cidr: '10.0.0.0/8'\n" + SEL, {"DestinationIp": "100.1.2.3"}, False),
    ("sel:\n  DestinationIp|cidr: '192.168.1.0/25'\n" + SEL, {"DestinationIp": "192.168.1.7"},
     True),
    ("sel:\n  DestinationIp|cidr: '192.168.1.0/25'\n" + SEL, {"DestinationIp": "192.168.1.200"},
     False),
    ("sel:\n  CommandLine|windash|contains: ' -enc '\n" + SEL, {"CommandLine": "ps /enc x"},
     True),
    ("sel:\n  CommandLine|windash|contains: ' -enc '\n" + SEL, {"CommandLine": "ps \u2013enc x"},
     True),
    ("sel:\n  CommandLine|windash|contains: ' -enc '\n" + SEL, {"CommandLine": "ps enc x"},
     False),
    ("sel:\n  CommandLine|exists: true\n" + SEL, {}, True),
    ("sel:\n  CommandLine|exists: true\n" + SEL, {"CommandLine": None}, False),
    ("sel:\n  CommandLine|exists: false\n" + SEL, {"CommandLine": None}, True),
    ("sel:\n  Nowhere|exists: false\n" + SEL, {}, True),
    ("sel:\n  Image|fieldref: ParentImage\n" + SEL,
     {"ParentImage": "C:\\WINDOWS\\System32\\CMD.exe"}, True),
    ("sel:\n  Image|fieldref: ParentImage\n" + SEL, {}, False),
    ("sel:\n  ProcessId|gt: 100\n" + SEL, {"ProcessId": "4321"}, True),
    ("sel:\n  ProcessId|gte: 4321\n" + SEL, {"ProcessId": "4321"}, True),
    ("sel:\n  ProcessId|lt: 100\n" + SEL, {"ProcessId": "4321"}, False),
    ("sel:\n  ProcessId|lte: 4321\n" + SEL, {"ProcessId": "4321"}, True),
    ("sel:\n  ProcessId|gt: 100\n" + SEL, {"ProcessId": "not a number"}, False),
    ("sel:\n  EventID: 1\n" + SEL, {}, True),
    ("sel:\n  EventID: 4688\n" + SEL, {}, False),
    ("sel:\n  ParentCommandLine: null\n" + SEL, {}, True),
    ("sel:\n  ParentCommandLine: null\n" + SEL, {"ParentCommandLine": ""}, True),
    ("sel:\n  ParentCommandLine: null\n" + SEL, {"ParentCommandLine": "x"}, False),
    ("sel:\n  Image|endswith:\n    - '\\a.exe'\n    - '\\cmd.exe'\n" + SEL, {}, True),
    ("sel:\n  Image:\n    - 'a'\n    - 'C:\\WINDOWS\\system32\\cmd.exe'\n" + SEL, {}, True),
]
B64 = base64.b64encode(b"secret payload").decode()
UTF16 = base64.b64encode("IEX (".encode("utf-16le")).decode()
UTF16BE = base64.b64encode("IEX (".encode("utf-16-be")).decode()
UTF16BOM = base64.b64encode("IEX (".encode("utf-16")).decode()
CASES += [
    ("sel:\n  CommandLine|base64: 'secret payload'\n" + SEL, {"CommandLine": B64}, True),
    ("sel:\n  CommandLine|base64offset|contains: 'payload'\n" + SEL,
     {"CommandLine": "x " + base64.b64encode(b"my payload here").decode()}, True),
    ("sel:\n  CommandLine|base64offset|contains: 'payload'\n" + SEL,
     {"CommandLine": B64[:4]}, False),
    ("sel:\n  CommandLine|wide|base64offset|contains: 'IEX ('\n" + SEL,
     {"CommandLine": "-enc " + UTF16}, True),
    ("sel:\n  CommandLine|utf16be|base64offset|contains: 'IEX ('\n" + SEL,
     {"CommandLine": "-enc " + UTF16BE}, True),
    ("sel:\n  CommandLine|utf16|base64offset|contains: 'IEX ('\n" + SEL,
     {"CommandLine": "-enc " + UTF16BOM}, True),
]


@pytest.mark.parametrize(("detection", "override", "expected"), CASES)
def test_modifier(detection: str, override: dict[str, Any], expected: bool) -> None:
    assert matches(detection, override) is expected


@pytest.mark.parametrize(("pattern", "value", "expected"), [
    ("'cmd*whoami'", "cmd.exe /c whoami", True),
    ("'cmd*whoami'", "cmd.exe /c whoami x", False),
    ("'cmd?exe*'", "cmd.exe /c whoami", True),
    ("'cmd?exe*'", "cmdexe", False),
    ("'100%*'", "100% done", True),
    ("'100%*'", "1000 done", False),
    ("'a_b*c'", "a_bXc", True),
    ("'a_b*c'", "aXbXc", False),
    ("'a\\*b'", "a*b", True),
    ("'a\\*b'", "aXb", False),
    ("'a\\?b'", "a?b", True),
    ("'a\\?b'", "aXb", False),
    ("'*(x)[y]*.*'", "q(x)[y]z.w", True),
    ("'*(x)[y]*.*'", "q(x)[y]z", False),
    ("'c:\\\\temp\\\\*'", "c:\\temp\\a", True),
    ("'*'", "anything", True),
])
def test_wildcards_and_escapes(pattern: str, value: str, expected: bool) -> None:
    assert matches(f"sel:\n  CommandLine: {pattern}\n" + SEL, {"CommandLine": value}) is expected


def test_missing_field_is_no_match_and_not_an_error() -> None:
    assert not matches("sel:\n  NoSuchField|contains: 'x'\n" + SEL, {})
    assert matches("sel:\n  Image|endswith: '.exe'\nf:\n  NoSuchField: 'x'\n"
                   "condition: sel and not f\n", {})


def test_not_matches_when_field_is_null() -> None:
    assert matches("sel:\n  Image|endswith: '.exe'\nf:\n  ParentImage|contains: 'x'\n"
                   "condition: sel and not f\n", {"ParentImage": None})


def test_keywords() -> None:
    assert matches("keywords:\n  - 'WHOAMI'\ncondition: keywords\n", {})
    assert not matches("keywords:\n  - 'ipconfig'\ncondition: keywords\n", {})


def test_expand_placeholder_from_pipeline() -> None:
    detection = "sel:\n  Image|expand: '%tools%'\n" + SEL
    assert matches(detection, {}, placeholders={"tools": ["*\\cmd.exe", "*\\x.exe"]})
    assert not matches(detection, {}, placeholders={"tools": ["*\\x.exe"]})


def test_4688_route_maps_field_names() -> None:
    event = {"channel": "Security", "event_code": 4688, "Image": None,
             "NewProcessName": "C:\\Windows\\System32\\cmd.exe"}
    assert matches("sel:\n  Image|endswith: '\\cmd.exe'\n" + SEL, event)


def test_other_channel_does_not_match() -> None:
    assert not matches("sel:\n  Image|endswith: '\\cmd.exe'\n" + SEL, {"channel": "System"})


def test_generic_pipeline_reads_fields_as_columns() -> None:
    text = RULE.format(detection="    sel:\n        Image|endswith: '\\cmd.exe'\n"
                                 "    condition: sel").replace("product: windows", "product: x")
    compiled = compile_rule(SigmaCollection.from_yaml(text).rules[0], generic_pipeline())
    assert run_rules([compiled], connect_table(events_table({}))).num_rows == 1


def test_lookaround_regex_is_reported_not_raised(tmp_path: Path) -> None:
    text = RULE.format(detection="    sel:\n        CommandLine|re: 'a(?=b)'\n    condition: sel")
    (tmp_path / "r.yml").write_text(text)
    ruleset = load_rules([tmp_path])
    assert not ruleset.rules and "(?=" in ruleset.errors[0].reason


def test_public_names() -> None:
    import watchkeeper.detect as detect

    assert all(hasattr(detect, name) for name in detect.__all__)
