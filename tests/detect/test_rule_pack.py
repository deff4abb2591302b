"""The shipped insider pack: every rule's golden cases on real DuckDB, plus metadata checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from watchkeeper.detect.backtest import run_golden_tests
from watchkeeper.detect.ruleset import DEFAULT_RULES, Pack, load_pack

PACK = load_pack()


def test_pack_loads_without_errors() -> None:
    assert [str(e) for e in PACK.errors] == []
    assert len(PACK.rules) >= 20


@pytest.mark.parametrize("rule", PACK.rules, ids=lambda r: r.rule_id)
def test_golden_cases(rule: object) -> None:
    pack = Pack((rule,), ())  # type: ignore[arg-type]
    failed = [r for r in run_golden_tests(pack) if not r.passed]
    assert failed == []


def test_ids_unique_and_match_file_names() -> None:
    ids = [r.rule_id for r in PACK.rules]
    assert len(ids) == len(set(ids))
    files = sorted(p.stem for p in DEFAULT_RULES.glob("*.yml"))
    assert sorted(ids) == files


def test_every_rule_has_required_metadata_and_both_kinds_of_case() -> None:
    for rule in PACK.rules:
        meta = rule.meta
        assert meta.title and meta.description and meta.runbook and meta.falsepositives
        assert meta.tags and any(t.startswith(("insider.", "dataprotection.")) for t in meta.tags)
        kinds = {c.positive for c in rule.tests.cases}
        assert kinds == {True, False}, rule.rule_id


def test_pack_has_sigma_sql_and_correlation_rules() -> None:
    kinds = {r.kind for r in PACK.rules}
    assert kinds == {"sigma", "sql", "correlation"}
    helpers = {h.rule.rule_id for h in PACK.helpers}
    assert helpers == {"insider.sabotage.tool_download_then_usb.usb_connect",
                       "insider.sabotage.tool_download_then_usb.program_to_usb"}


def test_noisy_rules_carry_allow_lists_with_reasons() -> None:
    for rule_id in ("insider.access.logon_other_users_machine",
                    "insider.dataaccess.sensitive_without_ticket"):
        rule = PACK.get(rule_id)
        assert rule.allow and all(a.reason and a.where for a in rule.allow)
        names = {c.name for c in rule.tests.cases}
        assert any("allowed" in n for n in names), rule_id  # exceptions have golden cases


def test_mismatched_file_name_and_missing_negative_are_reported(tmp_path: Path) -> None:
    source = DEFAULT_RULES / "insider.exfil.leak_site_upload.yml"
    text = source.read_text(encoding="utf-8")
    (tmp_path / "wrong_name.yml").write_text(text.split("  negative:")[0], encoding="utf-8")
    pack = load_pack([tmp_path])
    messages = " | ".join(str(e) for e in pack.errors)
    assert "does not match the rule id" in messages
    assert "positive and one negative" in messages
    assert "wrong_name.yml" in messages and "insider.exfil.leak_site_upload" in messages
