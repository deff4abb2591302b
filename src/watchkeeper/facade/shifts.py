"""The workspace's operations jobs: teams' shifts and holidays, SLA policies and clocks,
hand-offs, notifications (docs/operations.md).

Times come from `self.clock` (a `Clock`; tests set a `FixedClock`) unless a job is
given `now`. `sla_tick(now)` and `handoffs_due(now)` are the scheduler's periodic
jobs: each is idempotent (a breach escalates once, a hand-off is written once). What
leaves these methods names people by pseudonym (case titles, notes, pause reasons).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from watchkeeper.facade.state import StateJobs

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from watchkeeper.cases.repository import CaseRepository
    from watchkeeper.cases.service import CaseDesk
    from watchkeeper.ops.casesla import CaseSlaView
    from watchkeeper.ops.compliance import SlaReport
    from watchkeeper.ops.escalation import BreachInfo, SlaTick
    from watchkeeper.ops.handoff import HandoffRun, HandoffSummary, HandoffView
    from watchkeeper.ops.notify import NotificationView
    from watchkeeper.ops.seed import SeedReport
    from watchkeeper.ops.shifts import Holiday, TeamShifts
    from watchkeeper.ops.sla import SlaPolicyInfo
    from watchkeeper.security.recusal import Viewer


class ShiftJobs(StateJobs):
    """The workspace's operations jobs (`watchkeeper.ops`)."""

    if TYPE_CHECKING:  # defined by QueueJobs and PlaybookJobs
        @property
        def cases(self) -> CaseDesk: ...

        def playbooks_breached(self, session: Session, breaches: Sequence[BreachInfo],
                               now: datetime) -> None: ...

    def _now(self, now: datetime | None = None) -> datetime:
        return now if now is not None else self.clock.now()

    @contextmanager
    def _as(self, viewer: Viewer, now: datetime) -> Iterator[CaseRepository]:
        """A unit of work acting as `viewer`, its clock at `now`."""
        from watchkeeper.cases.repository import CaseRepository
        desk = self.cases
        with self.state.session() as s:
            yield CaseRepository(s, viewer, desk.org, clock=lambda: now)

    # -- teams: shifts and holidays ------------------------------------------------------

    def shifts_set(self, team: str, timezone: str, hours: Sequence[str], *,
                   grace_minutes: int | None = None) -> TeamShifts:
        """Give `team` a time zone and weekly shift hours (``mon-fri 08:00-16:00``,
        repeatable), replacing those it had; `grace_minutes`: how long the next team
        has to acknowledge its hand-offs."""
        from watchkeeper.ops import shifts
        from watchkeeper.ops.hours import parse_hours
        parsed = [h for text in hours for h in parse_hours(text)]
        now = self._now()
        with self.state.session() as s:
            plan = shifts.set_shifts(s, team, timezone, parsed, now, grace_minutes)
            return shifts.show(plan, now, shifts.holidays(s, plan.name, now.date()))

    def shifts_show(self, team: str | None = None) -> tuple[TeamShifts, ...]:
        """Every team's calendar (or `team`'s): on shift now, until when, or when next."""
        from watchkeeper.ops import shifts
        now = self._now()
        with self.state.session() as s:
            found = [shifts.plan_of(s, team)] if team is not None else shifts.plans(s)
            return tuple(shifts.show(p, now, shifts.holidays(s, p.name, now.date()))
                         for p in found)

    def holiday_add(self, team: str, day: date, name: str = "") -> Holiday:
        """Make `day` (the team's local date) a holiday: no shift that day."""
        from watchkeeper.ops import shifts
        with self.state.session() as s:
            return shifts.add_holiday(s, team, day, name)

    def holiday_remove(self, team: str, day: date) -> Holiday:
        from watchkeeper.ops import shifts
        with self.state.session() as s:
            return shifts.remove_holiday(s, team, day)

    def holidays(self, team: str) -> tuple[Holiday, ...]:
        from watchkeeper.ops import shifts
        with self.state.session() as s:
            return shifts.holidays(s, team)

    def teams_seed(self, path: Path, *, replace: bool = False) -> SeedReport:
        """Seed teams, calendars, holidays and SLA policies from a teams.yml (what the
        store has is kept unless `replace`); all or nothing."""
        from watchkeeper.ops.seed import apply
        with self.state.session() as s:
            from watchkeeper.facade.state import local_actor
            return apply(s, path, self._now(), self.change_audit(local_actor()),
                         replace=replace)

    # -- SLA policies and a case's clocks ------------------------------------------------

    def sla_policy_set(self, severity: str | int, acknowledge: str | timedelta,
                       resolve: str | timedelta, clock: str = "wall", *,
                       raise_priority: bool = True, escalate_team: str | None = None,
                       escalate_assignee: str | None = None) -> SlaPolicyInfo:
        """Set the policy for cases of `severity` (``high`` or 4): times to acknowledge
        and resolve (``45m``, ``4h``, ``2d``), on the ``wall`` clock or the owning
        team's ``business`` hours, and what a breach escalates to."""
        from watchkeeper.ops import sla
        ack = acknowledge if isinstance(acknowledge, timedelta) else sla.parse_duration(
            acknowledge, "acknowledge")
        res = resolve if isinstance(resolve, timedelta) else sla.parse_duration(
            resolve, "resolve")
        with self.state.session() as s:
            return sla.set_policy(s, sla.parse_severity(severity), ack, res, clock,
                                  self._now(), raise_priority=raise_priority,
                                  escalate_team=escalate_team,
                                  escalate_assignee=escalate_assignee)

    def sla_policy_remove(self, severity: str | int) -> SlaPolicyInfo:
        from watchkeeper.ops import sla
        with self.state.session() as s:
            return sla.remove_policy(s, sla.parse_severity(severity))

    def sla_policies(self) -> tuple[SlaPolicyInfo, ...]:
        from watchkeeper.ops import sla
        with self.state.session() as s:
            return tuple(sla.policies(s).values())

    def case_sla(self, viewer: Viewer, case_id: int) -> CaseSlaView:
        """A case's SLA clocks now, if `viewer` may open the case."""
        from watchkeeper.ops import casesla
        now = self._now()
        with self._as(viewer, now) as repo:
            return self.cases.names.redact(casesla.show(repo, case_id, now))

    def case_acknowledge(self, viewer: Viewer, case_id: int) -> CaseSlaView:
        """Acknowledge the case: its acknowledge clock stops (once)."""
        from watchkeeper.ops import casesla
        now = self._now()
        with self._as(viewer, now) as repo:
            return self.cases.names.redact(casesla.acknowledge(repo, case_id, now))

    def sla_pause(self, viewer: Viewer, case_id: int, party: str,
                  reason: str) -> CaseSlaView:
        """Stop the case's clocks while it waits on `party`, an external party."""
        from watchkeeper.ops import casesla
        now = self._now()
        with self._as(viewer, now) as repo:
            return self.cases.names.redact(casesla.pause(repo, case_id, party, reason, now))

    def sla_resume(self, viewer: Viewer, case_id: int) -> CaseSlaView:
        from watchkeeper.ops import casesla
        now = self._now()
        with self._as(viewer, now) as repo:
            return self.cases.names.redact(casesla.resume(repo, case_id, now))

    def sla_tick(self, now: datetime | None = None) -> SlaTick:
        """Bring every running SLA clock up to date; record and escalate new breaches
        (each once). The scheduler's periodic job; the breaches it returns are what SLA
        playbooks start from."""
        from watchkeeper.ops.escalation import tick
        when = self._now(now)
        with self.state.session() as s:
            found = tick(s, self.cases.org, when)
            self.playbooks_breached(s, found.breaches, when)
            return found

    def sla_report(self, since: datetime | str, until: datetime | None = None,
                   now: datetime | None = None) -> SlaReport:
        """SLA compliance of the cases created in [since, until), or in the period
        `since` names (``2025-03``, ``2025-Q1``, `watchkeeper.ops.period`), per team,
        severity and region, as of `now`."""
        from watchkeeper.ops.compliance import report
        from watchkeeper.ops.period import Period
        at = self._now(now)
        if isinstance(since, str):
            since, until = Period.parse(since, "period").closed(at)
        elif until is None:
            until = at
        with self.state.session() as s:
            return report(s, since, until, at)

    # -- hand-offs -----------------------------------------------------------------------

    def handoffs_due(self, now: datetime | None = None) -> HandoffRun:
        """Write the hand-offs of the shift ends passed (each once) and flag those not
        acknowledged in time. The scheduler's periodic job."""
        from watchkeeper.ops.handoff import due
        with self.state.session() as s:
            return due(s, self.cases.org, self._now(now))

    def handoff_show(self, viewer: Viewer, ident: int | None = None, *,
                     team: str | None = None) -> HandoffView:
        """Hand-off `ident`, or `team`'s latest, with the cases `viewer` may open
        (pseudonymized); the read is audited (``handoff.read``)."""
        from watchkeeper.errors import NotFoundError
        from watchkeeper.ops import handoff
        now = self._now()
        with self._as(viewer, now) as repo:
            if ident is None:
                if team is None:
                    raise NotFoundError("name a hand-off or a team (--team)")
                ident = handoff.latest(repo.session, team)
            view = handoff.show(repo, ident)
        self.audited(viewer.name, "handoff.read", "handoff", str(ident),
                     {"cases": len(view.items)})
        return self.cases.names.redact(view)

    def handoffs(self, team: str | None = None, *, pending: bool = False,
                 limit: int = 50) -> tuple[HandoffSummary, ...]:
        """Hand-offs newest first, from or to `team`; `pending`: not acknowledged."""
        from watchkeeper.ops import handoff
        with self.state.session() as s:
            return handoff.listing(s, team, pending=pending, limit=limit)

    def handoff_acknowledge(self, viewer: Viewer, ident: int) -> HandoffSummary:
        """The receiving team takes the hand-off (a member, a lead or an admin)."""
        from watchkeeper.ops import handoff
        with self.state.session() as s:
            return handoff.acknowledge(s, viewer, ident, self._now())

    # -- notifications -------------------------------------------------------------------

    def notifications(self, viewer: Viewer, *, unread: bool = True,
                      limit: int = 100) -> tuple[NotificationView, ...]:
        """`viewer`'s in-app notifications, newest first."""
        from watchkeeper.ops import notify
        if viewer.account_id is None:
            return ()
        with self.state.session() as s:
            return notify.listing(s, viewer.account_id, unread=unread, limit=limit)

    def notification_read(self, viewer: Viewer, ident: int) -> NotificationView:
        from watchkeeper.errors import NotFoundError
        from watchkeeper.ops import notify
        if viewer.account_id is None:
            raise NotFoundError(f"notification {ident}: no such notification of yours")
        with self.state.session() as s:
            return notify.mark_read(s, viewer.account_id, ident, self._now())
