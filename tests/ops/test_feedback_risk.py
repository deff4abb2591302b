"""Verdict feedback changing `risk explain`, end to end on a simulated workspace: a case
resolved false positive for rule R on person P stops R stacking risk on P within the
configured period from the next `analyze` (and reopening it undoes that); a watchlist
entry shows in explain as a modifier with its origin, as HR's lists do."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from ops.simfeedback import build, copy, rule_days
from watchkeeper.cases.queue import AlertQuery
from watchkeeper.cases.repository import CaseChange
from watchkeeper.cases.service import CaseNew
from watchkeeper.workspace import Workspace

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("feedback-sim"))


def counted(ws: Workspace, person: str, rule: str) -> list[date]:
    """The days of `rule`'s risk events on `person` in the stored run."""
    events = ws.analysis.load().risk.events.to_pylist()
    return [e["day"] for e in events
            if e["user"] == person and e["reason"].startswith(f"rule {rule} ")]


def test_a_false_positive_stops_the_rule_stacking_on_the_person(base: Path,
                                                                tmp_path: Path) -> None:
    probe = copy(base, tmp_path / "probe")
    start = min(probe.analysis.load().risk.history["day"].to_pylist())
    (person, rule), days = max(((k, d) for k, d in rule_days(probe).items() if d[0] > start),
                               key=lambda kv: len(kv[1]))
    assert len(days) >= 3, days
    first, inside, last = days[0], days[-2], days[-1]
    period = (last - first).days - 1          # the last day falls just outside
    ws = copy(base, tmp_path / "ws", f"[feedback]\nfalse_positive_days = {period}\n")
    before_inside = ws.risk_explain(person, inside)
    assert counted(ws, person, rule) == days
    before_first = ws.risk_explain(person, first - timedelta(days=1))

    code = ws.pseudonymizer().pseudonym(person)
    alerts = ws.alerts_list(AlertQuery(rule=rule, sort="time", limit=1000), person=code)
    judged = next(a.id for a in alerts.items if a.event_time.date() == first)
    viewer = ws.case_viewer()
    case = ws.case_create(viewer, CaseNew("USB copies", alerts=(judged,))).id
    ws.case_resolve(viewer, case, "false_positive", "backups to a company stick")
    report = ws.analyze()
    assert report.incremental and report.muted_events >= len(days) - 1

    after = ws.risk_explain(person, inside)
    assert counted(ws, person, rule) == [last]   # only the finding after the period
    assert all(not ev.reason.startswith(f"rule {rule} ") for ev in after.events)
    assert [(m.rule, m.case_id, m.first_day, m.last_day) for m in after.muted] == \
        [(rule, case, first, first + timedelta(days=period))]
    assert after.muted[0].events == len([d for d in days if d <= inside])
    assert after.by_source["rule"] < before_inside.by_source["rule"]
    assert after.score < before_inside.score
    assert ws.risk_explain(person, first - timedelta(days=1)).score == before_first.score

    ws.case_update(viewer, case, CaseChange(status="in_progress"))   # reopened
    ws.analyze()
    again = ws.risk_explain(person, inside)
    assert again.muted == () and again.score == pytest.approx(before_inside.score)
    assert counted(ws, person, rule) == days


def test_watchlists_show_in_explain_with_their_origin(base: Path, tmp_path: Path) -> None:
    ws = copy(base, tmp_path / "ws")
    last = ws.risk_top(limit=40)
    stored = ws.analysis.load()
    day = stored.risk.history["day"].to_pylist()[-1]
    hr = {r["user"]: r["watchlists"] for r in ws.lake.table("people").to_pyarrow().to_pylist()
          if r["valid_to"] is None}
    person = next(r.user for r in last if not hr.get(r.user) and r.score > 0)
    before = ws.risk_explain(person)
    assert before.modifiers.watchlist == 1.0
    first = stored.risk.history["day"].to_pylist()[0]
    made = ws.watchlist_add(person, reason="case 12: copies before notice", actor="lee",
                            since=first)
    assert ws.risk_explain(person).watchlists == ()       # not before the next analyze
    ws.analyze()
    after = ws.risk_explain(person)
    assert after.modifiers.watchlist == 1.2
    assert after.modifiers.factor == pytest.approx(before.modifiers.factor * 1.2)
    assert after.score == pytest.approx(before.score * 1.2)
    (w,) = after.watchlists
    assert (w.watchlist, w.origin, w.added_by, w.reason, w.applies) == \
        ("insider-watch", "analyst", "lee", "case 12: copies before notice", True)

    pip = next(u for u, tags in hr.items() if "performance-improvement-plan" in (tags or []))
    on_hr = ws.risk_explain(pip, day)
    assert ("performance-improvement-plan", "hr", 1.3) in \
        [(x.watchlist, x.origin, x.factor) for x in on_hr.watchlists]

    text = subprocess.run(
        [sys.executable, "-m", "watchkeeper", "-w", str(tmp_path / "ws"), "risk", "explain",
         person], capture_output=True, text=True, timeout=300,
        env={**{k: v for k, v in os.environ.items() if k != "WATCHKEEPER_HOME"},
             "COLUMNS": "80"})
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert "watchlist insider-watch (analyst)" in lines[7]          # the situation line
    assert any(line.startswith("  watchlist insider-watch x1.20, analyst lee, ")
               for line in lines)
    assert len(lines) <= 24 and max(map(len, lines)) <= 80

    ws.watchlist_remove(made.id, actor="lee")
    ws.analyze()
    assert ws.risk_explain(person).score == pytest.approx(before.score)
