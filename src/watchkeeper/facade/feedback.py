"""The workspace's feedback jobs: rule statistics from verdicts, allow-list proposals,
watchlists, and the feedback `analyze` hands to risk scoring (docs/operations.md,
"Feedback").

People leave these jobs as pseudonyms (`Pseudonymizer.redact`); a person given to them
may be a pseudonym or a user id of the lake's people history. Changes are audited in
their own transaction (`change_audit`).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

from watchkeeper.facade.queue import QueueJobs

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from watchkeeper.cases.repository import CaseRepository
    from watchkeeper.ops.allowlist import ProposalInfo
    from watchkeeper.ops.period import Period
    from watchkeeper.ops.rulestats import RuleStats
    from watchkeeper.ops.watchlists import WatchlistInfo
    from watchkeeper.risk.feedback import AnalystFeedback
    from watchkeeper.security.audit_entry import DetailValue
    from watchkeeper.security.recusal import Viewer


def _now(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(UTC)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


class FeedbackJobs(QueueJobs):
    """Verdict feedback: rule statistics, allow-list proposals, watchlists."""

    if TYPE_CHECKING:  # defined by PlaybookJobs
        def playbooks_watched(self, session: Session, entry: WatchlistInfo, user: str,
                              now: datetime) -> None: ...

    def case_worker(self, name: str | None = None) -> Viewer:
        """`case_viewer(name)`, if their role may work alerts and cases (analyst, lead,
        admin, or the local operator); `AccessError` otherwise."""
        from watchkeeper.errors import AccessError
        from watchkeeper.security.recusal import CONTENT_ROLES
        viewer = self.case_viewer(name)
        if viewer.role not in CONTENT_ROLES:
            raise AccessError(f"the {viewer.role} role does not work alerts and cases")
        return viewer

    # -- into risk scoring ---------------------------------------------------------------

    def risk_feedback(self) -> AnalystFeedback:
        """What `analyze` hands to risk scoring: every false-positive verdict (its rule,
        people and window of `[feedback] false_positive_days`) and every watchlist entry
        not removed, read from the state store as plain values."""
        from watchkeeper.errors import StoreError
        from watchkeeper.ops.verdicts import false_positives
        from watchkeeper.ops.watchlists import watches
        from watchkeeper.risk.feedback import AnalystFeedback
        from watchkeeper.security.roles import EVERYWHERE
        try:
            with self.state.session() as session:
                verdicts = false_positives(session, EVERYWHERE,
                                           self.settings.feedback.false_positive_days)
                entries = watches(session)
        except StoreError as exc:
            raise StoreError(f"analyze reads the analysts' verdicts and watchlists from the "
                             f"state store: {exc}") from exc
        return AnalystFeedback(verdicts, entries)

    # -- rule statistics -----------------------------------------------------------------

    def rules_stats(self, viewer: Viewer, *, since: date | None = None,
                    until: date | None = None, period: Period | str | None = None
                    ) -> RuleStats:
        """Per rule, source and rule x team: alerts, suppressed share, verdicts,
        precision and median time to verdict, over the alerts `viewer` sees received in
        `period` (a `Period` or its text), or on the days `since` to `until`
        (inclusive; None: open)."""
        from watchkeeper.errors import AccessError, FeedbackError
        from watchkeeper.ops.period import Period
        from watchkeeper.ops.rulestats import rule_stats
        from watchkeeper.security.recusal import CONTENT_ROLES
        if viewer.role not in CONTENT_ROLES:
            raise AccessError(f"the {viewer.role} role reads no alert content")
        if period is not None and (since is not None or until is not None):
            raise FeedbackError("period", "give a period or since/until, not both")
        if isinstance(period, str):
            period = Period.parse(period, "period")
        if period is None:
            if since is not None and until is not None and until < since:
                raise FeedbackError("until", f"{until} is before since {since}")
            period = Period.days(since, until)
        with self.state.session() as session:
            return rule_stats(session, viewer.scope, since=period.start, until=period.end)

    # -- allow-list proposals ------------------------------------------------------------

    def allow_propose(self, viewer: Viewer, case_id: int, field: str, reason: str, *,
                      value: str | None = None, rule: str | None = None,
                      now: datetime | None = None) -> ProposalInfo:
        """Propose, from a case resolved false_positive, to stop alerting on `rule` for
        one `field` ("subject": a person, pseudonym or user id; "host") `value` (each
        may be left out when the case's alerts have just one). Nothing changes until a
        lead accepts it. Audited ``allow.propose``."""
        from watchkeeper.ops.allowlist import ProposalNew, propose
        person = self.cases.person(value) if value is not None and field == "subject" \
            else value
        when = _now(now)
        with self.state.session() as session:
            audit = self.change_audit(viewer.name)
            audit.hold(session)
            made = propose(self._repo(session, viewer),
                           ProposalNew(case_id, field, reason, person, rule), when)
            audit.record(session, "allow.propose", "allow_proposal", str(made.id),
                         {"case": case_id, "rule": made.rule, "field": made.field})
        return self._proposal_out(made)

    def allow_proposals(self, viewer: Viewer, status: str | None = "pending"
                        ) -> tuple[ProposalInfo, ...]:
        """Allow-list proposals with `status` (None: all), oldest first."""
        from watchkeeper.errors import AccessError
        from watchkeeper.ops.allowlist import list_proposals
        from watchkeeper.security.recusal import CONTENT_ROLES
        if viewer.role not in CONTENT_ROLES:
            raise AccessError(f"the {viewer.role} role reads no alert content")
        with self.state.session() as session:
            found = list_proposals(session, status)
        return tuple(self._proposal_out(p) for p in found)

    def allow_accept(self, viewer: Viewer, ident: int, *, expires: date | None = None,
                     note: str | None = None, now: datetime | None = None) -> ProposalInfo:
        """Accept a pending proposal (a lead or admin, not its proposer): it becomes a
        suppression of its rule and value until the end of `expires` (UTC; default
        `[feedback] allow_days` from today). Audited ``allow.accept``."""
        when = _now(now)
        last = expires or when.date() + timedelta(days=self.settings.feedback.allow_days)
        return self._review(viewer, ident, True, note, _day_start(last + timedelta(days=1)),
                            when)

    def allow_reject(self, viewer: Viewer, ident: int, note: str, *,
                     now: datetime | None = None) -> ProposalInfo:
        """Reject a pending proposal, saying why. Audited ``allow.reject``."""
        return self._review(viewer, ident, False, note, None, _now(now))

    def _review(self, viewer: Viewer, ident: int, accept: bool, note: str | None,
                expires_at: datetime | None, now: datetime) -> ProposalInfo:
        from watchkeeper.ops.allowlist import review
        with self.state.session() as session:
            audit = self.change_audit(viewer.name)
            audit.hold(session)
            done = review(self._repo(session, viewer), ident, accept=accept,
                          note=note, expires_at=expires_at, now=now)
            detail: dict[str, DetailValue] = {"rule": done.rule}
            if accept:
                detail["suppression"] = done.suppression_id
            audit.record(session, f"allow.{'accept' if accept else 'reject'}",
                         "allow_proposal", str(ident), detail)
        return self._proposal_out(done)

    def _repo(self, session: Session, viewer: Viewer) -> CaseRepository:
        from watchkeeper.cases.repository import CaseRepository
        return CaseRepository(session, viewer, self.cases.org, clock=self.cases.clock)

    def _proposal_out(self, p: ProposalInfo) -> ProposalInfo:
        names = self.cases.names
        value = names.pseudonym(p.value) if p.field == "subject" else p.value
        return names.redact(replace(p, value=value))

    # -- watchlists ------------------------------------------------------------------------

    def watchlist_add(self, person: str, *, reason: str, actor: str,
                      watchlist: str = "insider-watch", until: date | None = None,
                      since: date | None = None, origin: str = "analyst",
                      now: datetime | None = None, trigger: bool = True) -> WatchlistInfo:
        """Put `person` (a pseudonym or a user id of the lake's people) on `watchlist`
        from `since` (default today, UTC) to `until` (inclusive; default `[feedback]
        watchlist_days` after today, or after `since` when later), as `actor` (an
        account, ``cli:<login>`` or a playbook), saying why. The next `analyze`
        applies it as a risk modifier. Audited ``watchlist.add``; queues the runs of
        the watchlist playbooks it starts (`trigger` False: none, as a playbook's own
        watchlist step does, so playbooks never start each other)."""
        from watchkeeper.ops.watchlists import WatchlistNew, add_entry
        user = self._known_person(person)
        when = _now(now)
        with self.state.session() as session:
            audit = self.change_audit(actor)
            audit.hold(session)
            made = add_entry(session, WatchlistNew(user, reason, watchlist, origin, since,
                                                   until),
                             actor, now=when,
                             default_days=self.settings.feedback.watchlist_days)
            audit.record(session, "watchlist.add", "person", self.cases.names.pseudonym(user),
                         {"entry": made.id, "watchlist": made.watchlist,
                          "origin": made.origin, "since": made.since.isoformat(),
                          "until": made.until.isoformat() if made.until else None})
            if trigger:
                self.playbooks_watched(session, made, user, when)
        return self._watch_out(made)

    def watchlists(self, *, person: str | None = None, ended: bool = False,
                   now: datetime | None = None) -> tuple[WatchlistInfo, ...]:
        """Who is on which watchlist: the store's entries in force or to come (`ended`:
        also expired and removed ones), and HR's lists from the people history."""
        from watchkeeper.ops.watchlists import from_watch, list_entries
        from watchkeeper.risk.feedback import hr_watches
        today = _now(now).date()
        user = self._known_person(person) if person is not None else None
        with self.state.session() as session:
            stored = list_entries(session, today=today, person=user, ended=ended)
        hr = [from_watch(w, today) for w in hr_watches(self.lake.table("people").to_pyarrow())
              if (user is None or w.user == user)
              and (ended or w.until is None or w.until >= today)]
        return tuple(self._watch_out(w) for w in [*stored, *hr])

    def watchlist_remove(self, ident: int, *, actor: str,
                         now: datetime | None = None) -> WatchlistInfo:
        """Withdraw a stored watchlist entry: the next `analyze` counts it on no day.
        Audited ``watchlist.remove``."""
        from watchkeeper.ops.watchlists import remove_entry
        with self.state.session() as session:
            audit = self.change_audit(actor)
            audit.hold(session)
            gone = remove_entry(session, ident, actor, now=_now(now))
            audit.record(session, "watchlist.remove", "person",
                         self.cases.names.pseudonym(gone.person),
                         {"entry": ident, "watchlist": gone.watchlist})
        return self._watch_out(gone)

    def _known_person(self, value: str) -> str:
        """The user id behind `value` (a pseudonym or user id) of the lake's people."""
        from watchkeeper.errors import FeedbackError, NotFoundError
        user = self.cases.person(value)
        names = self.cases.names
        try:
            names.reveal(names.pseudonym(user))
        except NotFoundError:
            raise FeedbackError("person", f"{value!r}: nobody in the lake's people history "
                                "has this id or pseudonym") from None
        return user

    def _watch_out(self, w: WatchlistInfo) -> WatchlistInfo:
        names = self.cases.names
        return names.redact(replace(w, person=names.pseudonym(w.person)))
