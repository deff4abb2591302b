"""Branches whose log source has no rows in the window are left out before the fused run:
the same matches, fewer branches prepared (detect.routes)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest
from sigma.collection import SigmaCollection

from watchkeeper.detect import CompiledRule, compile_rule, connect_table, run_rules
from watchkeeper.detect import engine as engine_module
from watchkeeper.detect.routes import routes_with_rows, with_rows
from watchkeeper.lake import Lake

from .conftest import SIGMA, events_table, needs_corpus

RULE = """
title: {title}
id: 00000000-0000-0000-0000-0000000002{number:02d}
logsource:
    product: windows
    {logsource}
detection:
    sel:
        {field}|contains: whoami
    condition: sel
"""


def rule(number: int, logsource: str, field: str = "CommandLine") -> CompiledRule:
    text = RULE.format(title=f"r{number}", number=number, logsource=logsource, field=field)
    return compile_rule(SigmaCollection.from_yaml(text).rules[0])


def pairs(hits: pa.Table) -> set[tuple[str, str]]:
    return set(zip(hits["rule_id"].to_pylist(), hits["event_id"].to_pylist(), strict=True))


RULES = [rule(1, "category: process_creation"),  # Sysmon 1 and Security 4688
         rule(2, "category: registry_set", "Details"),  # Sysmon 13 only
         rule(3, "service: security"),  # any Security event
         rule(4, "service: system")]  # nothing of the System log below
AT = datetime(2025, 1, 6, 10, tzinfo=UTC)
EVENTS = events_table(
    {"CommandLine": "cmd /c whoami", "time": AT},  # Sysmon 1
    {"channel": "Security", "event_code": 4624, "CommandLine": "whoami /all", "time": AT},
    {"channel": "Security", "event_code": 4624, "CommandLine": None, "time": AT},  # a row
)


def test_only_branches_on_routes_with_rows_are_kept() -> None:
    table = connect_table(EVENTS)
    kept = {r.rule_id: [b.route.name for b in r.branches] for r in with_rows(RULES, table)}
    assert kept == {RULES[0].rule_id: ["sysmon/process_creation"],
                    RULES[2].rule_id: ["service/security"]}
    assert routes_with_rows(table, []) == set()


def test_the_matches_are_those_of_every_branch() -> None:
    table = connect_table(EVENTS)
    everything = pairs(run_rules(RULES, table))
    assert everything == {(RULES[0].rule_id, "evtx:test:1"), (RULES[2].rule_id, "evtx:test:2")}
    assert pairs(run_rules(with_rows(RULES, table), table)) == everything


def test_an_empty_window_keeps_no_rule() -> None:
    assert with_rows(RULES, connect_table(EVENTS.slice(0, 0))) == []


def test_detect_prepares_only_branches_with_rows(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[str]] = []
    original = engine_module.run_rules

    def recorded(rules: list[CompiledRule], table: object) -> pa.Table:
        seen.append(sorted(b.route.name for r in rules for b in r.branches))
        return original(rules, table)  # type: ignore[arg-type]

    monkeypatch.setattr(engine_module, "run_rules", recorded)
    folder = tmp_path / "rules"
    folder.mkdir()
    for number, (logsource, field) in enumerate([("category: process_creation", "CommandLine"),
                                                 ("category: registry_set", "Details")]):
        text = RULE.format(title=f"r{number}", number=number, logsource=logsource,
                           field=field)
        (folder / f"r{number}.yml").write_text(text)
    lake = Lake(tmp_path / "lake")
    with lake.transaction("ingest") as txn:
        txn.stage("windows", EVENTS, 0)
        txn.commit({})
    report = engine_module.detect(lake, [folder])
    assert seen == [["sysmon/process_creation"]]
    assert report.total == 1


@needs_corpus
def test_regression_samples_match_the_same_with_fewer_branches(
        regression_events: pa.Table) -> None:
    from watchkeeper.detect.ruleset import load_pack

    pack = load_pack([SIGMA / "rules" / "windows"])
    rules = [r.sigma for r in pack.rules if r.sigma is not None]
    table = connect_table(regression_events)
    kept = with_rows(rules, table)
    branches = sum(len(r.branches) for r in kept)
    assert branches < sum(len(r.branches) for r in rules) * 2 // 3
    assert pairs(run_rules(kept, table)) == pairs(run_rules(rules, table))
