"""Watchlists on SQLite and PostgreSQL: an analyst puts a person on a list with a reason
and an expiry (people as pseudonyms in and out), overlapping entries of one list are
refused, removal withdraws an entry; bad input names its field and stores nothing; risk
scoring reads the entries not removed, and the false-positive verdicts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from ops.feedbackwork import fws, hr_lake, put_alert
from watchkeeper.cases.service import CaseNew
from watchkeeper.errors import ConflictError, FeedbackError, NotFoundError
from watchkeeper.security.audit_sql import AuditFilter
from watchkeeper.workspace import Workspace

__all__ = ["fws", "hr_lake"]   # fixtures

NOW = datetime(2026, 12, 9, 10, 0, tzinfo=UTC)
TODAY = NOW.date()


def test_add_list_and_remove(fws: Workspace) -> None:
    who = fws.pseudonymizer().pseudonym("ACM2278")
    made = fws.watchlist_add(who, reason="case 12: copies before notice", actor="lee",
                             now=NOW)
    assert (made.person, made.watchlist, made.origin, made.added_by, made.active) == \
        (who, "insider-watch", "analyst", "lee", True)
    assert (made.since, made.until) == (TODAY, TODAY + timedelta(days=90))
    later = fws.watchlist_add("REP", reason="manager's request", actor="lee",
                              watchlist="performance-improvement-plan",
                              since=date(2009, 12, 1), until=date(2027, 1, 31), now=NOW)
    assert later.person == fws.pseudonymizer().pseudonym("REP")
    assert [w.id for w in fws.watchlists(now=NOW)] == [made.id, later.id]
    assert [w.id for w in fws.watchlists(person=who, now=NOW)] == [made.id]
    gone = fws.watchlist_remove(made.id, actor="lee", now=NOW)
    assert (gone.removed_by, gone.active) == ("lee", False)
    assert [w.id for w in fws.watchlists(now=NOW)] == [later.id]
    assert [w.id for w in fws.watchlists(ended=True, now=NOW)] == [made.id, later.id]
    with pytest.raises(ConflictError, match="removed already"):
        fws.watchlist_remove(made.id, actor="lee", now=NOW)
    with pytest.raises(NotFoundError, match="watchlist entry 99"):
        fws.watchlist_remove(99, actor="lee", now=NOW)
    entries = fws.audit_entries(AuditFilter(action="watchlist")).items
    assert sorted(e.action for e in entries) == ["watchlist.add", "watchlist.add",
                                                 "watchlist.remove"]
    assert {e.object_id for e in entries} == {who, later.person}   # never the user id


def test_bad_input_names_the_field_and_stores_nothing(fws: Workspace) -> None:
    fws.watchlist_add("ACM2278", reason="first", actor="lee", now=NOW)
    cases: list[tuple[dict[str, object], type[Exception], str]] = [
        ({"watchlist": "Insider Watch"}, FeedbackError, "watchlist: 'Insider Watch'"),
        ({"origin": "manager"}, FeedbackError, "origin: 'manager'"),
        ({"reason": " "}, FeedbackError, "reason: 1 to 1000"),
        ({"until": date(2026, 1, 1)}, FeedbackError, "until: 2026-01-01 is before since"),
        ({"since": date(2025, 1, 1), "until": date(2025, 2, 1)}, FeedbackError,
         "until: 2025-02-01 is already past"),
        ({}, ConflictError, "on insider-watch already from 2026-12-09"),
    ]
    for fields, error, message in cases:
        kw: dict[str, object] = {"reason": "again", "actor": "lee", "now": NOW, **fields}
        with pytest.raises(error, match=message):
            fws.watchlist_add("ACM2278", **kw)   # type: ignore[arg-type]
    with pytest.raises(FeedbackError, match="person: 'NOBODY1'"):
        fws.watchlist_add("NOBODY1", reason="typo", actor="lee", now=NOW)
    assert len(fws.watchlists(ended=True, now=NOW)) == 1
    other = fws.watchlist_add("ACM2278", reason="HR import", actor="lee", origin="hr",
                              watchlist="departing", now=NOW)
    assert other.origin == "hr"


def test_risk_reads_entries_not_removed_and_false_positive_verdicts(fws: Workspace) -> None:
    keep = fws.watchlist_add("ACM2278", reason="kept", actor="lee", now=NOW)
    drop = fws.watchlist_add("REP", reason="dropped", actor="lee", now=NOW)
    fws.watchlist_remove(drop.id, actor="lee", now=NOW)
    bob = fws.case_viewer("bob")
    event = datetime(2010, 1, 5, 8, tzinfo=UTC)
    alert = put_alert(fws.state, "fp-1", rule="insider.exfil.file_to_removable",
                      received=event + timedelta(hours=1), event=event)
    case = fws.case_create(bob, CaseNew("USB", alerts=(alert,))).id
    fws.case_resolve(bob, case, "false_positive")
    feedback = fws.risk_feedback()
    assert [(w.user, w.watchlist, w.origin, w.reason) for w in feedback.watches] == \
        [("ACM2278", keep.watchlist, "analyst", "kept")]
    (fp,) = feedback.false_positives
    assert (fp.user, fp.rule, fp.case_id, fp.judged_by) == \
        ("ACM2278", "insider.exfil.file_to_removable", case, "bob")
    assert (fp.first_day, fp.last_day) == (date(2010, 1, 5), date(2010, 2, 4))  # 30 days
