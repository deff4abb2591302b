"""Entitlement review through the facade, on both stores: who reaches what through
which policy or grant, unused grants, reach against peers, and a campaign whose revoke
revokes the grant, with no self-review and every step audited."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from access.conftest import NOW, World
from access.test_grants import ask
from watchkeeper.access.decide import Directory
from watchkeeper.access.review import Entitlement, PeerRule, reach
from watchkeeper.access.schema import Asset, Employee
from watchkeeper.errors import ConflictError, GrantError, NotFoundError
from watchkeeper.security.audit_sql import AuditFilter


def grant(
    w: World,
    principal: str,
    action: str,
    resource: str,
    approvers: tuple[str, ...] = ("leo",),
    requester: str | None = None,
) -> int:
    ident = ask(w, principal, resource, action=action, requester=requester)
    for a in approvers:
        done = w.ws.access_approve(ident, approver=a, actor="cli:t")
    assert done.grant_id is not None
    return done.grant_id


def pairs(w: World, who: str) -> set[tuple[str, str, str]]:
    return {
        (e.action, e.resource, e.via)
        for e in w.ws.access_entitlements().entitlements
        if e.principal == who
    }


def test_policies_and_grants_say_who_reaches_what(world: World) -> None:
    view = world.ws.access_entitlements()
    by_policy = {(e.principal, e.action, e.resource, e.policies) for e in view.entitlements}
    # golden: same-region reads for the roles that serve user data, nobody else
    assert by_policy == {
        ("ana", "read", "eu-users", ("same-region-read",)),
        ("eve", "read", "eu-users", ("same-region-read",)),
        ("kim", "read", "eu-users", ("same-region-read",)),
        ("sam", "read", "us-users", ("same-region-read",)),
    }
    gid = grant(world, "ana", "export", "eu-users")
    assert pairs(world, "ana") == {("read", "eu-users", "policy"), ("export", "eu-users", "grant")}
    (e,) = [e for e in world.ws.access_entitlements().entitlements if e.via == "grant"]
    assert (e.grant_id, e.purpose, e.cross_region) == (gid, "customer-support", False)
    # a revoked grant reaches nothing
    world.ws.access_revoke(gid, actor="cli:t")
    assert pairs(world, "ana") == {("read", "eu-users", "policy")}


def test_a_leaver_reaches_nothing(world: World) -> None:
    world.clock.set(NOW + timedelta(days=3))  # kim's last day was 2026-06-02
    assert pairs(world, "kim") == set()


def test_a_grant_is_unused_until_a_decision_or_an_event_uses_it(world: World) -> None:
    used = grant(world, "ana", "export", "eu-users")
    idle = grant(world, "sam", "export", "us-users", ("ron",))
    assert {u.grant_id for u in world.ws.access_unused_grants()} == {used, idle}
    world.ws.authorize("ana", "export", "eu-users", purpose="customer-support", caller="svc")
    assert [u.grant_id for u in world.ws.access_unused_grants()] == [idle]
    assert [u.grant_id for u in world.ws.access_entitlements().unused] == [idle]


def test_ended_grants_never_used_are_listed_by_period(world: World) -> None:
    from watchkeeper.ops.period import Period

    short = ask(world, "ana", "eu-users", action="export", duration="1h")
    gid = world.ws.access_approve(short, approver="leo", actor="cli:t").grant_id
    world.clock.advance(timedelta(hours=2))
    assert world.ws.access_entitlements().unused == ()  # not in force any more
    (u,) = world.ws.access_unused_grants(Period.parse("2026-06"))
    assert (u.grant_id, u.principal, u.revoked) == (gid, "ana", False)
    assert world.ws.access_unused_grants(Period.parse("2026-05")) == ()


def _directory(reaches: dict[str, int]) -> tuple[Directory, list[Entitlement]]:
    people = {u: Employee(u, "EU", "Agent", "T1") for u in reaches}
    assets = {f"a{i}": Asset(f"a{i}", "EU") for i in range(max(reaches.values()))}
    found = [
        Entitlement(u, "EU", "read", f"a{i}", "EU", "policy")
        for u, n in reaches.items()
        for i in range(n)
    ]
    return Directory(date(2026, 6, 1), people, assets), found


def test_reach_beyond_peers_is_a_robust_z_over_the_peer_group() -> None:
    directory, found = _directory({"p1": 3, "p2": 4, "p3": 3, "p4": 5, "p5": 4, "p6": 3, "big": 12})
    got = {r.principal: r for r in reach(directory, found)}
    # median 4, MAD 1: scale 1.4826; big: (12 - 4) / 1.4826 = 5.396
    assert got["big"].outlier and got["big"].z == pytest.approx(5.396, abs=1e-3)
    assert got["big"].peer_group == "team T1 / role Agent" and got["big"].peers == 7
    assert not any(r.outlier for r in got.values() if r.principal != "big")
    # all the same but one: MAD 0, the scale is the mean absolute deviation's
    directory, found = _directory({"p1": 2, "p2": 2, "p3": 2, "p4": 2, "p5": 2, "q": 5})
    q = {r.principal: r for r in reach(directory, found)}["q"]
    assert q.peer_scale == 1.0 and q.z == 3.0 and not q.outlier  # scale floored at 1
    assert reach(directory, found, PeerRule(cutoff=2.5))[0].outlier


def test_small_groups_fall_back_to_role_then_everyone(world: World) -> None:
    steps: list[tuple[int, int, str]] = []
    view = world.ws.access_entitlements(progress=lambda *a: steps.append(a))
    assert [s[0] for s in steps] == [0, 1, 2, 3, 4] and steps[-1] == (4, 4, "done")
    groups = {r.principal: r.peer_group for r in view.reach}
    assert set(groups.values()) == {"everyone"}  # 7 people, no team or role of 5


def test_a_campaign_revokes_grants_and_nobody_reviews_themselves(world: World) -> None:
    gid = grant(world, "ana", "export", "eu-users")
    made = world.ws.access_review_start("Q2", actor="cli:auditor", scope="grants")
    assert (made.items, made.pending, made.status) == (1, 1, "open")
    (item,) = world.ws.access_review(made.id).items
    assert (item.principal, item.grant_id, item.unused) == ("ana", gid, True)
    with pytest.raises(GrantError, match="reviewer: ana may not review their own"):
        world.ws.access_review_decide(
            made.id, item.id, "revoke", reviewer="ana", actor="cli:ana", reason="x"
        )
    with pytest.raises(GrantError, match="reason"):
        world.ws.access_review_decide(made.id, item.id, "revoke", reviewer="leo", actor="cli:leo")
    with pytest.raises(GrantError, match="outcome"):
        world.ws.access_review_decide(made.id, item.id, "maybe", reviewer="leo", actor="cli:leo")
    with pytest.raises(ConflictError, match="1 item"):
        world.ws.access_review_close(made.id, actor="cli:auditor")
    done = world.ws.access_review_decide(
        made.id, item.id, "revoke", reviewer="leo", actor="cli:leo", reason="never used"
    )
    assert (done.outcome, done.effect, done.reviewer) == ("revoke", f"grant {gid} revoked", "leo")
    (g,) = world.ws.access_grants(ended=True)
    assert g.state == "revoked" and g.revoke_reason == f"access review {made.id}: never used"
    assert (
        world.ws.authorize(
            "ana", "export", "eu-users", purpose="customer-support", caller="svc"
        ).decision
        == "deny"
    )
    with pytest.raises(ConflictError, match="revoke already"):
        world.ws.access_review_decide(made.id, item.id, "keep", reviewer="max", actor="cli:max")
    closed = world.ws.access_review_close(made.id, actor="cli:auditor")
    assert (closed.status, closed.revoked, closed.kept) == ("closed", 1, 0)
    with pytest.raises(ConflictError, match="closed already"):
        world.ws.access_review_close(made.id, actor="cli:auditor")
    actions = [e.action for e in world.ws.audit_entries(AuditFilter(action="access")).items][
        ::-1
    ]  # newest first
    assert actions[-4:] == [
        "access.review.start",
        "access.review.decide",
        "access.revoke",
        "access.review.close",
    ]


def test_policy_items_record_the_policy_change_a_revoke_needs(world: World) -> None:
    made = world.ws.access_review_start("all", actor="cli:a", region="eu")
    assert made.scope == "all region=EU" and made.items == 3
    items = {i.principal: i for i in world.ws.access_review(made.id).items}
    assert set(items) == {"ana", "eve", "kim"}
    done = world.ws.access_review_decide(
        made.id, items["eve"].id, "revoke", reviewer="leo", actor="cli:leo", reason="moves to US"
    )
    assert done.effect == ("policy change needed: same-region-read allows eve to read eu-users")
    kept = world.ws.access_review_decide(
        made.id, items["ana"].id, "keep", reviewer="leo", actor="cli:leo"
    )
    assert (kept.outcome, kept.effect, kept.reason) == ("keep", None, None)
    assert [i.id for i in world.ws.access_review(made.id, pending=True).items] == [items["kim"].id]
    assert [r.id for r in world.ws.access_reviews("open")] == [made.id]


def test_unknown_reviews_items_and_reviewers_are_named(world: World) -> None:
    with pytest.raises(NotFoundError, match="review 9: no such review"):
        world.ws.access_review(9)
    with pytest.raises(GrantError, match="scope"):
        world.ws.access_review_start("x", actor="cli:a", scope="some")
    with pytest.raises(GrantError, match="no entitlement to review"):
        world.ws.access_review_start("x", actor="cli:a", scope="grants")
    made = world.ws.access_review_start("x", actor="cli:a")
    with pytest.raises(NotFoundError, match=f"review {made.id}: no item 999"):
        world.ws.access_review_decide(made.id, 999, "keep", reviewer="leo", actor="c")
    with pytest.raises(GrantError, match="reviewer: 'zed'"):
        world.ws.access_review_decide(made.id, 1, "keep", reviewer="zed", actor="c")
