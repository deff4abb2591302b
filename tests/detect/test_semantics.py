"""Sigma semantics where backends differ, pinned on SigmaHQ's real regression samples.

docs/detection.md, "Where backends differ", says what other backends do and why Watchkeeper
does this. Every case reads the samples through the real path (``read_evtx`` and
``read_event_json``), compiles with the Windows pipeline and runs fused, per rule and
through the Ibis predicates, which must agree. Where the samples hold no event of a kind
(Sysmon 3, Security 4688) the event is derived from a real record; each helper says why the
derived event is faithful.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
import yaml
from sigma.collection import SigmaCollection
from sigma.rule import SigmaDetection

from watchkeeper.detect import (
    CompiledRule,
    compile_rule,
    connect_table,
    load_rules,
    run_rules,
    run_rules_ibis,
    run_rules_per_rule,
)
from watchkeeper.sources.evtx import read_event_json, read_evtx

from .conftest import SIGMA

REGRESSION = SIGMA / "regression_data"
DEFENDER = ("rules-emerging-threats/2026/Exploits/RedSun/"
            "win_defender_exploit_redsun_tiering_engine_detected_as_eicar")
WMI = "rules/windows/builtin/wmi/win_wmi_activity_nteventlogfile_cleareventlog"
SYSMON_16 = "rules/windows/sysmon/sysmon_config_modification"
REGSVR32 = "rules/windows/registry/registry_set/registry_set_persistence_amsi_providers"
PROCESS_CREATION = "rules/windows/process_creation/proc_creation_win_wmic_terminate_application"


# ---------------------------------------------------------------- helpers


def sample(folder: str, suffix: str) -> Path:
    """The EVTX or JSON sample of a regression folder (skips without the corpus)."""
    found = sorted((REGRESSION / folder).glob(f"*.{suffix}"))
    if not found:
        pytest.skip("SigmaHQ regression data not available")
    return found[0]


def read(path: Path) -> pa.Table:
    reader = read_event_json if path.suffix == ".json" else read_evtx
    return pa.concat_tables([b.table for b in reader(path)], promote_options="permissive")


def both(folder: str) -> list[pa.Table]:
    """The sample read from its EVTX file and from its JSON export."""
    return [read(sample(folder, "evtx")), read(sample(folder, "json"))]


def exported(folder: str) -> list[dict[str, Any]]:
    """The events of a sample's JSON export (one object, a list, or several in a row), as
    Python objects to derive events from."""
    text = sample(folder, "json").read_text(encoding="utf-8")
    decoder, position = json.JSONDecoder(), 0
    events: list[dict[str, Any]] = []
    while True:
        while position < len(text) and text[position] in " \t\r\n,":
            position += 1
        if position >= len(text):
            return events
        item, position = decoder.raw_decode(text, position)
        events.extend(item if isinstance(item, list) else [item])


def write_events(tmp_path: Path, name: str, events: Sequence[dict[str, Any]]) -> pa.Table:
    """Derived events written as a JSON export and read back through ``read_event_json``."""
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(list(events)), encoding="utf-8")
    return read(path)


def rule(logsource: str, detection: str, number: int = 1) -> CompiledRule:
    text = (f"title: semantics\nid: 5e3a0000-0000-4000-8000-{number:012d}\n"
            f"logsource:\n{_indent(logsource)}\ndetection:\n{_indent(detection)}\n")
    return compile_rule(SigmaCollection.from_yaml(text).rules[0])


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.strip().splitlines())


def corpus_rule(path: str) -> CompiledRule:
    file = SIGMA / path
    if not file.exists():
        pytest.skip("SigmaHQ rules not available")
    return compile_rule(load_rules([file]).rules[0])


def matches(rules: Sequence[CompiledRule], table: pa.Table) -> int:
    """Matches of ``rules``; the fused runner, one query per rule and Ibis must agree."""
    events = connect_table(table)
    fused, single, ibis_ = (
        {(r["rule_id"], r["event_id"]) for r in run(rules, events).to_pylist()}
        for run in (run_rules, run_rules_per_rule, run_rules_ibis))
    assert fused == single == ibis_
    return len(fused)


# ------------------------------------------------- null, empty and exists


def test_an_empty_element_is_the_empty_string_in_evtx_and_json() -> None:
    for table in both(DEFENDER):
        row = table.to_pylist()[0]
        assert row["Unused"] == "" and row["StatusDescription"] == ""
        assert row["ThreatName"] == "Tool:Win32/EICAR_Test_File"
        assert "NoSuchField" not in table.column_names


NULL_CASES = [
    ("Unused: ''", True),               # present, empty
    ("Unused: null", True),             # null means "no value": absent, null or empty
    ("Unused|exists: true", True),      # exists tests presence, not the value (spec)
    ("Unused|exists: false", False),
    ("ThreatName: ''", False),
    ("ThreatName: null", False),
    ("NoSuchField: null", True),        # absent
    ("NoSuchField: ''", False),         # '' is a value; an absent field has none
    ("NoSuchField|exists: true", False),
    ("NoSuchField|exists: false", True),
]


@pytest.mark.parametrize(("selection", "expected"), NULL_CASES)
def test_null_empty_and_exists_on_the_defender_sample(selection: str, expected: bool) -> None:
    compiled = rule("product: windows\nservice: windefend",
                    f"selection:\n    EventID: 1119\n    {selection}\ncondition: selection")
    for table in both(DEFENDER):
        assert matches([compiled], table) == int(expected)


def test_a_null_element_reads_like_an_empty_one(tmp_path: Path) -> None:
    """The evtx package writes a NullType substitution as JSON ``null``; its XML is the same
    empty ``<Data Name="Unused"></Data>`` the real sample has. It must read as '' (present),
    not as an absent field, or ``|exists: true`` fails on the very same XML."""
    events = exported(DEFENDER)
    data = events[0]["Event"]["EventData"]
    for name in ("Unused", "Unused2", "Status Description"):
        data[name] = None
    table = write_events(tmp_path, "null", events)
    assert table.to_pylist()[0]["Unused"] == ""
    for selection, expected in NULL_CASES:
        compiled = rule("product: windows\nservice: windefend",
                        f"selection:\n    {selection}\ncondition: selection")
        assert matches([compiled], table) == int(expected), selection


def test_a_field_absent_from_some_rows_is_null_there() -> None:
    """Unused is a column once the Defender event is in the table; Sysmon rows lack it."""
    defender, sysmon = read(sample(DEFENDER, "evtx")), read(sample(REGSVR32, "evtx"))
    table = pa.concat_tables([defender, sysmon], promote_options="permissive")
    absent = rule("product: windows", "selection:\n    Unused|exists: false\n"
                  "condition: selection")
    null = rule("product: windows", "selection:\n    Unused: null\ncondition: selection")
    empty = rule("product: windows", "selection:\n    Unused: ''\ncondition: selection")
    assert matches([absent], table) == sysmon.num_rows
    assert matches([null], table) == table.num_rows
    assert matches([empty], table) == defender.num_rows


# ---------------------------------------------------- booleans (Initiated)


def sysmon_3(initiated: object) -> list[dict[str, Any]]:
    """A Sysmon 3 event derived from the real Sysmon 13 record of regsvr32.exe.

    System block, process identity and user are the real record's; EventData follows the
    Sysmon 3 template with the types the evtx package gives EVTX values (UInt32/UInt16 as
    JSON numbers, the win:Boolean ``Initiated``/``…IsIpv6`` as JSON booleans); XML-based
    exports (Event Viewer, Winlogbeat, Splunk) write the same booleans as ``true`` text.
    """
    event = exported(REGSVR32)[0]
    system, real = event["Event"]["System"], event["Event"]["EventData"]
    system = {**system, "EventID": 3, "Task": 3}
    no = False if isinstance(initiated, bool) else "false"
    data = {"RuleName": "-", "UtcTime": real["UtcTime"], "ProcessGuid": real["ProcessGuid"],
            "ProcessId": real["ProcessId"], "Image": real["Image"], "User": real["User"],
            "Protocol": "tcp", "Initiated": initiated,
            "SourceIsIpv6": no, "SourceIp": "10.0.1.14", "SourceHostname": "-",
            "SourcePort": 51234, "SourcePortName": "-", "DestinationIsIpv6": no,
            "DestinationIp": "203.0.113.7", "DestinationHostname": "-",
            "DestinationPort": 443, "DestinationPortName": "https"}
    return [{"Event": {"System": system, "EventData": data}}]


@pytest.mark.parametrize("initiated", [True, "true"], ids=["json-boolean", "text"])
def test_initiated_true_matches_as_text(tmp_path: Path, initiated: object) -> None:
    table = write_events(tmp_path, "sysmon3", sysmon_3(initiated))
    row = table.to_pylist()[0]
    assert (row["Initiated"], row["SourceIsIpv6"], row["DestinationPort"]) == (
        "true", "false", "443")
    regsvr32 = corpus_rule(
        "rules/windows/network_connection/net_connection_win_regsvr32_network_activity.yml")
    assert matches([regsvr32], table) == 1
    network = "product: windows\ncategory: network_connection"
    for selection, expected in [("Initiated: 'true'", 1), ("Initiated: true", 1),
                                ("Initiated: 'TRUE'", 1), ("Initiated: 'false'", 0),
                                ("Initiated: false", 0), ("DestinationPort: 443", 1),
                                ("DestinationPort|gte: 1024", 0)]:
        compiled = rule(network, f"selection:\n    {selection}\ncondition: selection")
        assert matches([compiled], table) == expected, selection


# -------------------------------------- process_creation on Security 4688

_LEVEL_SIDS = {"Untrusted": "S-1-16-0", "Low": "S-1-16-4096", "Medium": "S-1-16-8192",
               "High": "S-1-16-12288", "System": "S-1-16-16384"}


def security_4688(event: dict[str, Any]) -> dict[str, Any]:
    """The Security 4688 event Windows logs for the same process start as a Sysmon 1 event.

    Field by field as in Microsoft's 4688 (version 2) documentation: NewProcessName = Image,
    ParentProcessName = ParentImage, CommandLine as is, the creator's account split into
    SubjectDomainName\\SubjectUserName, SubjectLogonId = LogonId, process ids in hex
    (``0x…``, as Windows writes them), MandatoryLabel = the integrity level's SID, and the
    Target* fields empty ("-"), as when the new process runs under the creator's token.
    """
    system, sysmon = event["Event"]["System"], event["Event"]["EventData"]
    domain, _, user = str(sysmon.get("User", "-\\-")).rpartition("\\")
    provider = {"#attributes": {"Name": "Microsoft-Windows-Security-Auditing",
                                "Guid": "54849625-5478-4994-A5BA-3E3B0328C30D"}}
    data = {"SubjectUserSid": "S-1-5-21-1004336348-1177238915-682003330-512",
            "SubjectUserName": user, "SubjectDomainName": domain,
            "SubjectLogonId": sysmon.get("LogonId", "0x0"),
            "NewProcessId": hex(int(sysmon["ProcessId"])),
            "NewProcessName": sysmon["Image"], "TokenElevationType": "%%1936",
            "ProcessId": hex(int(sysmon.get("ParentProcessId") or 0)),
            "CommandLine": sysmon.get("CommandLine", ""), "TargetUserSid": "S-1-0-0",
            "TargetUserName": "-", "TargetDomainName": "-", "TargetLogonId": "0x0",
            "ParentProcessName": sysmon.get("ParentImage", ""),
            "MandatoryLabel": _LEVEL_SIDS.get(str(sysmon.get("IntegrityLevel")), "S-1-16-8192")}
    system = {**system, "Provider": provider, "EventID": 4688, "Version": 2, "Task": 13312,
              "Channel": "Security"}
    return {"Event": {"System": system, "EventData": data}}


def process_starts(folder: str) -> list[dict[str, Any]]:
    return [e for e in exported(folder) if e["Event"]["System"]["EventID"] == 1
            and e["Event"]["System"]["Channel"].endswith("Sysmon/Operational")]


#: Sigma fields a 4688 event carries with the same meaning and format as Sysmon 1.
FIELDS_4688 = {"Image", "ParentImage", "CommandLine", "IntegrityLevel", "LogonId"}


def process_creation_cases() -> list[tuple[str, Path]]:
    """Regression folders of process_creation rules that read only ``FIELDS_4688``."""

    def fields(detection: SigmaDetection) -> set[str | None]:
        found: set[str | None] = set()
        for item in detection.detection_items:
            found |= fields(item) if isinstance(item, SigmaDetection) else {item.field}
        return found

    cases = []
    for info in sorted((REGRESSION / "rules/windows/process_creation").glob("*/info.yml")):
        folder = info.parent.relative_to(REGRESSION)
        path = SIGMA / "rules/windows/process_creation" / f"{info.parent.name}.yml"
        meta = yaml.safe_load(info.read_text(encoding="utf-8"))
        if not path.exists() or not meta.get("regression_tests_info"):
            continue
        parsed = load_rules([path]).rules[0]
        used = set().union(*(fields(d) for d in parsed.detection.detections.values()))
        if used <= FIELDS_4688:
            cases.append((str(folder), path))
    return cases


def test_process_creation_rules_fire_on_the_4688_form_of_their_samples(
        tmp_path: Path) -> None:
    cases = process_creation_cases() if REGRESSION.exists() else []
    if not cases:
        pytest.skip("SigmaHQ regression data not available")
    assert len(cases) >= 20
    for number, (folder, path) in enumerate(cases):
        compiled = compile_rule(load_rules([path]).rules[0])
        sysmon = matches([compiled], read(sample(folder, "evtx")))
        derived = [security_4688(e) for e in process_starts(folder)]
        security = matches([compiled], write_events(tmp_path, f"4688-{number}", derived))
        assert security == sysmon > 0, folder


def test_integrity_level_reads_mandatory_label_on_4688(tmp_path: Path) -> None:
    events = process_starts(PROCESS_CREATION)
    image = events[0]["Event"]["EventData"]["Image"].rsplit("\\", 1)[-1]
    level = events[0]["Event"]["EventData"]["IntegrityLevel"]
    sysmon = read(sample(PROCESS_CREATION, "evtx"))
    security = write_events(tmp_path, "4688", [security_4688(e) for e in events[:1]])
    assert security.to_pylist()[0]["MandatoryLabel"] == _LEVEL_SIDS[level]
    creation = "product: windows\ncategory: process_creation"
    both_spellings = rule(creation, f"selection:\n    Image|endswith: '\\{image}'\n"
                          f"    IntegrityLevel:\n        - '{level}'\n"
                          f"        - '{_LEVEL_SIDS[level]}'\ncondition: selection")
    name_only = rule(creation, f"selection:\n    Image|endswith: '\\{image}'\n"
                     f"    IntegrityLevel: '{level}'\ncondition: selection")
    assert matches([both_spellings], sysmon) >= 1
    assert matches([both_spellings], security) == 1
    assert matches([name_only], security) == 0  # 4688 holds the SID, not the name


def test_user_and_process_ids_on_4688_keep_the_4688_format(tmp_path: Path) -> None:
    """``User`` is SubjectUserName (no domain) and process ids are hex on 4688 rows."""
    event = process_starts(PROCESS_CREATION)[0]
    real = event["Event"]["EventData"]
    security = write_events(tmp_path, "4688", [security_4688(event)])
    creation = "product: windows\ncategory: process_creation"
    compiled = rule(creation, f"selection:\n    NewProcessName: '{real['Image']}'\n"
                    "condition: selection")
    found = run_rules([compiled], connect_table(security), fields=("User", "ProcessId"))
    assert found.select(["User", "ProcessId"]).to_pylist() == [
        {"User": real["User"].rpartition("\\")[2], "ProcessId": hex(int(real["ProcessId"]))}]
    decimal = rule(creation, f"selection:\n    ProcessId: {int(real['ProcessId'])}\n"
                   "condition: selection")
    assert matches([decimal], security) == 0
    assert matches([decimal], read(sample(PROCESS_CREATION, "evtx"))) >= 1


# ------------------------------------------------------ keyword detections


KEYWORD_CASES = [
    ("CLEAREVENTLOG", True),                    # a UserData leaf value, any case
    ("ExecMethod - ROOT", True),                # inside one field's text
    ("Operation_ClientFailure", False),         # an element name, not text
    ("Microsoft-Windows-WMI-Activity", False),  # the System header is not searched
    ("Unknown*0x80041003", True),               # spans Component .. ResultCode (name order)
    ("0x80041003*Unknown", False),              # ResultCode sorts after both Unknown fields
]


@pytest.mark.parametrize(("keyword", "expected"), KEYWORD_CASES)
def test_keywords_search_the_event_field_text(keyword: str, expected: bool) -> None:
    compiled = rule("product: windows\nservice: wmi",
                    f"keywords:\n    - '{keyword}'\ncondition: keywords")
    for table in both(WMI):
        assert matches([compiled], table) == int(expected)


def test_keyword_text_does_not_depend_on_column_order() -> None:
    """Files (and lake partitions) order their columns differently; the joined text may not."""
    table = read(sample(WMI, "evtx"))
    reordered = table.select(list(reversed(table.column_names)))
    for keyword, expected in KEYWORD_CASES:
        compiled = rule("product: windows\nservice: wmi",
                        f"keywords:\n    - '{keyword}'\ncondition: keywords")
        assert matches([compiled], reordered) == int(expected), keyword


def test_the_rendered_message_is_not_searched() -> None:
    """"Sysmon config state changed" is event 16's message template, which lives in the
    provider's DLL, not in the EVTX record: SigmaHQ's keyword rule cannot fire on it."""
    compiled = corpus_rule("rules/windows/sysmon/sysmon_config_modification_status.yml")
    for table in both(SYSMON_16):
        assert table.to_pylist()[0]["event_code"] == 16
        assert matches([compiled], table) == 0
