"""The public names of risk and evaluate are listed once in __all__ and importable."""

from __future__ import annotations

import watchkeeper.evaluate as evaluate_pkg
import watchkeeper.risk as risk_pkg


def test_all_names_exist() -> None:
    for pkg in (risk_pkg, evaluate_pkg):
        assert sorted(pkg.__all__) == list(pkg.__all__)
        for name in pkg.__all__:
            assert getattr(pkg, name) is not None


def test_config_defaults_are_documented_values() -> None:
    cfg = risk_pkg.RiskConfig()
    assert cfg.half_life_days == 7.0 and cfg.threshold > cfg.rearm
    assert {t.name for t in cfg.scenarios} == {
        "departing-data-theft", "job-hunt-exfiltration", "data-leak", "privileged-sabotage",
        "colleague-snooping", "cross-region-misuse"}
