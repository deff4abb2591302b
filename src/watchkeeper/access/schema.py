"""The Cedar schema of access decisions, and the entities and context built for it.

Principals are employees (``Employee``: region, role, team, department, privileged,
status ``active``, ``notice`` or ``left``), resources are user-data assets (``Asset``:
region, sensitivity, vip), actions are ``read``, ``export`` and ``delete``. The context
carries the stated purpose, the ticket, the time (``now``, seconds since the epoch), the
person's risk level (``normal``, ``elevated`` or ``unknown``: the facade passes it in)
and, when the principal holds one for this action and resource, the grant (its purpose,
expiry, approvals given and approvals it needed without the risk rule).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

ACTIONS = ("read", "export", "delete")
RISK_LEVELS = ("normal", "elevated", "unknown")
STATUSES = ("active", "notice", "left")

CEDAR_SCHEMA = """
entity Employee = {
  region: String, role: String, team: String, department: String,
  privileged: Bool, status: String
};
entity Asset = { region: String, sensitivity: String, vip: Bool };
type Grant = { id: Long, purpose: String, expires: Long, approvals: Long, needed: Long };
type Context = {
  purpose: String, ticket: String, now: Long, risk: String, grant?: Grant
};
action read, export, delete appliesTo {
  principal: Employee, resource: Asset, context: Context
};
"""


@dataclass(frozen=True)
class Employee:
    """A principal as of the decision: its HR attributes."""

    id: str
    region: str = ""
    role: str = ""
    team: str = ""
    department: str = ""
    privileged: bool = False
    status: str = "active"

    def entity(self) -> dict[str, object]:
        return {"uid": {"type": "Employee", "id": self.id},
                "attrs": {"region": self.region, "role": self.role, "team": self.team,
                          "department": self.department, "privileged": self.privileged,
                          "status": self.status},
                "parents": []}


@dataclass(frozen=True)
class Asset:
    """A resource: a user-data asset of the catalogue."""

    id: str
    region: str = ""
    sensitivity: str = ""
    vip: bool = False

    def entity(self) -> dict[str, object]:
        return {"uid": {"type": "Asset", "id": self.id},
                "attrs": {"region": self.region, "sensitivity": self.sensitivity,
                          "vip": self.vip},
                "parents": []}


@dataclass(frozen=True)
class GrantFacts:
    """What the context says of a grant: its id, purpose, expiry (epoch seconds), the
    approvals given and the approvals it needed without the risk rule."""

    id: int
    purpose: str
    expires: int
    approvals: int
    needed: int


def context_json(purpose: str, ticket: str, now: int, risk: str,
                 grant: GrantFacts | None) -> str:
    """The request context as Cedar JSON (built once per distinct context)."""
    doc: dict[str, object] = {"purpose": purpose, "ticket": ticket, "now": now,
                              "risk": risk}
    if grant is not None:
        doc["grant"] = {"id": grant.id, "purpose": grant.purpose, "expires": grant.expires,
                        "approvals": grant.approvals, "needed": grant.needed}
    return json.dumps(doc, separators=(",", ":"))
