"""Entitlement review: who can reach which user data, and through what.

- `policy_entitlements`: what the Cedar policies allow each employee with no grant, for
  any stated purpose (or none): every action on every asset of the catalogue is asked,
  once per distinct (employee attributes and risk level) x (asset attributes) when no
  policy names an entity by id (the policies cannot tell such people, or such assets,
  apart), else once per person and asset. Nothing is logged: these are
  questions about reach, not accesses.
- `grant_entitlements`: what the grants in force add.
- `reach`: per person, the distinct (action, asset) pairs they can reach, set against
  their peers' (`PeerRule` says who the peers are and when a reach stands out).
- `unused_grants`: grants under which no allowing decision was logged and no
  data-store event of the person's matches their action and asset in their window.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from watchkeeper.access.decide import Directory, Query, decide
from watchkeeper.access.grants import GrantInfo, GrantWindow
from watchkeeper.access.policy import PolicyBundle
from watchkeeper.access.schema import ACTIONS

# the activities of a data-store event that use each action's entitlement
ACTIVITIES: Mapping[str, tuple[str, ...]] = {
    "read": ("read", "query"),
    "export": ("export",),
    "delete": ("delete",),
}


@dataclass(frozen=True)
class Entitlement:
    """One action on one asset that a person can reach, and through what: ``policy``
    (the permitting policies' ids) or ``grant`` (its id, purpose and expiry)."""

    principal: str
    principal_region: str
    action: str
    resource: str
    resource_region: str
    via: str
    policies: tuple[str, ...] = ()
    grant_id: int | None = None
    purpose: str | None = None
    expires_at: datetime | None = None

    @property
    def cross_region(self) -> bool:
        return self.principal_region != self.resource_region


@dataclass(frozen=True)
class PeerRule:
    """Who a person's peers are and when a reach stands out among them.

    Peers are the people of the same team and role when there are at least `min_peers`
    of them, else of the same role, else everyone reviewed: a median and a spread of
    fewer people describe nobody. A reach stands out when its robust z, (reach - median)
    / scale, exceeds `cutoff`; the scale is 1.4826 x the median absolute deviation (the
    standard deviation for normal data, unmoved by the outliers it looks for), else,
    when more than half the peers have the median reach (MAD 0, common: a role's policy
    reach is the same for all), 1.2533 x the mean absolute deviation, and never less
    than one entitlement, the smallest difference there can be. The cutoff 3.5 is
    Iglewicz and Hoaglin's for modified z-scores; the median and spread are learnt from
    each workspace's own peer groups, nothing from one data set.
    """

    min_peers: int = 5
    cutoff: float = 3.5


@dataclass(frozen=True)
class Reach:
    """What one person can reach, against their peers'."""

    principal: str
    region: str
    team: str
    role: str
    peer_group: str
    peers: int
    entitlements: int
    via_policy: int
    via_grant: int
    assets: int
    regions: tuple[str, ...]
    peer_median: float
    peer_scale: float
    z: float
    outlier: bool


#: A grant nothing was done under (no allowing decision, no matching event): its window.
UnusedGrant = GrantWindow


def policy_entitlements(
    bundle: PolicyBundle,
    directory: Directory,
    now: datetime,
    risk: Callable[[str], str],
    purposes: Sequence[str],
) -> list[Entitlement]:
    """What the policies alone allow each person who has not left (no grant in the
    context), asking with no purpose and with each purpose code."""
    people = [e for e in directory.employees.values() if e.status != "left"]
    groups: dict[tuple[object, ...], list[str]] = defaultdict(list)
    for e in people:
        key = (directory.key("e", e.id), risk(e.id)) if bundle.by_attributes else (e.id,)
        groups[key].append(e.id)
    kinds: dict[tuple[object, ...], list[str]] = defaultdict(list)
    for a in sorted(directory.assets):
        kinds[directory.key("a", a) if bundle.by_attributes else (a,)].append(a)
    queries = [
        Query(members[0], action, assets[0], purpose)
        for members in groups.values()
        for assets in kinds.values()
        for action in ACTIONS
        for purpose in ("", *purposes)
    ]
    allowed: dict[str, dict[tuple[str, str], set[str]]] = defaultdict(lambda: defaultdict(set))
    for d in decide(bundle, directory, queries, now, {}, risk):
        if d.allowed:
            allowed[d.principal][(d.action, d.resource)].update(d.policies)
    same = {assets[0]: assets for assets in kinds.values()}
    out: list[Entitlement] = []
    for members in groups.values():
        for (action, first), ids in allowed.get(members[0], {}).items():
            policies = tuple(sorted(ids))
            out.extend(
                Entitlement(
                    person,
                    directory.employees[person].region,
                    action,
                    asset,
                    directory.assets[asset].region,
                    "policy",
                    policies,
                )
                for asset in same[first]
                for person in members
            )
    return sorted(out, key=_order)


def grant_entitlements(directory: Directory, grants: Iterable[GrantInfo]) -> list[Entitlement]:
    """The grants in force as entitlements (regions as of the directory's day)."""
    out = []
    for g in grants:
        if g.state != "active":
            continue
        person = directory.employees.get(g.principal)
        asset = directory.assets.get(g.resource)
        out.append(
            Entitlement(
                g.principal,
                person.region if person else "",
                g.action,
                g.resource,
                asset.region if asset else "",
                "grant",
                (),
                g.id,
                g.purpose,
                g.expires_at,
            )
        )
    return sorted(out, key=_order)


def _order(e: Entitlement) -> tuple[str, str, str, str, int]:
    return (e.principal, e.resource, e.action, e.via, e.grant_id or 0)


def reach(
    directory: Directory, entitlements: Iterable[Entitlement], rule: PeerRule | None = None
) -> list[Reach]:
    """Each person's reach (people with none count as 0) against their peer group's."""
    rule = rule or PeerRule()
    pairs: dict[str, set[tuple[str, str]]] = defaultdict(set)
    by_via: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    regions: dict[str, set[str]] = defaultdict(set)
    for e in entitlements:
        pairs[e.principal].add((e.action, e.resource))
        by_via[(e.principal, e.via)].add((e.action, e.resource))
        regions[e.principal].add(e.resource_region)
    people = [e for e in directory.employees.values() if e.status != "left"]
    team_role: dict[tuple[str, str], list[str]] = defaultdict(list)
    role: dict[str, list[str]] = defaultdict(list)
    for p in people:
        team_role[(p.team, p.role)].append(p.id)
        role[p.role].append(p.id)
    everyone = [p.id for p in people]
    out = []
    for p in people:
        group, label = team_role[(p.team, p.role)], f"team {p.team} / role {p.role}"
        if len(group) < rule.min_peers:
            group, label = role[p.role], f"role {p.role}"
        if len(group) < rule.min_peers:
            group, label = everyone, "everyone"
        median, scale = _spread([len(pairs[m]) for m in group])
        mine = len(pairs[p.id])
        z = (mine - median) / scale
        out.append(
            Reach(
                p.id,
                p.region,
                p.team,
                p.role,
                label,
                len(group),
                mine,
                len(by_via[(p.id, "policy")]),
                len(by_via[(p.id, "grant")]),
                len({r for _, r in pairs[p.id]}),
                tuple(sorted(regions[p.id])),
                median,
                scale,
                round(z, 3),
                z > rule.cutoff,
            )
        )
    return sorted(out, key=lambda r: (-r.z, r.principal))


def _spread(values: Sequence[int]) -> tuple[float, float]:
    """The median and the robust scale `PeerRule` describes."""
    median = float(statistics.median(values)) if values else 0.0
    mad = statistics.median(abs(v - median) for v in values) if values else 0.0
    scale = 1.4826 * mad
    if scale == 0 and values:
        scale = 1.2533 * statistics.fmean(abs(v - median) for v in values)
    return median, max(scale, 1.0)


def unused_grants(
    windows: Iterable[GrantWindow],
    decided: set[int],
    events: Iterable[tuple[str, str, str, datetime]],
) -> list[UnusedGrant]:
    """Grants whose id no allowing decision carries (`decided`) and that no event
    (user, activity, dataset, time) falls under: same person, an activity of the
    grant's action (`ACTIVITIES`), same asset, inside the grant's window."""
    seen: dict[tuple[str, str, str], list[datetime]] = defaultdict(list)
    for user, activity, dataset, at in events:
        for action, acts in ACTIVITIES.items():
            if activity in acts:
                seen[(user, action, dataset)].append(at)
    out = []
    for w in windows:
        if w.grant_id in decided:
            continue
        times = seen.get((w.principal, w.action, w.resource), ())
        if any(w.start <= t < w.end for t in times):
            continue
        out.append(w)
    return sorted(out, key=lambda u: u.grant_id)


__all__ = [
    "ACTIVITIES",
    "Entitlement",
    "PeerRule",
    "Reach",
    "UnusedGrant",
    "grant_entitlements",
    "policy_entitlements",
    "reach",
    "unused_grants",
]
