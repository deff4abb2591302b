"""The operations on the dashboard: the overview's service levels per team (the
operations metrics, through `MetricsJobs`), the playbook runs on a case page and the
hand-off page for the team on shift (read audited, acknowledged by the team)."""

from __future__ import annotations

import datetime as dt
import re

from watchkeeper.cases.service import CaseNew
from watchkeeper.ops.clock import FixedClock
from watchkeeper.ops.period import Period
from web.conftest import Site
from web.test_pages import audit_actions
from web.world import NOW, signed_in

HX = {"hx-request": "true"}


def case_of(site: Site, alert: int, at: dt.datetime) -> int:
    site.workspace.clock = FixedClock(at)
    viewer = site.workspace.case_viewer("lee")
    return site.workspace.case_create(viewer, CaseNew("exfil", alerts=(alert,))).id


def cells(html: str, team: str) -> list[str]:
    row = re.search(rf'<th scope="row">{re.escape(team)}</th>(.*?)</tr>', html, re.S)
    assert row, f"no row for {team}"
    return [re.sub(r"<[^>]+>", "", c).strip() for c in
            re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)]


def test_the_overview_shows_sla_compliance_and_clocks_per_team(site: Site) -> None:
    ws = site.workspace
    ws.clock = FixedClock(NOW - dt.timedelta(days=2))
    for team in ("soc-eu", "soc-us"):                  # routing gives cases to teams
        ws.shifts_set(team, "UTC", ["mon-sun 00:00-23:59"])
    ws.sla_policy_set("high", "1h", "1d")
    ws.sla_policy_set("medium", "1h", "1d")
    met = case_of(site, site.alerts.eu[2], NOW - dt.timedelta(days=2))        # high
    ws.clock = FixedClock(NOW - dt.timedelta(days=2) + dt.timedelta(minutes=30))
    ws.case_acknowledge(ws.case_viewer("lee"), met)
    case_of(site, site.alerts.eu[1], NOW - dt.timedelta(days=1))              # medium
    ws.clock = FixedClock(NOW)
    signed_in(site.client, "bob")
    overview = site.client.get("/").text
    assert 'hx-get="/overview/service?days=30"' in overview   # loaded once shown
    fragment = site.client.get("/overview/service", headers=HX).text
    assert "<html" not in fragment                             # a fragment for HTMX
    bob = ws.case_viewer("bob")
    expected = ws.metrics(bob, Period.last_days(30, NOW), team="soc-eu")
    assert expected.cases == 2 and expected.sla.ack_met == 1
    assert expected.sla.ack_breached == 1                      # the medium one, unacked
    assert expected.sla.resolve_breached == 2                  # neither resolved in a day
    row = cells(fragment, "soc-eu")
    assert row[:5] == [str(expected.cases), "50%", "1", "0%", "2"]
    assert row[5].startswith("30 min / ")                      # median time to acknowledge
    assert cells(fragment, "Every team")[0] == str(ws.metrics(bob, "2010-01").cases)
    page = site.client.get("/overview/service?days=7")         # opened without HTMX
    assert page.status_code == 200 and "<title>Service levels" in page.text
    signed_in(site.client, "audrey")                           # no alert content
    assert site.client.get("/overview/service").status_code == 403


def test_a_case_page_lists_the_playbook_runs_of_the_case(site: Site) -> None:
    folder = site.workspace.root / "playbooks"
    folder.mkdir(exist_ok=True)
    (folder / "opened.yml").write_text("""\
id: opened
title: Any case opened
trigger: {on: case}
steps:
  - name: ask HR
    task: {title: Ask HR for the exit date}
""")
    case = case_of(site, site.alerts.eu[0], NOW)
    empty = case_of(site, site.alerts.eu[1], NOW)
    site.workspace.playbooks_run_due()
    runs = site.workspace.playbook_runs(case_id=case)
    assert [r.status for r in runs] == ["succeeded"]
    signed_in(site.client, "bob")
    page = site.client.get(f"/cases/{case}").text
    section = page.split('id="pb-h"')[1].split("</section>")[0]
    assert f"<td>{runs[0].id}</td>" in section and "opened" in section
    assert "ask HR: succeeded" in section
    other = site.client.get(f"/cases/{empty}").text.split('id="pb-h"')[1]
    assert f"<td>{runs[0].id}</td>" not in other.split("</section>")[0]


def test_the_hand_off_page_shows_what_the_last_shift_passed_on(site: Site) -> None:
    ws = site.workspace
    ws.clock = FixedClock(NOW - dt.timedelta(hours=3))                     # 09:00 UTC
    ws.shifts_set("soc-eu", "UTC", ["mon-sun 06:00-12:00"])
    case = case_of(site, site.alerts.eu[0], NOW - dt.timedelta(hours=2))
    ws.clock = FixedClock(NOW + dt.timedelta(minutes=5))                   # shift over
    (written,) = ws.handoffs_due().written
    signed_in(site.client, "bob")
    assert 'href="/handoff"' in site.client.get("/").text                  # in the nav
    page = site.client.get("/handoff")
    assert page.status_code == 200
    assert "<h1>Hand-off to soc-eu</h1>" in page.text
    assert f'href="/cases/{case}"' in page.text and "pending" in page.text
    assert audit_actions(site, "handoff", str(written.id)) == ["handoff.read"]
    csrf = re.findall(r'name="csrf" value="([^"]+)"', page.text)[0]
    done = site.client.post(f"/handoff/{written.id}/ack", data={"csrf": csrf},
                            follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/handoff?team=soc-eu"
    after = site.client.get("/handoff").text
    assert "acknowledged</span> by bob" in after and 'id="do-ack"' not in after
    again = site.client.post(f"/handoff/{written.id}/ack", data={"csrf": csrf})
    assert again.status_code == 409
    assert site.client.get("/handoff?team=nobody").status_code == 404
    signed_in(site.client, "uma")                   # soc-us: may read, not acknowledge
    other = site.client.get("/handoff?team=soc-eu").text
    assert f'href="/cases/{case}"' not in other     # an eu case: outside uma's regions
