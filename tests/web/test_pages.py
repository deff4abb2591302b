"""The dashboard's pages over the facade, as the signed-in account: every page renders;
the queue filters, pages and acts in bulk; a case is worked and resolved; a lead reveals
with a reason, audited; and scope, recusal and roles hold exactly as in the API."""

from __future__ import annotations

import re

from watchkeeper.security.audit_sql import AuditFilter
from web.conftest import Site
from web.world import signed_in


def audit_actions(site: Site, object_type: str, object_id: str) -> list[str]:
    entries = site.workspace.audit_entries(AuditFilter(object_type=object_type,
                                                       object_id=object_id))
    return [e.action for e in entries.items]


def test_every_page_renders_for_an_analyst(site: Site) -> None:
    signed_in(site.client, "bob")
    code = site.alerts.subject
    for path in ("/", "/?days=7", "/alerts", f"/alerts/{site.alerts.eu[0]}", "/cases",
                 "/rules", "/sources", f"/people/{code}"):
        page = site.client.get(path)
        assert page.status_code == 200, (path, page.text[:500])
        assert "<main" in page.text and 'lang="en"' in page.text
        assert "ACM2278" not in page.text and "Calvin" not in page.text, path  # pseudonyms
    overview = site.client.get("/").text
    assert "Open backlog: 3 alert(s)" in overview      # bob's regions: the eu alerts
    assert '"$schema": "https://vega.github.io/schema/vega-lite/v5.json"' in overview
    # regression: the overview's sections once landed inside its <title> too
    assert "<title>Overview · Watchkeeper</title>" in overview
    assert overview.count('id="tp-h"') == overview.count('id="fr-h"') == 1


def test_the_rules_page_counts_volume_precision_and_last_fired(site: Site) -> None:
    csrf = signed_in(site.client, "bob")
    site.client.post("/alerts/bulk", data={"csrf": csrf, "action": "group",
                                           "alert": str(site.alerts.eu[0])})
    case_id = site.workspace.alert(site.alerts.eu[0]).case_id
    site.client.post(f"/cases/{case_id}/resolve", data={"csrf": csrf,
                                                        "verdict": "false_positive"})
    page = site.client.get("/rules").text
    row = re.search(r"<tr><td><a href=\"/alerts\?rule=[^\"]+\">"
                    r"insider.exfil.file_to_removable</a></td>(.*?)</tr>", page, re.S)
    assert row is not None, page
    cells = re.findall(r"<td>(.*?)</td>", row.group(1), re.S)
    # alerts, suppressed, judged, true pos., false pos., precision, median, last fired
    assert cells[0] == "3" and cells[2] == "1" and cells[3] == "0" and cells[4] == "1"
    assert cells[5] == "0.00" and cells[7] == "2010-01-04 11:00"
    assert 'id="rules-chart"' in page


def test_the_queue_keeps_to_the_accounts_regions(site: Site) -> None:
    signed_in(site.client, "bob")
    page = site.client.get("/alerts").text
    shown = {int(i) for i in re.findall(r'data-id="(\d+)"', page)}
    assert shown == set(site.alerts.eu)
    hidden = site.client.get(f"/alerts/{site.alerts.us}")
    assert hidden.status_code == 404 and "no such alert" in hidden.text
    signed_in(site.client, "uma")
    shown = set(re.findall(r'data-id="(\d+)"', site.client.get("/alerts").text))
    assert shown == {str(site.alerts.us)}


def test_the_queue_filters_sorts_and_pages(site: Site) -> None:
    signed_in(site.client, "lee")
    eu = site.alerts.eu
    high = site.client.get("/alerts", params={"severity": ["4", "3"], "sort": "severity"})
    assert re.findall(r'data-id="(\d+)"', high.text) == [str(eu[1]), str(eu[2])]
    assert site.client.get("/alerts", params={"since": "2010-01-05"}).text.count(
        "data-id=") == 0
    assert site.client.get("/alerts", params={"rule": "no.such.rule"}).text.count(
        "data-id=") == 0
    first = site.client.get("/alerts", params={"limit": "25", "sort": "time"})
    assert first.text.count("data-id=") == 3 and "Next page" not in first.text
    # HTMX asks for the queue alone
    part = site.client.get("/alerts", params={"severity": "2"},
                           headers={"HX-Request": "true", "HX-Target": "queue"})
    assert "<html" not in part.text and part.text.count("data-id=") == 1
    wrong_type = site.client.get("/alerts", params={"severity": "high"})
    assert wrong_type.status_code == 422 and "severity" in wrong_type.text
    assert "<main" in wrong_type.text
    assert site.client.get("/alerts/not-a-number").status_code == 422
    bad = site.client.get("/alerts", params={"since": "yesterday"})
    assert bad.status_code == 400 and "since" in bad.text
    other = site.client.get("/alerts", params={"team": "soc-us"})
    assert other.status_code == 400 and "not one of your teams" in other.text


def test_opening_an_alert_is_audited(site: Site) -> None:
    signed_in(site.client, "bob")
    alert = site.alerts.eu[0]
    assert site.client.get(f"/alerts/{alert}").status_code == 200
    assert audit_actions(site, "alert", str(alert)) == ["alert.read"]


def test_bulk_group_assign_and_suppress(site: Site) -> None:
    csrf = signed_in(site.client, "bob")
    a, b, c = site.alerts.eu
    grouped = site.client.post("/alerts/bulk", data={
        "csrf": csrf, "action": "group", "alert": [str(a), str(b)], "title": "USB copies"},
        follow_redirects=False)
    assert grouped.status_code == 303
    case_id = int(grouped.headers["location"].rsplit("/", 1)[1])
    assert site.workspace.alert(a).case_id == site.workspace.alert(b).case_id == case_id
    # an analyst takes alerts, but may not give them to someone else
    mine = site.client.post("/alerts/bulk", data={"csrf": csrf, "action": "assign",
                                                  "alert": [str(a), str(c)]})
    assert mine.status_code == 200 and "assigned to bob" in mine.text
    viewer = site.workspace.case_viewer("bob")
    assert site.workspace.case_show(viewer, case_id).case.assignee == "bob"
    assert site.workspace.alert(c).case_id not in (None, case_id)
    assert "assigned to bob" not in site.client.get("/alerts").text    # shown once
    forged = site.client.get("/alerts", params={"done": "Call 555-0100 to unlock"})
    assert "555-0100" not in forged.text          # no link makes a page say anything
    others = site.client.post("/alerts/bulk", data={"csrf": csrf, "action": "assign",
                                                    "alert": str(a), "assignee": "lee"})
    assert others.status_code == 403
    suppressed = site.client.post("/alerts/bulk", data={
        "csrf": csrf, "action": "suppress", "alert": str(c), "reason": "known backup job",
        "expires": "2099-01-31"})
    assert suppressed.status_code == 200 and "suppressed" in suppressed.text
    assert site.workspace.alert(c).status == "suppressed"
    assert site.workspace.alert(a).status == "new"    # the same rule: marked only if chosen
    info = site.workspace.suppressions()[0]
    assert info.reason == "known backup job" and info.owner == "bob"
    assert audit_actions(site, "suppression", str(info.id)) == ["alert.suppress"]
    no_reason = site.client.post("/alerts/bulk", data={
        "csrf": csrf, "action": "suppress", "alert": str(a), "expires": "2099-01-31"})
    assert no_reason.status_code == 400 and "reason" in no_reason.text


def test_a_bulk_action_outside_the_regions_does_nothing(site: Site) -> None:
    csrf = signed_in(site.client, "bob")
    refused = site.client.post("/alerts/bulk", data={
        "csrf": csrf, "action": "group", "alert": [str(site.alerts.eu[0]), str(site.alerts.us)]})
    assert refused.status_code == 404
    assert site.workspace.alert(site.alerts.eu[0]).case_id is None


def test_a_case_is_worked_noted_and_resolved(site: Site) -> None:
    csrf = signed_in(site.client, "bob")
    grouped = site.client.post("/alerts/bulk", data={
        "csrf": csrf, "action": "group", "alert": str(site.alerts.eu[0])})
    assert grouped.status_code == 200
    case_id = int(re.search(r"Case #(\d+)", grouped.text).group(1))   # type: ignore[union-attr]
    assert 'id="timeline-chart"' in grouped.text and "Alert-backed" in grouped.text
    noted = site.client.post(f"/cases/{case_id}/notes", data={
        "csrf": csrf, "body": "Copied the roadmap.", "template": "1"})
    assert "## Root cause" in noted.text and "Copied the roadmap." in noted.text
    moved = site.client.post(f"/cases/{case_id}/update", data={"csrf": csrf,
                                                              "status": "in_progress"})
    assert '<dd id="case-status">in_progress</dd>' in moved.text
    no_verdict = site.client.post(f"/cases/{case_id}/resolve", data={"csrf": csrf})
    assert no_verdict.status_code == 400 and "verdict" in no_verdict.text
    done = site.client.post(f"/cases/{case_id}/resolve", data={
        "csrf": csrf, "verdict": "true_positive", "note": "HR informed"})
    assert '<dd id="case-verdict">true_positive</dd>' in done.text
    assert '<dd id="case-status">resolved</dd>' in done.text
    assert "case.read" in audit_actions(site, "case", str(case_id))
    assert "case.read" in done.text       # the case's audit trail, on its page


def test_a_lead_reveals_with_a_reason_and_it_is_audited(site: Site) -> None:
    csrf = signed_in(site.client, "lee")
    code = site.alerts.subject
    short = site.client.post(f"/people/{code}/reveal", data={"csrf": csrf, "reason": "why"})
    assert short.status_code == 422 and "reason" in short.text
    shown = site.client.post(f"/people/{code}/reveal", data={
        "csrf": csrf, "reason": "case 1: HR asked who copied the files"})
    assert shown.status_code == 200 and "Calvin Love" in shown.text
    assert audit_actions(site, "person", code) == ["person.reveal"]
    again = site.client.get(f"/people/{code}").text
    assert "Calvin Love" not in again and "person.reveal" in again
    assert "case 1: HR asked who copied the files" in again


def test_an_analyst_may_not_reveal(site: Site) -> None:
    csrf = signed_in(site.client, "bob")
    page = site.client.get(f"/people/{site.alerts.subject}").text
    assert "Reveal identity" not in page
    refused = site.client.post(f"/people/{site.alerts.subject}/reveal", data={
        "csrf": csrf, "reason": "case 1: HR asked who copied the files"})
    assert refused.status_code == 403
    assert audit_actions(site, "person", site.alerts.subject) == []


def test_recusal_and_roles_hold_on_pages(site: Site) -> None:
    site.workspace.set_account_person("bob", "PEER")     # ACM2278 reports to PEER
    csrf = signed_in(site.client, "bob")
    assert site.client.get(f"/people/{site.alerts.subject}").status_code == 403
    grouped = site.client.post("/alerts/bulk", data={
        "csrf": csrf, "action": "group", "alert": str(site.alerts.eu[0])},
        follow_redirects=False)
    assert grouped.status_code == 403 and "recused" in grouped.text
    signed_in(site.client, "audrey")
    for path in ("/alerts", "/cases", "/rules"):
        assert site.client.get(path).status_code == 403, path
    home = site.client.get("/", follow_redirects=False)   # an auditor's home: the trail
    assert home.status_code == 303 and home.headers["location"] == "/audit"


def test_the_vendored_assets_are_served_with_their_licences(site: Site) -> None:
    for name in ("htmx", "vega", "vega-lite", "vega-embed", "vega-interpreter"):
        asset = site.client.get(f"/static/vendor/{name}.min.js")
        assert asset.status_code == 200 and len(asset.content) > 5_000
        assert "sourceMappingURL" not in asset.text
        assert asset.headers["cache-control"] == "public, max-age=3600"
        assert site.client.get(f"/static/vendor/{name}.LICENSE").status_code == 200
