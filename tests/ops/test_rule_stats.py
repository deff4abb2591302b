"""Rule precision from verdicts on SQLite and PostgreSQL: per rule, source and rule x
team; how each verdict counts; median time to verdict; share suppressed; scope; and
the false positives risk scoring reads."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from ops.feedbackwork import T0, Clock, clock, desk, hr_lake, judge, put_alert
from watchkeeper.cases.repository import CaseChange, CaseFilter
from watchkeeper.cases.service import CaseDesk
from watchkeeper.ops.rulestats import RuleCount, rule_stats
from watchkeeper.ops.verdicts import OUTCOMES, Outcome, false_positives, outcome
from watchkeeper.security.roles import EVERYWHERE, Scope

__all__ = ["clock", "desk", "hr_lake"]   # fixtures

A, B = "insider.exfil.file_to_removable", "acme.dlp.upload"
HOUR = timedelta(hours=1)


def by(rows: tuple[RuleCount, ...], **key: str | None) -> RuleCount:
    found = [r for r in rows if all(getattr(r, k) == v for k, v in key.items())]
    assert len(found) == 1, found
    return found[0]


@pytest.fixture
def judged(desk: CaseDesk, clock: Clock) -> CaseDesk:
    """Rule A (watchkeeper.detect): a1, a2 true positive (team soc-eu), a3 false positive
    (no team), a4 unjudged and suppressed. Rule B (acme): b1 benign (soc-eu), b2
    suspicious, b3 duplicate; b4 in the US region."""
    s = desk.store
    a = [put_alert(s, f"a{i}", rule=A, received=T0 + i * HOUR, suppressed=i == 4)
         for i in (1, 2, 3, 4)]
    b = [put_alert(s, f"b{i}", rule=B, source="acme", received=T0 + i * HOUR,
                   region="us" if i == 4 else None) for i in (1, 2, 3, 4)]
    clock.at = T0 + 10 * HOUR          # a1 waits 9 h, a2 8 h
    judge(desk, a[:2], "true_positive", team="soc-eu")
    clock.at = T0 + 5 * HOUR           # a3 waits 2 h
    judge(desk, [a[2]], "false_positive")
    clock.at = T0 + 2 * 24 * HOUR
    judge(desk, [b[0]], "benign", team="soc-eu")
    judge(desk, [b[1]], "suspicious")
    judge(desk, [b[2]], "duplicate")
    judge(desk, [b[3]], "true_positive", who="ada")
    return desk


def test_precision_per_rule_source_and_rule_team(judged: CaseDesk) -> None:
    with judged.store.session() as s:
        st = rule_stats(s, EVERYWHERE)
    ra = by(st.rules, rule=A)
    assert (ra.alerts, ra.suppressed, ra.judged, ra.true_positives, ra.false_positives) == \
        (4, 1, 3, 2, 1)
    assert ra.precision == pytest.approx(2 / 3) and ra.suppressed_share == 0.25
    assert ra.median_seconds_to_verdict == 8 * 3600     # 9 h, 8 h and 2 h
    rb = by(st.rules, rule=B)
    assert (rb.alerts, rb.judged, rb.true_positives, rb.false_positives, rb.undecided,
            rb.not_counted) == (4, 4, 1, 1, 1, 1)
    assert rb.precision == 0.5 and rb.suppressed_share == 0.0
    assert by(st.sources, source="acme") == RuleCount(
        None, "acme", None, 4, 0, 4, 1, 1, 1, 1, 0.5, rb.median_seconds_to_verdict, 0.0)
    assert by(st.sources, source="watchkeeper.detect").precision == pytest.approx(2 / 3)
    eu = by(st.rule_teams, rule=A, team="soc-eu")
    assert (eu.alerts, eu.true_positives, eu.precision) == (2, 2, 1.0)
    none = by(st.rule_teams, rule=A, team=None)
    assert (none.alerts, none.false_positives, none.precision, none.suppressed) == \
        (2, 1, 0.0, 1)
    assert by(st.rule_teams, rule=B, team="soc-eu").precision == 0.0   # benign
    assert (st.total.alerts, st.total.judged) == (8, 7)
    assert st.verdicts["benign"] == "false_positive"
    assert st.verdicts["duplicate"] == "not_counted"


def test_scope_period_and_reopening(judged: CaseDesk) -> None:
    eu = Scope(True, False, frozenset({"eu"}), True)
    with judged.store.session() as s:
        assert by(rule_stats(s, eu).rules, rule=B).alerts == 3      # not the US alert
        early = rule_stats(s, EVERYWHERE, until=T0 + 2 * HOUR + timedelta(minutes=1))
        assert [(r.rule, r.alerts) for r in early.rules] == [(B, 2), (A, 2)]
        assert rule_stats(s, Scope(False, True, frozenset(), True)).total.alerts == 0
    bob = judged.viewer("bob", "x")
    fp_case = next(c.id for c in judged.listing(bob, CaseFilter()).items
                   if c.verdict == "false_positive")
    judged.update(bob, fp_case, CaseChange(status="in_progress"))   # reopened
    with judged.store.session() as s:
        ra = by(rule_stats(s, EVERYWHERE).rules, rule=A)
    assert (ra.judged, ra.false_positives, ra.precision) == (2, 0, 1.0)


def test_every_verdict_has_a_documented_outcome() -> None:
    from watchkeeper.cases.workflow import Verdict
    assert set(OUTCOMES) == set(Verdict)
    assert outcome("security_risk") is Outcome.TRUE_POSITIVE
    assert outcome("insufficient_data") is Outcome.UNDECIDED
    assert outcome("no-such-word") is Outcome.NOT_COUNTED


def test_false_positives_are_what_risk_reads(judged: CaseDesk) -> None:
    with judged.store.session() as s:
        fps = false_positives(s, EVERYWHERE, 30)
    assert len(fps) == 1
    v = fps[0]
    first = (T0 + 3 * HOUR - HOUR).date()
    assert (v.user, v.rule, v.first_day, v.last_day, v.judged_by) == \
        ("ACM2278", A, first, first + timedelta(days=30), "bob")
    assert v.judged_on == date(2010, 1, 4)
