"""``/audit``: auditors (and admins) read the audit trail, newest first, paged and
filtered, without any entry's detail; the roles that work cases do not."""

from __future__ import annotations

import re

from web.conftest import Site
from web.world import signed_in


def test_an_auditor_reads_the_trail_paged_without_case_content(site: Site) -> None:
    for i in range(60):
        site.workspace.audited("lee", "case.read", "case", str(i),
                               {"reason": f"secret reason {i}"})
    site.workspace.audited("bob", "person.reveal", "person", site.alerts.subject)
    signed_in(site.client, "audrey")
    first = site.client.get("/audit")
    assert first.status_code == 200
    assert '<a href="/audit" aria-current="page">Audit</a>' in first.text
    assert 'href="/alerts"' not in first.text          # no page the role cannot open
    rows = re.findall(r"<tr><td>(\d+)</td>", first.text)
    assert len(rows) == 50 and int(rows[0]) > int(rows[-1])   # newest first
    assert "person.reveal" in first.text and "secret reason" not in first.text
    older = re.search(r'href="(/audit\?[^"]*cursor=[^"]+)" rel="next"', first.text)
    assert older is not None
    second = site.client.get(older.group(1).replace("&amp;", "&")).text
    more = re.findall(r"<tr><td>(\d+)</td>", second)
    assert more and int(more[0]) < int(rows[-1])
    only = site.client.get("/audit", params={"who": "bob", "action": "person"}).text
    assert re.findall(r"<td>(bob|lee)</td>", only) == ["bob"]


def test_the_trail_is_refused_to_an_analyst(site: Site) -> None:
    signed_in(site.client, "bob")
    refused = site.client.get("/audit")
    assert refused.status_code == 403
    assert 'href="/audit"' not in site.client.get("/").text
