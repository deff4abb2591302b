"""What operations adds to opening a case (`cases.service.CaseHooks`), inside the case's
own unit of work: the team it goes to (`ops.routing`), its SLA clocks, and the runs of
the playbooks a case opened starts (`ops.playbooks`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from watchkeeper.errors import CaseError
from watchkeeper.ops import changes, history, routing, shifts
from watchkeeper.ops.sla import policies, sync
from watchkeeper.security.recusal import OrgChart
from watchkeeper.store.models import Alert, Case


class OpsCaseHooks:
    """Route a new case without a team to the team on shift that may see its regions
    (a ``case.route`` event says which and why); refuse a team given that may not see
    them; start its SLA clocks; queue the playbook runs it starts (`playbooks`: the
    workspace's hook, in the same unit of work)."""

    def __init__(self, org: OrgChart,
                 playbooks: Callable[[Session, int, datetime], None] | None = None) -> None:
        self.org = org
        self.playbooks = playbooks

    def opened(self, session: Session, case_id: int, now: datetime) -> None:
        row = session.get_one(Case, case_id)
        plans = shifts.plans(session)
        regions = set(session.scalars(select(Alert.region).where(Alert.case_id == case_id)))
        if row.team_id is None:
            route = routing.choose(plans, regions, now)
            if route.team is not None:
                repo = changes.actor_repo(session, self.org, changes.ROUTING, now)
                changes.record(row, repo, "case.route", {"team": None},
                               {"team": route.team.name, "reason": route.reason},
                               at=now, now=now)
                row.team_id = route.team.id
        else:
            given = next((p for p in plans if p.id == row.team_id), None)
            if given is not None and not given.sees(regions):
                named = sorted({r.casefold() for r in regions if r})
                raise CaseError(f"team {given.name} may not see region {', '.join(named)}: "
                                "give a team that may (data residency), or none to route it")
        session.flush()
        h = history.load(session, [case_id])[case_id]
        sync(session, h, policies(session).get(h.severity),
             {p.name: p for p in plans}, now)
        if self.playbooks is not None:
            self.playbooks(session, case_id, now)


__all__ = ["OpsCaseHooks"]
