"""detect -> queue and analyze -> queue, end to end on a small simulated workspace, and the
facade's pseudonymized views of the queue."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from cases.simlake import SimCase
from watchkeeper.cases.intake import DETECT, RISK
from watchkeeper.cases.queue import AlertQuery
from watchkeeper.errors import ConfigError
from watchkeeper.store.models import Alert


def counts(case: SimCase) -> dict[str, int]:
    with case.ws.state.session() as s:
        return {source: n for source, n in s.execute(
            select(Alert.source, func.count(Alert.id)).group_by(Alert.source))}


def test_detect_and_analyze_queue_their_alerts(sim_case: SimCase) -> None:
    ws = sim_case.ws
    findings = ws.lake.table("finding")
    ours = int(findings.filter(findings.vendor == "watchkeeper").count().execute())
    risk = ws.analysis.table("risk_alerts").num_rows
    assert ours > 0 and risk > 0
    assert counts(sim_case) == {DETECT: ours, RISK: risk}


def test_a_second_sync_queues_nothing_and_counts_nothing(sim_case: SimCase) -> None:
    before = counts(sim_case)
    report = sim_case.ws.alerts_sync()
    assert (report.findings, report.risk_alerts, report.intake.received) == (0, 0, 0)
    assert counts(sim_case) == before
    with sim_case.ws.state.session() as s:
        assert s.scalar(select(func.sum(Alert.duplicates))) == 0


def test_a_finding_alert_links_its_finding_and_events(sim_case: SimCase) -> None:
    ws = sim_case.ws
    page = ws.alerts_list(AlertQuery(source=DETECT, limit=1))
    detail = ws.alert(page.items[0].id)
    table = ws.lake.table("finding")
    (finding,) = table.filter(table.event_id == detail.source_ref).select(
        "event_id", "event_refs").to_pyarrow().to_pylist()
    assert detail.finding_ids == (finding["event_id"],)
    assert detail.event_refs and set(detail.event_refs) == set(finding["event_refs"])


def test_a_risk_alert_links_the_findings_behind_it(sim_case: SimCase) -> None:
    ws = sim_case.ws
    page = ws.alerts_list(AlertQuery(source=RISK, sort="-severity", limit=20))
    details = [ws.alert(a.id) for a in page.items]
    assert any(d.finding_ids for d in details)
    with ws.state.session() as s:
        queued = set(s.scalars(select(Alert.source_ref).where(Alert.source == DETECT)))
    assert {f for d in details for f in d.finding_ids} <= queued
    assert all(d.description for d in details)   # the risk explanation


def test_people_show_as_pseudonyms_and_filter_by_them(sim_case: SimCase) -> None:
    ws = sim_case.ws
    pz = ws.pseudonymizer()
    insider = sim_case.key[0].user
    mine = ws.alerts_list(AlertQuery(limit=1000), person=pz.pseudonym(insider))
    assert mine.total > 0
    assert all(pz.pseudonym(insider) in a.subjects for a in mine.items)
    everyone = ws.alerts_list(AlertQuery(limit=1000))
    text = str([asdict(a) for a in everyone.items]) + str(asdict(ws.alert(mine.items[0].id)))
    users = ws.lake.table("people").select("user").distinct().to_pyarrow().column(0)
    assert not [u for u in users.to_pylist() if u in text]
    assert ws.alerts_list(AlertQuery(), person="P-0000-0000").total == 0


def test_suppress_by_pseudonym_and_lift(sim_case: SimCase) -> None:
    ws = sim_case.ws
    insider = sim_case.key[0].user
    pseudonym = ws.pseudonymizer().pseudonym(insider)
    info = ws.suppress(reason="on leave", owner="hr", expires=date.today() + timedelta(days=1),
                       person=pseudonym)
    assert info.match == {"subject": pseudonym} and info.active
    assert ws.suppressions()[-1].id == info.id
    assert not ws.lift_suppression(info.id).active
    with pytest.raises(ConfigError, match=r"^--subject 'P-0000-0000': nobody"):
        ws.suppress(reason="r", owner="o", expires=date.today(), person="P-0000-0000")
