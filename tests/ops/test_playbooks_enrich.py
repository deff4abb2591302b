"""A person put on a watchlist starts the watchlist playbooks: `enrich` records their
HR record as known that day, their risk (none analysed here) and their recent lake
events, people as pseudonyms; a playbook's own watchlist step starts no playbook."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ops.feedbackwork import fws, hr_lake
from watchkeeper.ops.clock import FixedClock
from watchkeeper.workspace import Workspace

__all__ = ["fws", "hr_lake"]   # fixtures

NOW = datetime(2026, 12, 9, 10, 0, tzinfo=UTC)


def playbook(ws: Workspace, name: str, text: str) -> None:
    (ws.root / "playbooks").mkdir(exist_ok=True)
    (ws.root / "playbooks" / f"{name}.yml").write_text(text)


def test_a_watchlist_entry_is_enriched_once(fws: Workspace) -> None:
    fws.clock = FixedClock(NOW)
    playbook(fws, "review", """\
id: review
title: Enrich the watched
trigger: {on: watchlist, watchlists: [insider-watch]}
steps:
  - enrich: {events_hours: 72}
  - watchlist: {list: hr-review, days: 14, reason: "watched by the SOC"}
""")
    who = fws.pseudonymizer().pseudonym("ACM2278")
    fws.watchlist_add(who, reason="copies before notice", actor="lee", now=NOW)
    fws.watchlist_add(who, reason="other list", actor="lee", watchlist="other", now=NOW)
    done = fws.playbooks_run_due()
    assert (done.succeeded, done.failed) == (2, 0)
    [run] = fws.playbook_runs()
    assert (run.trigger, run.status, run.case_id) == ("watchlist", "succeeded", None)
    out = run.steps[0].output
    assert out is not None
    assert out["person"] == who and out["day"] == NOW.date().isoformat()
    hr = out["hr"]
    assert isinstance(hr, dict) and hr["as_of"] == NOW.date().isoformat()
    assert "name" not in hr                     # what leaves names people by pseudonym
    risk = out["risk"]
    assert isinstance(risk, dict) and risk["available"] is False
    events = out["events"]
    assert isinstance(events, dict) and events["hours"] == 72
    listed = fws.watchlists(person=who, now=NOW)
    assert sorted(w.watchlist for w in listed) == ["hr-review", "insider-watch", "other"]
    step = run.steps[1].output
    assert step is not None and step["watchlist"] == "hr-review"
    assert [w.until for w in listed if w.watchlist == "hr-review"] == \
        [NOW.date() + timedelta(days=14)]
    assert len(fws.playbook_runs()) == 1        # the step's entry started nothing
    assert "ACM2278" not in repr(fws.playbook_runs())
