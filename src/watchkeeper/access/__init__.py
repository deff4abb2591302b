"""Access governance: Cedar policies, requests and grants, the decision log.

Modules (imported where used, so that loading settings stays light):

- `schema`: the Cedar schema; `Employee`, `Asset`, `GrantFacts` and the context.
- `policy`: loading and validating ``*.cedar`` files (`load`, `PolicyBundle`).
- `golden`: the golden cases beside each shipped policy.
- `decide`: `Query`, `Decision`, `Directory`, `decide` (one Cedar batch).
- `decisions`: the decision log (`record`, `list_decisions`, `decision_rows`).
- `requests`: requests, approvals, denials, durations (`parse_duration`, `needs`).
- `grants`: grants in force, revocation, expiry, HR revocation, `grant_windows`.
- `purposes`: the shipped purpose codes.
- `violations`, `violations_store`: violation checks over the lake's data-store access
  events (Ibis), stored as OCSF Data Security Findings.
- `holds`: legal holds, which retention (`lake.retention`) never purges.
- `review`, `review_store`: entitlements (who reaches what, through a policy or a
  grant), unused grants, reach against peers; review campaigns in the store.
- `report`, `report_render`: the transparency report (counts per region pair), as CSV
  and as one offline HTML page.
"""
