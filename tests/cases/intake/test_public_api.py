"""The intake package's public names are listed once, in `__all__`, and all resolve."""

from __future__ import annotations

import watchkeeper.cases.intake as intake


def test_every_public_name_resolves() -> None:
    assert sorted(intake.__all__) == sorted(set(intake.__all__))
    for name in intake.__all__:
        assert getattr(intake, name) is not None
    assert {"parse_payload", "recognize", "read_alert_files", "from_findings",
            "from_risk_alerts", "load_alert_mapping"} <= set(intake.__all__)
