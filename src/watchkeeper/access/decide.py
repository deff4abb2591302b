"""Deciding: a batch of queries (who, which action, which resource, for what purpose)
answered by the Cedar policies in one `cedarpy.is_authorized_batch` call.

The `Directory` holds the employees as of the decision day (from the lake's people
history) and the data-asset catalogue, parsed once into a Cedar entity set and reused
for every batch of that day. The caller hands in the grants in force (`GrantFacts` per
principal, action and resource) and each person's risk level; `decide` never reads the
store or the risk scores itself.

A query naming nobody in the people history, or no asset of the catalogue, is denied
without asking Cedar, and says so.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import cedarpy

from watchkeeper.access.policy import PolicyBundle
from watchkeeper.access.schema import (
    ACTIONS,
    Asset,
    Employee,
    GrantFacts,
    context_json,
)
from watchkeeper.errors import GrantError

DEFAULT_DENY = "no policy permits this (deny by default)"
PRIVILEGED = re.compile(r"admin|sysadmin|systemadministrator|data ?engineer|dba", re.I)
GrantKey = tuple[str, str, str]   # principal, action, resource


@dataclass(frozen=True)
class Query:
    """One authorization question."""

    principal: str
    action: str
    resource: str
    purpose: str = ""
    ticket: str = ""


@dataclass(frozen=True)
class Decision:
    """The answer: ``allow`` or ``deny``, the policies that decided (their ``@id``) and
    why, in words (their ``@reason``); the grant the context carried, the risk level."""

    principal: str
    action: str
    resource: str
    purpose: str
    ticket: str
    decision: str
    policies: tuple[str, ...]
    reasons: tuple[str, ...]
    grant_id: int | None
    risk: str
    at: datetime

    @property
    def allowed(self) -> bool:
        return self.decision == "allow"


@dataclass
class Directory:
    """Employees (as of `day`) and assets, with their Cedar entity set built once."""

    day: date
    employees: dict[str, Employee]
    assets: dict[str, Asset]
    _entities: cedarpy.Entities | None = field(default=None, repr=False)
    _keys: dict[tuple[str, str], tuple[object, ...]] = field(default_factory=dict,
                                                             repr=False)

    def key(self, kind: str, ident: str) -> tuple[object, ...]:
        """The attributes of employee or asset `ident` without its id (what a policy
        that names no entity by id can see of it), computed once."""
        found = self._keys.get((kind, ident))
        if found is None:
            entity = self.employees[ident] if kind == "e" else self.assets[ident]
            found = self._keys[(kind, ident)] = tuple(
                v for k, v in vars(entity).items() if k != "id")
        return found

    @property
    def entities(self) -> cedarpy.Entities:
        if self._entities is None:
            docs = [e.entity() for e in self.employees.values()]
            docs += [a.entity() for a in self.assets.values()]
            self._entities = cedarpy.Entities.from_json_str(json.dumps(docs))
        return self._entities


def employees_on(people: Iterable[Mapping[str, Any]], day: date) -> dict[str, Employee]:
    """Each person's attributes on `day` from people-history rows (``valid_from``
    inclusive, ``valid_to`` exclusive): status ``left`` after HR's end date, ``notice``
    once notice is known, else ``active``. Nobody before their first row."""
    out: dict[str, Employee] = {}
    for row in people:
        start, end = row["valid_from"], row["valid_to"]
        if start > day or (end is not None and end <= day):
            continue
        ended = row["end_date"]
        status = "left" if ended is not None and ended < day else \
            "notice" if row["notice_date"] is not None else "active"
        role = row["role"] or ""
        out[row["user"]] = Employee(row["user"], row["region"] or "", role,
                                    row["team"] or "", row["department"] or "",
                                    bool(PRIVILEGED.search(role)), status)
    return out


def assets_of(rows: Iterable[Mapping[str, Any]]) -> dict[str, Asset]:
    """The data-asset catalogue's rows as Cedar resources."""
    return {r["dataset"]: Asset(r["dataset"], r["region"] or "",
                                (r["sensitivity"] or "").lower(), bool(r.get("vip")))
            for r in rows}


def check_action(action: str) -> str:
    if action not in ACTIONS:
        raise GrantError("action", f"{action!r}: expected one of {', '.join(ACTIONS)}")
    return action


def pick_grant(found: Sequence[GrantFacts], purpose: str) -> GrantFacts | None:
    """Of the grants in force for one principal, action and resource, the one for the
    stated purpose (latest expiry), else the latest-expiring other one."""
    if not found:
        return None
    same = [g for g in found if g.purpose == purpose]
    return max(same or found, key=lambda g: (g.expires, g.id))


def decide(bundle: PolicyBundle, directory: Directory, queries: Sequence[Query],
           now: datetime, grants: Mapping[GrantKey, Sequence[GrantFacts]],
           risk: Callable[[str], str]) -> list[Decision]:
    """Answer every query (in order) in one Cedar batch.

    Cedar is asked once per distinct request of the batch. When no policy names an
    employee or asset by id (`PolicyBundle.by_attributes`), requests whose principals
    have the same attributes, whose resources have the same attributes and whose action
    and context are the same are one request (the policies cannot tell them apart); the
    ticket counts only when a policy reads it."""
    epoch = int(now.timestamp())
    contexts: dict[tuple[str, str, str, GrantFacts | None], str] = {}
    requests: list[dict[str, object]] = []
    slot: dict[tuple[object, ...], int] = {}
    asked: list[int] = []        # per query: its request's index, or -1 (no Cedar)
    out: list[Decision | None] = []
    extra: list[tuple[GrantFacts | None, str]] = []
    for q in queries:
        level = risk(q.principal)
        grant = pick_grant(grants.get((q.principal, q.action, q.resource), ()), q.purpose)
        extra.append((grant, level))
        missing = _missing(directory, q)
        if missing is not None:
            out.append(_answer(q, "deny", (), (missing,), grant, level, now))
            asked.append(-1)
            continue
        ticket = q.ticket if bundle.reads_ticket else ""
        ckey = (q.purpose, ticket, level, grant)
        context = contexts.get(ckey)
        if context is None:
            context = contexts[ckey] = context_json(q.purpose, ticket, epoch, level, grant)
        key: tuple[object, ...] = (
            directory.key("e", q.principal), directory.key("a", q.resource),
            q.action, context) if bundle.by_attributes else \
            (q.principal, q.resource, q.action, context)
        index = slot.get(key)
        if index is None:
            index = slot[key] = len(requests)
            requests.append({"principal": {"type": "Employee", "id": q.principal},
                             "action": {"type": "Action", "id": q.action},
                             "resource": {"type": "Asset", "id": q.resource},
                             "context": context})
        asked.append(index)
        out.append(None)
    if requests:
        results = cedarpy.is_authorized_batch(requests, bundle.policies, directory.entities)
        verdicts = [_verdict(bundle, r) for r in results]
        for i, q in enumerate(queries):
            if asked[i] >= 0:
                grant, level = extra[i]
                out[i] = _answer(q, *verdicts[asked[i]], grant, level, now)
    return [d for d in out if d is not None]


def _missing(directory: Directory, q: Query) -> str | None:
    if q.principal not in directory.employees:
        return (f"unknown principal {q.principal!r}: nobody in the people history has "
                f"this id on {directory.day}")
    if q.resource not in directory.assets:
        return f"unknown resource {q.resource!r}: not in the data-asset catalogue"
    return None


def _verdict(bundle: PolicyBundle, result: cedarpy.AuthzResult
             ) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """allow or deny, the deciding policies' ids, and the reasons in words."""
    diagnostics = result.diagnostics
    names = diagnostics.id_annotations_by_reason
    ids = tuple(sorted((names.get(p, p) for p in diagnostics.reasons), key=bundle.rank))
    reasons = [bundle.reason(p) for p in ids]
    if not result.allowed and not ids:
        reasons.append(DEFAULT_DENY)
    reasons += [f"policy error: {e}" for e in diagnostics.errors]
    return "allow" if result.allowed else "deny", ids, tuple(reasons)


def _answer(q: Query, decision: str, ids: tuple[str, ...], reasons: tuple[str, ...],
            grant: GrantFacts | None, level: str, now: datetime) -> Decision:
    return Decision(q.principal, q.action, q.resource, q.purpose, q.ticket, decision, ids,
                    reasons, grant.id if grant is not None else None, level, now)
