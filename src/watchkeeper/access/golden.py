"""Golden cases of a policy file: ``NAME.cases.yml`` beside ``NAME.cedar`` says, for
requests built from one base with a few fields overridden per case, whether the whole
policy set allows or denies and which policies decide.

::

    base:
      principal: {id: ana, region: EU, role: SupportAgent, status: active}
      resource: {id: eu-users, region: EU, sensitivity: high, vip: false}
      action: read
      purpose: customer-support
      risk: normal
    cases:
      - name: same-region support read
        expect: allow
        policies: [same-region-read]
      - name: an accountant may not
        principal: {role: Accountant}
        expect: deny
      - name: with a grant
        grant: {purpose: customer-support, expires_in: 3600, approvals: 1, needed: 1}
        expect: allow

`expires_in` is seconds after the case's time (negative: expired). `policies`, when
given, must equal the deciding policies' ids (in any order).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from watchkeeper.access.decide import Decision, Directory, Query, decide
from watchkeeper.access.policy import PolicyBundle
from watchkeeper.access.schema import Asset, Employee, GrantFacts
from watchkeeper.errors import PolicyError

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


@dataclass(frozen=True)
class CaseResult:
    """One golden case: what it expected, what the policies decided."""

    file: str
    name: str
    expect: str
    policies: tuple[str, ...] | None
    decision: Decision

    @property
    def passed(self) -> bool:
        if self.decision.decision != self.expect:
            return False
        return self.policies is None or set(self.policies) == set(self.decision.policies)


def _merge(base: dict[str, Any], case: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in case.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = {**out[key], **value}
        else:
            out[key] = value
    return out


def run_cases(bundle: PolicyBundle, path: Path) -> list[CaseResult]:
    """Decide every case of one golden file against `bundle`."""
    try:
        doc = yaml.safe_load(path.read_text("utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise PolicyError(path, None, f"golden cases cannot be read: {exc}") from None
    base = doc.get("base") or {}
    results = []
    for number, raw in enumerate(doc.get("cases") or [], 1):
        case = _merge(base, raw)
        name = str(case.get("name") or f"case {number}")
        try:
            employee = Employee(**case["principal"])
            asset = Asset(**case["resource"])
            grant = _grant(case.get("grant"))
            query = Query(employee.id, case["action"], asset.id, case.get("purpose", ""),
                          case.get("ticket", ""))
            expect = case["expect"]
        except (KeyError, TypeError) as exc:
            raise PolicyError(path, None, f"case {name!r}: {exc}") from None
        directory = Directory(NOW.date(), {employee.id: employee}, {asset.id: asset})
        grants = {(query.principal, query.action, query.resource): [grant]} if grant else {}
        levels = {employee.id: str(case.get("risk", "normal"))}
        decision = decide(bundle, directory, [query], NOW, grants, levels.__getitem__)[0]
        policies = case.get("policies")
        results.append(CaseResult(path.name, name, expect,
                                  tuple(policies) if policies is not None else None,
                                  decision))
    return results


def _grant(raw: dict[str, Any] | None) -> GrantFacts | None:
    if raw is None:
        return None
    return GrantFacts(int(raw.get("id", 1)), str(raw["purpose"]),
                      int(NOW.timestamp()) + int(raw["expires_in"]),
                      int(raw.get("approvals", 1)), int(raw.get("needed", 1)))
