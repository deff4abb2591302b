"""`watchkeeper metrics` as a person runs it: JSON and a text report within 80 columns,
the shared period grammar (also on `rules stats` and `sla report`), one error line and
exit code 1 for a bad period or an unknown team."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from cases.casework import add_alert
from cli.test_ops_cli import refused, run, text
from helpers.accounts import new_workspace
from watchkeeper.cases.service import CaseNew


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("metricscli") / "ws"
    workspace = new_workspace(root)
    accounts = workspace.accounts()
    accounts.teams.add("leads", ["*"])
    accounts.users.add("lena", "lead", ["leads"])
    with workspace.state.session() as s:
        alerts = [add_alert(s, f"m-{k}", ["ACM2278"], at=datetime(2025, 3, 3 + k, tzinfo=UTC))
                  for k in range(3)]
    workspace.case_create(workspace.case_viewer("lena"), CaseNew("USB", alerts=(alerts[0],)))
    workspace.close_state()
    return root


def test_metrics_json_and_text(ws: Path) -> None:
    doc = run(ws, "metrics", "--as", "lena", "--period", "2000..")
    assert (doc["alerts"], doc["cases"], doc["detect"]["measured"]) == (3, 1, 3)
    assert doc["conversion"]["in_cases"] == 1 and doc["backlog"]["open_cases"] == 1
    assert doc["volumes"]["rules"][0]["key"] == "insider.exfil.file_to_removable"
    shown = text(ws, "metrics", "--as", "lena", "--period", "2000..", "--team", "leads")
    assert "Metrics 2000..:" in shown and "team leads" in shown and "detect" in shown
    assert run(ws, "metrics", "--as", "lena", "--period", "1999-Q1")["alerts"] == 0


@pytest.mark.parametrize(("args", "message"), [
    (("metrics", "--period", "2025-13"), "error: --period: '2025-13': not a period"),
    (("metrics", "--period", "2025-03..2025-01"), "error: --period: '2025-03..2025-01': "
                                                  "ends before it starts"),
    (("metrics", "--team", "ghosts", "--as", "lena"), "error: no team named 'ghosts'"),
    (("rules", "stats", "--period", "Q1"), "error: --period: 'Q1': not a period"),
    (("rules", "stats", "--period", "2025", "--since", "2025-01-01"),
     "error: --period: give it or --since/--until, not both"),
    (("sla", "report", "--period", "2025-Q5"), "error: --period: '2025-Q5': not a period"),
])
def test_bad_period_is_one_line(ws: Path, args: tuple[str, ...], message: str) -> None:
    assert refused(ws, *args).startswith(message)


def test_reports_share_the_period(ws: Path) -> None:
    # rule stats count alerts received (here: today) in the period
    assert run(ws, "rules", "stats", "--period", "2000..", "--as", "lena")["total"][
        "alerts"] == 3
    assert run(ws, "rules", "stats", "--period", "..2000-Q4", "--as", "lena")["total"][
        "alerts"] == 0
    report = run(ws, "sla", "report", "--period", "2000..")
    assert report["since"].startswith("2000-01-01")
