"""Loading collects errors per rule; correlation rules are parsed into specifications."""

from __future__ import annotations

from pathlib import Path

from watchkeeper.detect import compile_correlation, compile_rules, load_rules
from watchkeeper.errors import UnsupportedRuleError

BASE = """
title: failed logon
id: 5c4f2a3e-0000-4000-8000-000000000001
name: failed_logon
logsource:
    product: windows
    service: security
detection:
    sel:
        EventID: 4625
    condition: sel
"""
CORRELATION = """
title: many failed logons
id: 5c4f2a3e-0000-4000-8000-000000000002
correlation:
    type: event_count
    rules:
        - failed_logon
    group-by:
        - TargetUserName
    timespan: 5m
    condition:
        gte: 10
"""
BROKEN = """
title: broken
id: 5c4f2a3e-0000-4000-8000-000000000003
logsource:
    product: windows
detection:
    sel:
        Image|nosuchmodifier: x
    condition: sel
"""
UNMAPPED = BASE.replace("service: security", "category: file_access").replace(
    "0001", "0004").replace("name: failed_logon\n", "")


def test_errors_are_collected_with_file_and_rule_id(tmp_path: Path) -> None:
    (tmp_path / "base.yml").write_text(BASE)
    (tmp_path / "corr.yml").write_text(CORRELATION)
    (tmp_path / "broken.yml").write_text(BROKEN)
    (tmp_path / "unmapped.yml").write_text(UNMAPPED)
    ruleset = load_rules([tmp_path])
    assert len(ruleset.rules) == 2 and len(ruleset.correlations) == 1
    assert len(ruleset.errors) == 1
    assert ruleset.errors[0].path and ruleset.errors[0].path.endswith("broken.yml")
    compilation = compile_rules(ruleset.rules)
    assert len(compilation.rules) == 1
    (error,) = compilation.unsupported
    assert isinstance(error, UnsupportedRuleError) and "file_access" in error.reason
    assert error.rule_id and error.path


def test_correlation_spec(tmp_path: Path) -> None:
    (tmp_path / "base.yml").write_text(BASE)
    (tmp_path / "corr.yml").write_text(CORRELATION)
    spec = compile_correlation(load_rules([tmp_path]).correlations[0])
    assert spec.kind == "event_count" and spec.rule_refs == ("failed_logon",)
    assert spec.group_by == ("TargetUserName",) and spec.timespan_seconds == 300
    assert spec.threshold is not None and spec.threshold.op == "gte"
    assert spec.threshold.count == 10
