"""Requests, approvals and grants through the facade, on both stores, with a driven
clock: who may approve, how many approvers, expiry, revocation on demand and on HR's
word, the risk rule, and the audit trail."""

from __future__ import annotations

from datetime import timedelta

import pyarrow as pa
import pytest

from access.conftest import NOW, World
from watchkeeper.access.requests import RequestNew, parse_duration
from watchkeeper.errors import ConflictError, GrantError, NotFoundError
from watchkeeper.security.audit_sql import AuditFilter


def ask(w: World, principal: str = "ana", resource: str = "eu-users", *,
        action: str = "export", duration: str = "8h", requester: str | None = None,
        purpose: str = "customer-support") -> int:
    new = RequestNew(principal, action, resource, purpose, "customer asked for a copy",
                     parse_duration(duration), ticket="SUP-42")
    return w.ws.access_request(new, requester=requester or principal, actor="cli:tester").id


def check(w: World, principal: str = "ana", action: str = "export",
          resource: str = "eu-users", purpose: str = "customer-support") -> str:
    return w.ws.authorize(principal, action, resource, purpose=purpose,
                          caller="svc").decision


def test_one_approver_in_region_makes_a_grant_that_allows(world: World) -> None:
    assert check(world) == "deny"
    ident = ask(world)
    pending = world.ws.access_requests()
    assert [r.id for r in pending] == [ident] and pending[0].approvals_needed == 1
    done = world.ws.access_approve(ident, approver="leo", actor="cli:leo-login")
    assert done.status == "approved" and done.approvers == ("leo",)
    assert done.grant_id is not None
    decision = world.ws.authorize("ana", "export", "eu-users", purpose="customer-support",
                                  caller="svc")
    assert decision.decision == "allow" and decision.grant_id == done.grant_id
    assert decision.policies == ("approved-grant",)
    # the grant is for its purpose only
    assert check(world, purpose="investigation") == "deny"
    (grant,) = world.ws.access_grants()
    assert (grant.principal, grant.action, grant.resource, grant.state) == \
        ("ana", "export", "eu-users", "active")
    assert grant.expires_at == NOW + timedelta(hours=8)


def test_nobody_approves_their_own_request_or_one_for_themselves(world: World) -> None:
    own = ask(world)
    with pytest.raises(GrantError, match="approver: ana made access request"):
        world.ws.access_approve(own, approver="ana", actor="cli:x")
    for_sam = ask(world, "sam", "us-users", requester="ron")
    with pytest.raises(GrantError, match="is for sam, who may not review it"):
        world.ws.access_approve(for_sam, approver="sam", actor="cli:x")
    with pytest.raises(GrantError, match="made access request"):
        world.ws.access_deny(for_sam, approver="ron", reason="no", actor="cli:x")
    assert {r.status for r in world.ws.access_requests(None)} == {"pending"}


def test_cross_region_needs_two_different_approvers(world: World) -> None:
    ident = ask(world, resource="us-users", action="read")
    first = world.ws.access_approve(ident, approver="leo", actor="cli:x")
    assert (first.status, first.approvals_needed, first.grant_id) == ("pending", 2, None)
    assert "cross-region" in first.needs_why
    with pytest.raises(ConflictError, match="leo approved it already"):
        world.ws.access_approve(ident, approver="leo", actor="cli:x")
    assert check(world, action="read", resource="us-users") == "deny"
    second = world.ws.access_approve(ident, approver="ron", actor="cli:x")
    assert second.status == "approved" and second.approvers == ("leo", "ron")
    assert check(world, action="read", resource="us-users") == "allow"
    with pytest.raises(ConflictError, match="approved already"):
        world.ws.access_approve(ident, approver="max", actor="cli:x")


def test_vip_records_need_two_approvers_even_in_region(world: World) -> None:
    assert check(world, action="read", resource="eu-vip") == "deny"
    ident = ask(world, resource="eu-vip", action="read")
    assert world.ws.access_approve(ident, approver="leo", actor="c").status == "pending"
    assert world.ws.access_approve(ident, approver="max", actor="c").status == "approved"
    assert check(world, action="read", resource="eu-vip") == "allow"


def test_a_grant_expires_on_time(world: World) -> None:
    ident = ask(world, duration="PT20S")
    grant = world.ws.access_approve(ident, approver="leo", actor="c").grant_id
    world.clock.advance(timedelta(seconds=19))
    assert check(world) == "allow"
    world.clock.advance(timedelta(seconds=1))
    assert check(world) == "deny"
    assert world.ws.access_grants() == ()
    (ended,) = world.ws.access_grants(ended=True)
    assert ended.id == grant and ended.state == "expired"
    first = world.ws.access_expire()
    assert first.ended == (grant,) and first.hr_revoked == ()
    assert world.ws.access_expire().ended == ()   # audited once
    entries = world.ws.audit_entries(AuditFilter(action="access.grant.ended")).items
    assert [(e.actor, e.object_id) for e in entries] == [("scheduler", str(grant))]


def test_revoked_early_on_demand(world: World) -> None:
    grant = world.ws.access_approve(ask(world), approver="leo", actor="c").grant_id
    assert grant is not None
    revoked = world.ws.access_revoke(grant, actor="cli:boss", reason="case closed")
    assert revoked.state == "revoked" and revoked.revoked_by == "cli:boss"
    assert check(world) == "deny"
    with pytest.raises(ConflictError, match="revoked already"):
        world.ws.access_revoke(grant, actor="cli:boss")
    with pytest.raises(NotFoundError):
        world.ws.access_revoke(999, actor="cli:boss")


def test_hr_revocation_on_the_day_hr_shows_it(world: World) -> None:
    long = "7d"
    moved = world.ws.access_approve(ask(world, "eve", duration=long), approver="leo",
                                    actor="c").grant_id
    left = world.ws.access_approve(ask(world, "kim", duration=long), approver="leo",
                                   actor="c").grant_id
    kept = world.ws.access_approve(ask(world, duration=long), approver="leo",
                                   actor="c").grant_id
    world.clock.advance(timedelta(days=1))            # June 2: nothing changed yet
    assert world.ws.access_expire().hr_revoked == ()
    world.clock.advance(timedelta(days=1))            # June 3: eve in US, kim gone
    report = world.ws.access_expire()
    assert sorted(report.hr_revoked) == sorted([moved, left])
    states = {g.id: (g.state, g.revoked_by, g.revoke_reason)
              for g in world.ws.access_grants(ended=True)}
    assert states[moved][:2] == ("revoked", "hr") and "moved region" in states[moved][2]
    assert states[left][:2] == ("revoked", "hr") and "left" in states[left][2]
    assert states[kept][0] == "active"
    assert check(world, "eve") == "deny" and check(world, "kim") == "deny"
    assert check(world) == "allow"
    assert kept is not None


def test_the_scheduler_expiry_job_ends_grants(world: World) -> None:
    moved = world.ws.access_approve(ask(world, "eve", duration="7d"), approver="leo",
                                    actor="c").grant_id
    short = world.ws.access_approve(ask(world, duration="30m"), approver="leo",
                                    actor="c").grant_id
    world.clock.set(NOW.replace(day=3))
    (run,) = world.ws.scheduler_run_once(["expiry"], world.clock)
    assert run.outcome == "ok" and run.summary is not None
    assert "1 grant(s) revoked on HR's word, 2 ended grant(s) audited" in run.summary
    ended = world.ws.audit_entries(AuditFilter(action="access.grant.ended")).items
    assert sorted(e.object_id for e in ended) == sorted([str(moved), str(short)])


def test_elevated_risk_needs_one_more_approver(world: World) -> None:
    day = NOW.date()
    world.ws.analysis.save({"risk_history": pa.table({
        "user": ["ana", "ana", "eve"], "day": [day - timedelta(days=2), day, day],
        "score": [0.1, 0.9, 0.2]})}, {"last_day": day.isoformat()})
    assert world.ws.access_risk_levels(day) == {"ana": "elevated", "eve": "normal"}
    ident = ask(world)                                 # an export in-region: 1 + 1
    made = world.ws.access_requests()[0]
    assert made.approvals_needed == 2 and "risk is elevated" in made.needs_why
    world.ws.access_approve(ident, approver="leo", actor="c")
    assert world.ws.access_approve(ident, approver="max", actor="c").status == "approved"
    decision = world.ws.authorize("ana", "export", "eu-users", purpose="customer-support",
                                  caller="svc")
    assert decision.decision == "allow" and decision.risk == "elevated"
    # a grant approved before the risk rose: the policy asks for the extra approver
    other = ask(world, "eve")
    world.ws.access_approve(other, approver="leo", actor="c")
    world.ws.analysis.save({"risk_history": pa.table({
        "user": ["eve"], "day": [day], "score": [0.95]})}, {"last_day": day.isoformat()})
    late = world.ws.authorize("eve", "export", "eu-users", purpose="customer-support",
                              caller="svc")
    assert late.decision == "deny" and late.policies == ("elevated-risk-extra-approver",)
    assert "one more approver" in late.reasons[0]


def test_denied_request_makes_no_grant(world: World) -> None:
    ident = ask(world)
    done = world.ws.access_deny(ident, approver="leo", reason="no ticket", actor="cli:l")
    assert (done.status, done.denied_by, done.deny_reason) == ("denied", "leo", "no ticket")
    with pytest.raises(ConflictError, match="denied already"):
        world.ws.access_approve(ident, approver="max", actor="c")
    assert world.ws.access_grants(ended=True) == ()


def test_requests_are_checked_field_by_field(world: World) -> None:
    with pytest.raises(GrantError, match="purpose: 'curiosity': not a purpose code"):
        ask(world, purpose="curiosity")
    with pytest.raises(GrantError, match="resource: 'nope'"):
        ask(world, resource="nope")
    with pytest.raises(GrantError, match="for: 'zed'"):
        ask(world, "zed")
    with pytest.raises(GrantError, match="approver: 'zed'"):
        world.ws.access_approve(ask(world), approver="zed", actor="c")


def test_changes_are_audited_as_the_account_and_the_employee(world: World) -> None:
    ident = ask(world)
    grant = world.ws.access_approve(ident, approver="leo", actor="cli:leo-login").grant_id
    world.ws.access_revoke(grant or 0, actor="cli:boss")
    entries = world.ws.audit_entries(AuditFilter(action="access")).items
    got = sorted((e.action, e.actor) for e in entries)
    assert got == [("access.approve", "cli:leo-login"), ("access.grant", "cli:leo-login"),
                   ("access.request", "cli:tester"), ("access.revoke", "cli:boss")]
    approve = next(e for e in entries if e.action == "access.approve")
    assert approve.detail["as"] == world.ws.pseudonymizer().pseudonym("leo")
    assert world.ws.audit_verify().ok


def test_decision_log_is_queryable(world: World) -> None:
    check(world, action="read")
    check(world, "sam", "read", "eu-users")
    check(world, "nobody", "read", "eu-users")
    world.clock.advance(timedelta(minutes=5))
    check(world, "ana", "read", "us-users")
    everything = world.ws.access_decisions()
    assert len(everything) == 4 and everything[0].resource == "us-users"   # newest first
    assert [d.resource for d in world.ws.access_decisions(principal="ana")] == \
        ["us-users", "eu-users"]
    assert len(world.ws.access_decisions(resource="eu-users")) == 3
    assert len(world.ws.access_decisions(since=NOW + timedelta(minutes=1))) == 1
    unknown = world.ws.access_decisions(principal="nobody")[0]
    assert unknown.decision == "deny" and "unknown principal" in unknown.reasons[0]
    rows = world.ws.access_decision_rows()
    assert [r.at for r in rows] == sorted(r.at for r in rows)


def test_grant_windows_for_violation_detection(world: World) -> None:
    kept = world.ws.access_approve(ask(world, duration="1h"), approver="leo",
                                   actor="c").grant_id
    cut = world.ws.access_approve(ask(world, action="read", duration="1h"),
                                  approver="leo", actor="c").grant_id
    world.clock.advance(timedelta(minutes=10))
    world.ws.access_revoke(cut or 0, actor="c")
    windows = {w.grant_id: w for w in world.ws.access_grant_windows()}
    assert windows[kept or 0].end == NOW + timedelta(hours=1)
    assert not windows[kept or 0].revoked
    assert windows[cut or 0].end == NOW + timedelta(minutes=10) and windows[cut or 0].revoked
    assert world.ws.access_grant_windows(since=NOW + timedelta(minutes=30)) == \
        (windows[kept or 0],)


@pytest.mark.parametrize(("text", "seconds"), [
    ("30m", 1800), ("8h", 28800), ("7d", 604800), ("PT20S", 20), ("P1DT2H", 93600),
    ("pt1h30m", 5400)])
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["", "0m", "8x", "P", "PT", "91d", "-1h", "1.5h"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(GrantError, match="duration"):
        parse_duration(text)


def test_grants_and_allowing_decisions_are_the_violation_checks_windows(
        world: World) -> None:
    """`Workspace.access_windows` feeds violation detection from the store: one window
    per grant (start to expiry) and per allowing decision (15 minutes); none at all
    means the grant checks wait (None)."""
    assert world.ws.access_windows() is None
    assert check(world) == "deny"                       # a denial allows nothing
    assert world.ws.access_windows() is None
    grant = world.ws.access_approve(ask(world), approver="leo", actor="c").grant_id
    assert grant is not None
    assert check(world) == "allow"
    table = world.ws.access_windows()
    assert table is not None
    rows = sorted(table.to_pylist(), key=lambda r: r["source"])
    assert [(r["source"], r["principal"], r["action"], r["resource"]) for r in rows] == [
        ("decision", "ana", "export", "eu-users"), ("grant", "ana", "export", "eu-users")]
    decision, granted = rows
    assert granted["end"] - granted["start"] == timedelta(hours=8)
    assert decision["end"] - decision["start"] == timedelta(minutes=15)
