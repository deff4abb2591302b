"""`CaseDesk`: the case jobs the `Workspace` facade exposes, one unit of work each.

Each job opens one state-store session (committed when it returns, rolled back when it
raises: a refused change stores nothing), checks the viewer's access through the
repository, and returns typed values. What leaves the desk names people by pseudonym:
lists, details and exports go through `Pseudonymizer.redact`. People given *to* the desk
(a link, a list filter) may be pseudonyms (``P-7KQ2-M9XD``) or user ids.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from watchkeeper.cases.detail import CaseDetail, Explain, LakeOrgChart, build_detail
from watchkeeper.cases.export import CaseExport, export_case
from watchkeeper.cases.records import (
    add_note,
    add_task,
    attach_alerts,
    finish_task,
    link,
    record,
    root_cause_note,
)
from watchkeeper.cases.repository import CaseChange, CaseFilter, CaseRepository
from watchkeeper.cases.timeline import DEFAULT_HOURS
from watchkeeper.cases.views import CaseView, LinkView
from watchkeeper.lake import Lake
from watchkeeper.security.audit import AuditLog
from watchkeeper.security.changes import ChangeAudit
from watchkeeper.security.pseudonym import Pseudonymizer
from watchkeeper.security.recusal import OrgChart, Viewer, set_person, viewer_for
from watchkeeper.store.models import Alert, utcnow
from watchkeeper.store.state import StateStore

_PSEUDONYM = re.compile(r"P-[0-9A-Z]{4}(?:-[0-9A-Z]{4})+", re.IGNORECASE)


@dataclass(frozen=True)
class CaseNew:
    """A case to open: its title and what it is about. Severity None: the highest of its
    alerts' (medium without alerts)."""

    title: str
    severity: int | None = None
    priority: str | None = None
    alerts: tuple[int, ...] = ()
    links: tuple[LinkView, ...] = ()
    assignee: str | None = None
    team: str | None = None
    restricted_to: tuple[str, ...] = ()


class CaseHooks(Protocol):
    """What opening a case sets off beyond this package, in the case's unit of work
    (operations: routing it to the team on shift, starting its SLA clocks)."""

    def opened(self, session: Session, case_id: int, now: dt.datetime) -> None: ...


@dataclass(frozen=True)
class CaseList:
    """One page of cases (pseudonymized) and the cursor of the next."""

    items: tuple[CaseView, ...]
    next_cursor: str | None


class CaseDesk:
    """Case jobs over one state store and lake."""

    def __init__(self, store: StateStore, lake: Lake,
                 pseudonymizer: Callable[[], Pseudonymizer], *,
                 explain: Explain | None = None, org: OrgChart | None = None,
                 clock: Callable[[], dt.datetime] = utcnow,
                 hooks: Callable[[OrgChart], CaseHooks] | None = None) -> None:
        self.store = store
        self.lake = lake
        self._pseudonymizer = pseudonymizer
        self.explain = explain
        self.org = org if org is not None else LakeOrgChart(lake)
        self.clock = clock
        self.hooks = hooks(self.org) if hooks is not None else None

    @property
    def names(self) -> Pseudonymizer:
        """The pseudonymizer as of now, asked for on each use (the workspace's is kept
        until its people change: a copy kept here would miss a person ingested since)."""
        return self._pseudonymizer()

    def person(self, value: str) -> str:
        """The user id behind `value` (a pseudonym), or `value` itself."""
        text = value.strip()
        return self.names.reveal(text) if _PSEUDONYM.fullmatch(text) else text

    def _repo(self, session: Session, viewer: Viewer) -> CaseRepository:
        return CaseRepository(session, viewer, self.org, clock=self.clock)

    # -- accounts --------------------------------------------------------------------------

    def viewer(self, name: str | None, login: str) -> Viewer:
        with self.store.session() as s:
            return viewer_for(s, name, login)

    def set_person(self, account: str, person: str | None, changes: ChangeAudit) -> None:
        """Record the person behind `account`; audited ``account.person`` (before and
        after as pseudonyms) when it changes."""
        with self.store.session() as s:
            changes.hold(s)
            before, after = set_person(s, account, self.person(person) if person else None)
            if before != after:
                changes.record(s, "account.person", "account", account, {
                    "field": "person",
                    "before": self.names.pseudonym(before) if before else None,
                    "after": self.names.pseudonym(after) if after else None})

    # -- jobs ------------------------------------------------------------------------------

    def create(self, viewer: Viewer, new: CaseNew) -> CaseView:
        """Open a case with its alerts and links; its summary starts as the draft."""
        with self.store.session() as s:
            repo = self._repo(s, viewer)
            severity = new.severity if new.severity is not None else s.scalar(
                select(func.max(Alert.severity)).where(Alert.id.in_(new.alerts)))
            row = repo.create(new.title, severity=3 if severity is None else severity,
                              priority=new.priority, team=new.team)
            if new.alerts:
                attach_alerts(repo, row.id, new.alerts)
            if new.links:
                link(repo, row.id, self._links(new.links))
            repo.admit(row)
            if self.hooks is not None:
                self.hooks.opened(s, row.id, self.clock())
            if new.restricted_to:
                repo.restrict(row.id, new.restricted_to)
            if new.assignee:
                repo.update(row.id, CaseChange(assignee=new.assignee))
            draft = build_detail(self.lake, record(repo, row.id), explain=self.explain).draft
            repo.record(row, "summary.draft", None, {"characters": len(draft)})
            row.summary = draft
            return self.names.redact(repo.view(row))

    def listing(self, viewer: Viewer, filters: CaseFilter, *, limit: int = 50,
             cursor: str | None = None) -> CaseList:
        if filters.person is not None:
            filters = CaseFilter(filters.status, filters.min_severity, filters.assignee,
                                 self.person(filters.person))
        with self.store.session() as s:
            items, nxt = self._repo(s, viewer).listing(filters, limit=limit, cursor=cursor)
        return CaseList(self.names.redact(items), nxt)

    def detail(self, viewer: Viewer, case_id: int, hours: float = DEFAULT_HOURS
               ) -> CaseDetail:
        """The case, its timeline and summary, pseudonymized."""
        with self.store.session() as s:
            rec = record(self._repo(s, viewer), case_id)
        return self.names.redact(build_detail(self.lake, rec, hours=hours,
                                              explain=self.explain))

    def update(self, viewer: Viewer, case_id: int, change: CaseChange, *,
               restrict_to: tuple[str, ...] | None = None,
               unrestrict: bool = False) -> CaseView:
        with self.store.session() as s:
            repo = self._repo(s, viewer)
            view = repo.update(case_id, change)
            if restrict_to:
                view = repo.restrict(case_id, restrict_to)
            if unrestrict:
                view = repo.restrict(case_id, None)
            return self.names.redact(view)

    def note(self, viewer: Viewer, case_id: int, body: str | None,
             template: bool = False) -> int:
        """Add a note; `template`: the root-cause template, filled from the case."""
        with self.store.session() as s:
            repo = self._repo(s, viewer)
            if template:
                rec = record(repo, case_id)
                lines = [f"{a.event_time:%Y-%m-%d %H:%M} UTC: {a.title}" for a in rec.alerts]
                prefix = f"{body.strip()}\n\n" if body and body.strip() else ""
                body = prefix + root_cause_note(rec.case.summary, lines)
            return add_note(repo, case_id, body or "")

    def task(self, viewer: Viewer, case_id: int, title: str | None = None, *,
             assignee: str | None = None, done: int | None = None,
             reopen: int | None = None) -> int | None:
        """Add a task (returns its id), or mark task `done` done / `reopen` open."""
        with self.store.session() as s:
            repo = self._repo(s, viewer)
            if done is not None:
                finish_task(repo, case_id, done, True)
            if reopen is not None:
                finish_task(repo, case_id, reopen, False)
            return add_task(repo, case_id, title, assignee) if title is not None else None

    def link(self, viewer: Viewer, case_id: int, links: tuple[LinkView, ...],
             alerts: tuple[int, ...] = (), remove: bool = False) -> int:
        with self.store.session() as s:
            repo = self._repo(s, viewer)
            changed = link(repo, case_id, self._links(links), remove) if links else 0
            return changed + (attach_alerts(repo, case_id, alerts) if alerts else 0)

    def resolve(self, viewer: Viewer, case_id: int, verdict: str,
                note: str | None = None) -> CaseView:
        """Resolve with a verdict, and the closing note if given, in one unit of work."""
        with self.store.session() as s:
            repo = self._repo(s, viewer)
            view = repo.update(case_id, CaseChange(status="resolved", verdict=verdict))
            if note is not None and note.strip():
                add_note(repo, case_id, note)
            return self.names.redact(view)

    def export(self, viewer: Viewer, case_id: int, fmt: str, path: Path,
               audit: AuditLog, hours: float = DEFAULT_HOURS) -> CaseExport:
        """Export the pseudonymized case and record its SHA-256 in `audit`."""
        detail = self.detail(viewer, case_id, hours)
        return export_case(detail, fmt, path, audit, viewer.name)

    def _links(self, links: tuple[LinkView, ...]) -> list[LinkView]:
        return [LinkView(k.kind, self.person(k.value)) if k.kind == "person" else k
                for k in links]


__all__ = ["CaseDesk", "CaseHooks", "CaseList", "CaseNew"]
