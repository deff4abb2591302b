"""Allow-list proposals on SQLite and PostgreSQL: only a false-positive verdict proposes,
a lead other than the proposer reviews, an accepted one is a suppression with an
expiry that new alerts meet, a rejected one says why; each step a case event and an
audit entry, a refused step storing nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import count

import pytest

from ops.feedbackwork import T0, fws, hr_lake, put_alert
from watchkeeper.cases.alerts import store_alerts
from watchkeeper.cases.model import AlertIn, Severity
from watchkeeper.cases.service import CaseNew
from watchkeeper.errors import AccessError, ConflictError, FeedbackError, NotFoundError
from watchkeeper.security.audit_sql import AuditFilter
from watchkeeper.workspace import Workspace

__all__ = ["fws", "hr_lake"]   # fixtures

RULE = "insider.exfil.file_to_removable"
NOW = datetime(2026, 12, 9, 10, 0, tzinfo=UTC)
REFS = count()


def fp_case(ws: Workspace, subjects: tuple[str, ...] = ("ACM2278",),
            verdict: str = "false_positive") -> int:
    bob = ws.case_viewer("bob")
    ids = [put_alert(ws.state, f"r-{next(REFS)}", rule=RULE, subjects=(who,))
           for who in subjects]
    case = ws.case_create(bob, CaseNew("USB copies", alerts=tuple(ids))).id
    ws.case_resolve(bob, case, verdict)
    return case


def alert_in(ref: str, subject: str) -> AlertIn:
    return AlertIn(source="watchkeeper.detect", source_ref=ref, title="USB copy",
                   severity=Severity.MEDIUM, event_time=T0, raw="{}", rule="USB copy",
                   rule_id=RULE, subjects=(subject,))


def test_an_accepted_proposal_suppresses_new_alerts_until_it_expires(fws: Workspace) -> None:
    bob, lee = fws.case_viewer("bob"), fws.case_viewer("lee")
    case = fp_case(fws)
    made = fws.allow_propose(bob, case, "subject", "Test account of the USB pilot",
                             now=NOW)
    who = fws.pseudonymizer().pseudonym("ACM2278")
    assert (made.status, made.rule, made.field, made.value, made.proposer) == \
        ("pending", RULE, "subject", who, "bob")
    assert [p.id for p in fws.allow_proposals(lee)] == [made.id]
    with pytest.raises(ConflictError, match="pending already"):
        fws.allow_propose(bob, case, "subject", "again", now=NOW)
    assert fws.suppressions() == ()                       # nothing until a lead says so
    with pytest.raises(AccessError, match="cannot review"):
        fws.allow_accept(bob, made.id, now=NOW)
    done = fws.allow_accept(lee, made.id, expires=date(2026, 12, 31), note="ok", now=NOW)
    assert (done.status, done.reviewer, done.review_note) == ("accepted", "lee", "ok")
    assert done.expires_at == datetime(2027, 1, 1, tzinfo=UTC)
    (sup,) = fws.suppressions()
    assert sup.id == done.suppression_id and sup.match == {"rule": RULE, "subject": who}
    assert sup.owner == "lee" and f"allow-list proposal {made.id}" in sup.reason
    result = store_alerts(fws.state, [alert_in("n1", "ACM2278"), alert_in("n2", "REP")],
                          NOW)
    assert (result.new, result.suppressed) == (2, 1)
    with pytest.raises(ConflictError, match="accepted already"):
        fws.allow_reject(lee, made.id, "changed my mind", now=NOW)
    events = [e.action for e in fws.case_show(lee, case).events]
    assert "allow.propose" in events and "allow.accept" in events
    audited = [e.action for e in fws.audit_entries(AuditFilter(action="allow")).items]
    assert sorted(audited) == ["allow.accept", "allow.propose"]


def test_only_a_false_positive_proposes_and_the_value_must_be_the_cases(
        fws: Workspace) -> None:
    bob = fws.case_viewer("bob")
    tp = fp_case(fws, verdict="true_positive")
    with pytest.raises(FeedbackError, match=r"case_id: case .* verdict true_positive"):
        fws.allow_propose(bob, tp, "subject", "no", now=NOW)
    two = fp_case(fws, ("ACM2278", "REP"))
    with pytest.raises(FeedbackError, match=r"value: case .* have 2: name one"):
        fws.allow_propose(bob, two, "subject", "which one", now=NOW)
    with pytest.raises(FeedbackError, match="value: 'PEER' is not among"):
        fws.allow_propose(bob, two, "subject", "not in it", value="PEER", now=NOW)
    with pytest.raises(FeedbackError, match="field: 'rule'"):
        fws.allow_propose(bob, two, "rule", "no such field", now=NOW)
    with pytest.raises(FeedbackError, match="reason: 1 to 1000"):
        fws.allow_propose(bob, two, "host", "  ", now=NOW)
    assert fws.allow_proposals(bob, None) == ()            # nothing stored
    pseudonym = fws.pseudonymizer().pseudonym("REP")
    made = fws.allow_propose(bob, two, "subject", "REP's copies are backups",
                             value=pseudonym, now=NOW)
    assert made.value == pseudonym
    host = fws.allow_propose(bob, two, "host", "the backup PC", now=NOW)
    assert (host.field, host.value) == ("host", "PC-6377")


def test_a_rejection_needs_a_reason_and_the_proposer_never_reviews(fws: Workspace) -> None:
    lee, ada = fws.case_viewer("lee"), fws.case_viewer("ada")
    made = fws.allow_propose(lee, fp_case(fws), "host", "shared build host", now=NOW)
    with pytest.raises(AccessError, match="lee proposed it"):
        fws.allow_accept(lee, made.id, now=NOW)
    with pytest.raises(FeedbackError, match="note: 1 to 1000"):
        fws.allow_reject(ada, made.id, " ", now=NOW)
    done = fws.allow_reject(ada, made.id, "too broad: the host is shared", now=NOW)
    assert (done.status, done.reviewer, done.suppression_id) == ("rejected", "ada", None)
    assert fws.allow_proposals(lee) == ()
    assert [p.status for p in fws.allow_proposals(lee, None)] == ["rejected"]
    assert fws.suppressions() == ()
    with pytest.raises(NotFoundError):
        fws.allow_accept(ada, 999, now=NOW)
    with pytest.raises(FeedbackError, match="status: 'open'"):
        fws.allow_proposals(lee, "open")
    accepted = fws.allow_accept(ada, fws.allow_propose(
        lee, fp_case(fws, ("REP",)), "host", "pilot", now=NOW).id, now=NOW)
    assert accepted.expires_at == datetime.combine(
        NOW.date() + timedelta(days=91), datetime.min.time(), UTC)   # allow_days 90
