"""Every SigmaHQ rule either compiles or is reported unsupported with a reason (>= 98 %)."""

from __future__ import annotations

from collections import Counter

import ibis
import pytest

from watchkeeper.detect import GENERIC, WINDOWS, Compilation, RuleSet, compile_rules
from watchkeeper.errors import UnsupportedRuleError
from watchkeeper.schema.windows import windows_schema


@pytest.fixture(scope="module")
def compilation(corpus: RuleSet) -> tuple[Compilation, Compilation]:
    windows = [r for r in corpus.rules if r.logsource.product == "windows"]
    other = [r for r in corpus.rules if r.logsource.product != "windows"]
    return compile_rules(windows, WINDOWS), compile_rules(other, GENERIC)


@pytest.mark.slow
def test_at_least_98_percent_compile(corpus: RuleSet,
                                     compilation: tuple[Compilation, Compilation]) -> None:
    compiled = sum(len(c.rules) for c in compilation)
    errors = [e for c in compilation for e in c.errors] + list(corpus.errors)
    total = compiled + len(errors)
    summary = Counter(e.reason.split(";")[0][:80] for e in errors)
    print(f"\ncompiled {compiled}/{total} ({compiled / total:.2%})")
    for reason, count in summary.most_common():
        print(f"{count:5}  {reason}")
    assert all(e.rule_id or e.path for e in errors)
    assert all(isinstance(e, UnsupportedRuleError) for e in errors)
    assert compiled / total >= 0.98


@pytest.mark.slow
def test_every_windows_rule_binds_to_a_wide_table(
        compilation: tuple[Compilation, Compilation]) -> None:
    """Predicates build on a table with the usual Sysmon/Security columns."""
    fields = ["Image", "CommandLine", "ParentImage", "TargetObject", "Details",
              "TargetFilename", "NewProcessName", "ImageLoaded", "DestinationIp"]
    table = ibis.table(ibis.schema({f.name: f.type for f in windows_schema(fields)}),
                       name="events")
    for rule in compilation[0].rules:
        assert rule.predicate(table).type().is_boolean()
