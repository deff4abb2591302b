"""Cases in the state store: create, read, list, update, transitions and verdicts, access.

`CaseRepository(session, viewer, org)` works inside the caller's unit of work
(``with store.session() as s``): nothing is committed here, so a refused change leaves
nothing half-written. Every method that opens a case checks first that the viewer may
(`security.recusal.check_access`), and every change appends one `CaseEvent` (who, when,
the action, the changed fields before and after). Tasks, notes, links and alerts are in
`cases.records`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import Select, and_, exists, false, func, or_, select
from sqlalchemy.orm import Session

from watchkeeper.cases.views import CaseView, JsonValue, case_view
from watchkeeper.cases.workflow import (
    Status,
    check_transition,
    parse_priority,
    parse_status,
    parse_verdict,
)
from watchkeeper.errors import AccessError, CaseError, NotFoundError
from watchkeeper.security.recusal import (
    CONTENT_ROLES,
    CaseFacts,
    OrgChart,
    Viewer,
    account_ids,
    check_access,
    conflicts,
    viewer_of,
)
from watchkeeper.store.models import (
    Account,
    Alert,
    AlertSubject,
    Case,
    CaseAccess,
    CaseEvent,
    CaseLink,
    Team,
    utcnow,
)
from watchkeeper.store.paging import Order, Page, page

MAX_TITLE = 500
REOPENED = Status.IN_PROGRESS


@dataclass(frozen=True)
class CaseChange:
    """Fields to change; None leaves a field as it is, "" clears priority, assignee and
    team. `status` runs through the workflow; `verdict` is required to resolve."""

    title: str | None = None
    severity: int | None = None
    priority: str | None = None
    assignee: str | None = None
    team: str | None = None
    status: str | None = None
    verdict: str | None = None
    summary: str | None = None


@dataclass(frozen=True)
class CaseFilter:
    """Which cases a list shows (all given filters apply)."""

    status: tuple[str, ...] = ()
    min_severity: int | None = None
    assignee: str | None = None
    person: str | None = None   # a lake user id linked to the case


class CaseRepository:
    """The cases one viewer may see and change, inside one session."""

    def __init__(self, session: Session, viewer: Viewer, org: OrgChart, *,
                 clock: Callable[[], dt.datetime] = utcnow) -> None:
        self.session = session
        self.viewer = viewer
        self.org = org
        self.clock = clock

    # -- reading -------------------------------------------------------------------------

    def open(self, case_id: int) -> Case:
        """The case row, once the viewer is known to be allowed to open it."""
        row = self.session.get(Case, case_id)
        if row is None:
            raise NotFoundError(f"case {case_id}: no such case")
        check_access(self.viewer, self.facts(row), self.org, self.clock().date())
        return row

    def facts(self, row: Case) -> CaseFacts:
        allowed = frozenset(self.session.scalars(
            select(CaseAccess.account_id).where(CaseAccess.case_id == row.id)))
        return CaseFacts(row.id, row.restricted, allowed, self.subjects(row.id),
                         self.case_day(row), self.regions(row.id))

    def regions(self, case_id: int) -> frozenset[str | None]:
        """The regions of a case's alerts (None for an alert that names none)."""
        return frozenset(self.session.scalars(
            select(Alert.region).where(Alert.case_id == case_id).distinct()))

    def subjects(self, case_id: int) -> frozenset[str]:
        """The people a case is about: its person links and its alerts' subjects."""
        linked = self.session.scalars(select(CaseLink.value).where(
            CaseLink.case_id == case_id, CaseLink.kind == "person"))
        alerted = self.session.scalars(
            select(AlertSubject.subject).join(Alert, Alert.id == AlertSubject.alert_id)
            .where(Alert.case_id == case_id))
        return frozenset([*linked, *alerted])

    def case_day(self, row: Case) -> dt.date:
        """The day of the case's first alert, else of its creation."""
        first = self.session.scalar(select(func.min(Alert.event_time))
                                    .where(Alert.case_id == row.id))
        return (first or row.created_at).date()

    def view(self, row: Case) -> CaseView:
        ids = {i for i in (row.assignee_id,) if i is not None}
        return case_view(row, self.account_names(ids), self.team_names(
            {row.team_id} if row.team_id is not None else set()))

    def get(self, case_id: int) -> CaseView:
        return self.view(self.open(case_id))

    def listing(self, filters: CaseFilter = CaseFilter(), *, limit: int = 50,
             cursor: str | None = None) -> tuple[tuple[CaseView, ...], str | None]:
        """The cases the viewer may open, most recently changed first; restricted cases
        off their list, cases with alerts outside their regions and cases about people
        they are recused from are left out."""
        if self.viewer.role not in CONTENT_ROLES:
            raise AccessError(f"the {self.viewer.role} role reads no case content")
        query = self._visible(self._filtered(select(Case), filters))
        found: Page[Case] = page(self.session, query, limit=limit, cursor=cursor,
                                 order=(Order(Case.updated_at, descending=True),))
        rows = [c for c in found.items if self._may_open(c)]
        names = self.account_names({c.assignee_id for c in rows if c.assignee_id is not None})
        teams = self.team_names({c.team_id for c in rows if c.team_id is not None})
        return tuple(case_view(c, names, teams) for c in rows), found.next_cursor

    def _may_open(self, row: Case) -> bool:
        """The full check, for what SQL cannot see: recusal on each case's own day (a
        page may so hold fewer than `limit` cases; its cursor still goes on)."""
        try:
            check_access(self.viewer, self.facts(row), self.org, self.clock().date())
        except AccessError:
            return False
        return True

    def _filtered(self, query: Select[Case], f: CaseFilter) -> Select[Case]:
        if f.status:
            query = query.where(Case.status.in_([parse_status(s).value for s in f.status]))
        if f.min_severity is not None:
            query = query.where(Case.severity >= f.min_severity)
        if f.assignee is not None:
            query = query.where(Case.assignee_id == self.account_id(f.assignee))
        if f.person is not None:
            query = query.where(or_(
                exists().where(CaseLink.case_id == Case.id, CaseLink.kind == "person",
                               CaseLink.value == f.person),
                exists().where(Alert.case_id == Case.id, AlertSubject.alert_id == Alert.id,
                               AlertSubject.subject == f.person)))
        return query

    def _visible(self, query: Select[Case]) -> Select[Case]:
        account = self.viewer.account_id
        on_list = (exists().where(CaseAccess.case_id == Case.id,
                                  CaseAccess.account_id == account)
                   if account is not None else false())
        query = query.where(or_(Case.restricted.is_(False), on_list),
                            self.viewer.scope.covers_clause(Alert.region,
                                                            Alert.case_id == Case.id))
        if self.viewer.person is None:
            return query
        avoid = sorted(conflicts(self.viewer.person, self.org.managers(self.clock().date())))
        return query.where(
            ~exists().where(CaseLink.case_id == Case.id, CaseLink.kind == "person",
                            CaseLink.value.in_(avoid)),
            ~exists().where(and_(Alert.case_id == Case.id,
                                 AlertSubject.alert_id == Alert.id,
                                 AlertSubject.subject.in_(avoid))))

    # -- changing --------------------------------------------------------------------------

    def create(self, title: str, *, severity: int = 3, priority: str | None = None,
               team: str | None = None) -> Case:
        """A new case (status new); the caller adds alerts and links, then `admit`s it."""
        if self.viewer.role not in CONTENT_ROLES:
            raise AccessError(f"the {self.viewer.role} role cannot open cases")
        row = Case(title=check_title(title), status=Status.NEW.value,
                   severity=check_severity(severity),
                   priority=parse_priority(priority).word if priority else None,
                   team_id=self.team_id(team) if team else None, summary="",
                   created_at=self.clock(), updated_at=self.clock())
        self.session.add(row)
        self.session.flush()
        self.record(row, "case.create", None, {
            "title": row.title, "severity": row.severity, "priority": row.priority,
            "team": team, "status": row.status})
        return row

    def admit(self, row: Case) -> CaseView:
        """Check, once its alerts and links are in, that the creator may open the case."""
        self.session.flush()
        check_access(self.viewer, self.facts(row), self.org, self.clock().date())
        return self.view(row)

    def update(self, case_id: int, change: CaseChange) -> CaseView:
        """Apply `change`: one event for the plain fields, one for a status change, one
        for the summary."""
        row = self.open(case_id)
        before, after = self._fields(row, change)
        if before:
            self.record(row, "case.update", before, after)
        if change.status is not None or change.verdict is not None:
            self._transition(row, change)
        if change.summary is not None and change.summary != row.summary:
            self.record(row, "case.summary", {"summary": row.summary},
                        {"summary": change.summary})
            row.summary = change.summary
        return self.view(row)

    def _fields(self, row: Case, change: CaseChange
                ) -> tuple[dict[str, JsonValue], dict[str, JsonValue]]:
        wanted: dict[str, JsonValue] = {}
        if change.title is not None:
            wanted["title"] = check_title(change.title)
        if change.severity is not None:
            wanted["severity"] = check_severity(change.severity)
        if change.priority is not None:
            wanted["priority"] = parse_priority(change.priority, row.id).word \
                if change.priority else None
        current = self.view(row)
        if change.assignee is not None:
            wanted["assignee"] = self._assignee(row, change.assignee)
        if change.team is not None:
            wanted["team"] = change.team or None
        before: dict[str, JsonValue] = {}
        after: dict[str, JsonValue] = {}
        for name, value in wanted.items():
            old = getattr(current, name)
            if old != value:
                before[name], after[name] = old, value
        self._apply(row, after)
        return before, after

    def _apply(self, row: Case, after: Mapping[str, JsonValue]) -> None:
        for name, value in after.items():
            if name == "assignee":
                row.assignee_id = self.account_id(str(value)) if value else None
            elif name == "team":
                row.team_id = self.team_id(str(value)) if value else None
            else:
                setattr(row, name, value)

    def _assignee(self, row: Case, name: str) -> str | None:
        """`name`, once they may open the case themselves (not recused, on its list)."""
        if not name:
            return None
        account = self.session.scalars(select(Account).where(Account.name == name)).first()
        if account is None:
            raise NotFoundError(f"no account named {name!r}")
        assignee = viewer_of(self.session, account)
        try:
            check_access(assignee, self.facts(row), self.org, self.clock().date())
        except AccessError as exc:
            raise CaseError(f"case {row.id}: cannot assign it to {name}: "
                            f"{str(exc).split(': ', 1)[1]}") from None
        return name

    def _transition(self, row: Case, change: CaseChange) -> None:
        before = parse_status(row.status, row.id)
        after = parse_status(change.status, row.id) if change.status is not None else before
        verdict = parse_verdict(change.verdict, row.id) if change.verdict else None
        if verdict is not None and after is not Status.RESOLVED:
            raise CaseError(f"case {row.id}: a verdict is given when resolving "
                            "(status resolved)")
        if after is not before:
            check_transition(row.id, before, after, verdict)
        new_verdict = verdict.word if verdict else (None if after is REOPENED
                                                   else row.verdict)
        if (after.value, new_verdict) == (row.status, row.verdict):
            return
        self.record(row, "case.status", {"status": row.status, "verdict": row.verdict},
                    {"status": after.value, "verdict": new_verdict})
        row.status, row.verdict = after.value, new_verdict

    def restrict(self, case_id: int, names: Sequence[str] | None) -> CaseView:
        """Restrict the case to the accounts `names` (and the viewer's own), or lift the
        restriction (None; a lead or admin only)."""
        row = self.open(case_id)
        old: list[JsonValue] = list(self.access_names(row.id))
        if names is None:
            if self.viewer.role not in ("lead", "admin"):
                raise AccessError(f"case {row.id}: only a lead or admin lifts a restriction")
            new: list[str] = []
        else:
            if self.viewer.account_id is None:
                raise CaseError(f"case {row.id}: restricting needs accounts (users add)")
            new = sorted({*names, self.viewer.name})
        ids = account_ids(self.session, new)
        self.session.query(CaseAccess).filter(CaseAccess.case_id == row.id).delete()
        self.session.add_all(CaseAccess(case_id=row.id, account_id=ids[n]) for n in new)
        self.record(row, "case.restrict", {"restricted": row.restricted, "access": old},
                    {"restricted": names is not None, "access": list[JsonValue](new)})
        row.restricted = names is not None
        return self.view(row)

    # -- helpers ---------------------------------------------------------------------------

    def record(self, row: Case, action: str, before: Mapping[str, JsonValue] | None,
               after: Mapping[str, JsonValue] | None) -> None:
        """One case event by the viewer now; the case counts as changed."""
        now = self.clock()
        self.session.add(CaseEvent(case_id=row.id, at=now, actor=self.viewer.name,
                                   action=action, before=dict(before) if before else None,
                                   after=dict(after) if after else None))
        row.updated_at = now

    def account_names(self, ids: set[int]) -> dict[int, str]:
        if not ids:
            return {}
        rows = self.session.execute(
            select(Account.id, Account.name).where(Account.id.in_(sorted(ids))))
        return {ident: name for ident, name in rows}

    def team_names(self, ids: set[int]) -> dict[int, str]:
        if not ids:
            return {}
        rows = self.session.execute(select(Team.id, Team.name)
                                    .where(Team.id.in_(sorted(ids))))
        return {ident: name for ident, name in rows}

    def access_names(self, case_id: int) -> list[str]:
        return list(self.session.scalars(
            select(Account.name).join(CaseAccess, CaseAccess.account_id == Account.id)
            .where(CaseAccess.case_id == case_id).order_by(Account.name)))

    def account_id(self, name: str) -> int:
        return account_ids(self.session, [name])[name]

    def team_id(self, name: str) -> int:
        found = self.session.scalar(select(Team.id).where(Team.name == name))
        if found is None:
            raise NotFoundError(f"no team named {name!r}")
        return found


def check_title(title: str) -> str:
    text = " ".join(title.split())
    if not text or len(text) > MAX_TITLE:
        raise CaseError(f"case title: 1 to {MAX_TITLE} characters, not {len(text)}")
    return text


def check_severity(severity: int) -> int:
    if not 0 <= severity <= 6:
        raise CaseError(f"case severity {severity}: expected 0-6 (OCSF severity_id)")
    return severity


__all__ = ["CaseChange", "CaseFilter", "CaseRepository", "check_severity", "check_title"]
