"""The transparency report: per period and region pair (the employee's region, the
region of the user data), counts only, never a person.

- ``employees`` and ``events``: people with data-store events on the pair's stores (the
  store's region from the catalogue, else the event's), placed in the region HR had for
  them on the event's day;
- ``allowed`` / ``denied``: logged decisions, and ``decided_employees`` the people with
  an allowing one; `PurposeCounts` break the allowing ones down by purpose, with the
  grants approved for each;
- requests filed in the period by their status now (``approved``, ``denied``,
  ``pending``), grants that ran out (``grants_expired``) or were revoked early
  (``grants_revoked``) in the period;
- violations found on the period's days and how many are resolved (their alert, or the
  case it is in, was resolved or closed).

People are placed in regions by the people history: events by the event's day, a
decision by the day of their last such decision in the period, a request by the day it
was filed; a grant keeps the region its person had when it was approved.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from watchkeeper.store.models import AccessDecision, AccessGrant, AccessRequest, Alert, Case

if TYPE_CHECKING:
    from watchkeeper.access.violations_store import Violation
    from watchkeeper.lake.store import Lake

UNKNOWN = "unknown"
Pair = tuple[str, str]


@dataclass(frozen=True)
class PairCounts:
    """The counts of one (employee region, data region) pair."""

    from_region: str
    to_region: str
    cross_region: bool
    employees: int = 0
    events: int = 0
    decided_employees: int = 0
    allowed: int = 0
    denied: int = 0
    requests: int = 0
    approved: int = 0
    requests_denied: int = 0
    pending: int = 0
    grants_expired: int = 0
    grants_revoked: int = 0
    violations: int = 0
    violations_resolved: int = 0


@dataclass(frozen=True)
class PurposeCounts:
    """Allowing decisions and approved grants of one pair, for one purpose."""

    from_region: str
    to_region: str
    purpose: str
    decisions: int
    employees: int
    grants: int


@dataclass(frozen=True)
class KindCounts:
    """Violations of one kind: found in the period, and resolved."""

    kind: str
    found: int
    resolved: int


@dataclass(frozen=True)
class TransparencyReport:
    """The whole report; `cross_region_employees` counts each person once."""

    period: str
    start: datetime | None
    end: datetime | None
    generated_at: datetime
    cross_region_employees: int
    pairs: tuple[PairCounts, ...]
    purposes: tuple[PurposeCounts, ...]
    violations: tuple[KindCounts, ...]


class Regions:
    """Each person's region on a day, from people-history rows."""

    def __init__(self, rows: Iterable[Mapping[str, Any]]) -> None:
        spans: dict[str, list[tuple[date, date | None, str]]] = defaultdict(list)
        for r in rows:
            spans[r["user"]].append((r["valid_from"], r["valid_to"], _region(r["region"])))
        self._spans = {u: sorted(s, key=lambda x: x[0]) for u, s in spans.items()}
        self._starts = {u: [s[0] for s in v] for u, v in self._spans.items()}

    def on(self, user: str, day: date) -> str:
        spans = self._spans.get(user)
        if not spans:
            return UNKNOWN
        i = bisect.bisect_right(self._starts[user], day) - 1
        if i < 0:
            return spans[0][2]  # before their first row: the region they start in
        _, end, region = spans[i]
        return region if end is None or day < end else spans[-1][2]


def _region(value: str | None) -> str:
    return (value or "").strip().upper() or UNKNOWN


@dataclass
class _Acc:
    employees: set[str] = field(default_factory=set)
    decided: set[str] = field(default_factory=set)
    n: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def event_days(lake: Lake, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """(user, day, store region, events) of the data-store events in [start, end)."""
    import ibis

    ev = lake.table("datastore")
    ev = ev.filter(ev.time >= start, ev.time < end, ev.user.notnull())
    assets = lake.table("data_assets").select(asset="dataset", asset_region="region")
    j = ev.left_join(assets, ev.dataset == assets.asset)
    j = j.mutate(store=ibis.coalesce(j.asset_region, j.data_region).upper())
    rows = j.group_by(["user", "day", "store"]).aggregate(n=j.count())
    return rows.to_pyarrow().to_pylist()  # type: ignore[no-any-return]


def resolved_violations(session: Session, ids: Sequence[str], source: str) -> set[str]:
    """Of the violations `ids`, those whose alert (`source`, the violation id as its
    reference) is resolved or archived, or sits in a case resolved or closed."""
    done: set[str] = set()
    for i in range(0, len(ids), 500):
        rows = session.execute(
            select(Alert.source_ref, Alert.status, Case.status)
            .outerjoin(Case, Case.id == Alert.case_id)
            .where(Alert.source == source, Alert.source_ref.in_(ids[i : i + 500]))
        )
        done.update(
            ref
            for ref, alert, case in rows
            if alert in ("resolved", "archived") or case in ("resolved", "closed")
        )
    return done


def build(
    session: Session,
    regions: Regions,
    asset_regions: Mapping[str, str],
    days: Sequence[Mapping[str, Any]],
    found: Sequence[Violation],
    resolved: set[str],
    period: str,
    start: datetime,
    end: datetime,
    open_start: bool,
    open_end: bool,
    now: datetime,
) -> TransparencyReport:
    """Count everything of [start, end) by region pair."""
    acc: dict[Pair, _Acc] = defaultdict(_Acc)
    cross: set[str] = set()
    for r in days:
        pair = (regions.on(r["user"], r["day"]), _region(r["store"]))
        acc[pair].employees.add(r["user"])
        acc[pair].n["events"] += int(r["n"])
        if pair[0] != pair[1]:
            cross.add(r["user"])

    def data(resource: str) -> str:
        return _region(asset_regions.get(resource))

    purposes: dict[tuple[str, str, str], _Acc] = defaultdict(_Acc)
    for who, resource, purpose, decision, last, n in session.execute(
        select(
            AccessDecision.principal,
            AccessDecision.resource,
            AccessDecision.purpose,
            AccessDecision.decision,
            func.max(AccessDecision.at),
            func.count(),
        )
        .where(AccessDecision.at >= start, AccessDecision.at < end)
        .group_by(
            AccessDecision.principal,
            AccessDecision.resource,
            AccessDecision.purpose,
            AccessDecision.decision,
        )
    ):
        pair = (regions.on(who, last.date()), data(resource))
        acc[pair].n["allowed" if decision == "allow" else "denied"] += n
        if decision == "allow":
            acc[pair].decided.add(who)
            p = purposes[(*pair, purpose or "none")]
            p.n["decisions"] += n
            p.employees.add(who)
    for who, resource, status, made in session.execute(
        select(
            AccessRequest.principal,
            AccessRequest.resource,
            AccessRequest.status,
            AccessRequest.created_at,
        ).where(AccessRequest.created_at >= start, AccessRequest.created_at < end)
    ):
        pair = (regions.on(who, made.date()), data(resource))
        acc[pair].n["requests"] += 1
        acc[pair].n["requests_denied" if status == "denied" else status] += 1
    for row in session.scalars(
        select(AccessGrant).where(
            or_(
                AccessGrant.starts_at.between(start, end),
                AccessGrant.expires_at.between(start, end),
                AccessGrant.revoked_at.between(start, end),
            )
        )
    ):
        pair = (_region(row.principal_region), data(row.resource))
        if start <= row.starts_at < end:
            purposes[(*pair, row.purpose)].n["grants"] += 1
        if (
            row.revoked_at is not None
            and start <= row.revoked_at < end
            and row.revoked_at < row.expires_at
        ):
            acc[pair].n["grants_revoked"] += 1
        elif (
            start <= row.expires_at < end
            and row.expires_at <= now
            and (row.revoked_at is None or row.revoked_at >= row.expires_at)
        ):
            acc[pair].n["grants_expired"] += 1
    kinds: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for v in found:
        store = (v.dataset or "").split(" -> ")[0]
        pair = (regions.on(v.user, v.day), data(store))
        acc[pair].n["violations"] += 1
        kinds[v.kind][0] += 1
        if v.id in resolved:
            acc[pair].n["violations_resolved"] += 1
            kinds[v.kind][1] += 1
    return TransparencyReport(
        period,
        None if open_start else start,
        None if open_end else end,
        now,
        len(cross),
        tuple(_pair(k, a) for k, a in sorted(acc.items())),
        tuple(
            PurposeCounts(f, t, p, a.n["decisions"], len(a.employees), a.n["grants"])
            for (f, t, p), a in sorted(purposes.items())
        ),
        tuple(KindCounts(k, n[0], n[1]) for k, n in sorted(kinds.items())),
    )


def _pair(key: Pair, a: _Acc) -> PairCounts:
    n = a.n
    return PairCounts(
        key[0],
        key[1],
        key[0] != key[1],
        len(a.employees),
        n["events"],
        len(a.decided),
        n["allowed"],
        n["denied"],
        n["requests"],
        n["approved"],
        n["requests_denied"],
        n["pending"],
        n["grants_expired"],
        n["grants_revoked"],
        n["violations"],
        n["violations_resolved"],
    )


__all__ = [
    "KindCounts",
    "PairCounts",
    "PurposeCounts",
    "Regions",
    "TransparencyReport",
    "build",
    "event_days",
    "resolved_violations",
]
