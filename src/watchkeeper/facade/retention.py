"""The workspace's retention jobs: legal holds in the state store, and the purge of lake
partitions past their keeping time that spares what the holds cover (docs/access.md,
"Retention and legal hold"). Placing and releasing a hold is audited in the change's own
transaction (``hold.place``, ``hold.release``), the person named by pseudonym; holds
themselves name the user id, which legal work needs."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from watchkeeper.facade.state import StateJobs

if TYPE_CHECKING:
    from watchkeeper.access.holds import Hold
    from watchkeeper.lake.retention import RetentionReport
    from watchkeeper.security.recusal import Viewer


def _now(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(UTC)


class RetentionJobs(StateJobs):
    """Legal holds and retention purges."""

    def hold_add(self, person: str, since: date, reason: str, *, actor: str,
                 until: date | None = None, case_ref: str | None = None,
                 now: datetime | None = None) -> Hold:
        """Place a legal hold on `person`'s rows from `since` to `until` (inclusive;
        None: until released). Audited ``hold.place``."""
        from watchkeeper.access.holds import HoldNew, place
        with self.state.session() as session:
            audit = self.change_audit(actor)
            audit.hold(session)
            made = place(session, HoldNew(person, since, reason, until, case_ref), actor,
                         now=_now(now))
            audit.record(session, "hold.place", "legal_hold", str(made.id),
                         {"person": self._code(made.person),
                          "since": made.since.isoformat(),
                          "until": made.until.isoformat() if made.until else None})
        return made

    def hold_from_case(self, viewer: Viewer, case_id: int, reason: str, *,
                       until: date | None = None, now: datetime | None = None
                       ) -> tuple[Hold, ...]:
        """Place one hold per person of case `case_id` (one `viewer` may open), from the
        day of its first alert to `until` (None: until released), all in one
        transaction. Audited ``hold.place`` each, naming the case."""
        from watchkeeper.access.holds import HoldNew, case_scope, place
        from watchkeeper.cases.detail import LakeOrgChart, case_people
        from watchkeeper.cases.records import record
        from watchkeeper.cases.repository import CaseRepository
        with self.state.session() as session:
            found = record(CaseRepository(session, viewer, LakeOrgChart(self.lake),
                                          clock=lambda: self.clock.now()), case_id)
            people, since = case_scope(
                case_people(found.links, found.alerts),
                [a.first_seen or a.event_time for a in found.alerts],
                found.case.created_at)
            audit = self.change_audit(viewer.name)
            audit.hold(session)
            made = []
            for person in people:
                hold = place(session, HoldNew(person, since, reason, until, str(case_id)),
                             viewer.name, now=_now(now))
                audit.record(session, "hold.place", "legal_hold", str(hold.id),
                             {"person": self._code(person), "case": case_id,
                              "since": since.isoformat(),
                              "until": until.isoformat() if until else None})
                made.append(hold)
        return tuple(made)

    def hold_release(self, ident: int, *, actor: str, now: datetime | None = None) -> Hold:
        """Release a hold (the row stays); later purges may remove what it kept.
        Audited ``hold.release``."""
        from watchkeeper.access.holds import release
        with self.state.session() as session:
            audit = self.change_audit(actor)
            audit.hold(session)
            gone = release(session, ident, actor, now=_now(now))
            audit.record(session, "hold.release", "legal_hold", str(gone.id),
                         {"person": self._code(gone.person)})
        return gone

    def _code(self, user: str) -> str:
        """The person as the audit log names people: their pseudonym."""
        return self.pseudonymizer().pseudonym(user)

    def holds(self, *, person: str | None = None, released: bool = False
              ) -> tuple[Hold, ...]:
        """Legal holds by id; released ones too when `released`."""
        from watchkeeper.access.holds import listing
        with self.state.session() as session:
            return tuple(listing(session, person=person, released=released))

    def lake_purge(self, *, dry_run: bool = False, today: date | None = None,
                   wait: float = 0.0) -> RetentionReport:
        """Remove the lake's event rows past `[retention]` on `today` (default: the
        clock's UTC date) in one commit, except those the standing legal holds cover;
        a dry run only counts."""
        from watchkeeper.access.holds import standing
        from watchkeeper.lake.retention import HeldSpan, purge
        with self.state.session() as session:
            spans = [HeldSpan(h.person, h.since, h.until) for h in standing(session)]
        policy = self.settings.retention
        return purge(self.lake, policy.days, sorted(policy.regions), spans,
                     today or self.clock.now().date(), dry_run=dry_run, wait=wait)
