"""The workspace's case-service jobs: cases and the alert queue."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from watchkeeper.errors import WatchkeeperError
from watchkeeper.facade.state import StateJobs

if TYPE_CHECKING:

    from sqlalchemy.orm import Session

    from watchkeeper.analysis import Explaining
    from watchkeeper.cases.alerts import IntakeResult
    from watchkeeper.cases.detail import CaseDetail
    from watchkeeper.cases.export import CaseExport
    from watchkeeper.cases.grouping import GroupingRuleInfo
    from watchkeeper.cases.model import AlertIn, PostedAlerts
    from watchkeeper.cases.queue import AlertDetail, AlertPage, AlertQuery
    from watchkeeper.cases.repository import CaseChange, CaseFilter
    from watchkeeper.cases.service import CaseDesk, CaseList, CaseNew
    from watchkeeper.cases.suppression import SuppressionInfo
    from watchkeeper.cases.sync import SyncReport
    from watchkeeper.cases.views import CaseView, LinkView
    from watchkeeper.risk.explain import Explanation
    from watchkeeper.security import AuditLog
    from watchkeeper.security.recusal import Viewer
    from watchkeeper.security.roles import Scope



class QueueJobs(StateJobs):
    """The workspace's case-service jobs: cases and the alert queue."""

    if TYPE_CHECKING:  # defined by PlaybookJobs: the hooks that queue playbook runs
        def playbooks_intake(self, session: Session, result: IntakeResult,
                             alerts: Sequence[AlertIn] | None = None) -> None: ...

        def playbooks_case_opened(self, session: Session, case_id: int,
                                  now: datetime) -> None: ...

    # -- cases (cases.service: repository, timeline, summary, exports) ---------------------

    _case_desk: CaseDesk | None = None

    @property
    def cases(self) -> CaseDesk:
        """The case jobs over this workspace's state store and lake (docs/cases.md)."""
        if self._case_desk is None:
            from watchkeeper.cases.service import CaseDesk
            from watchkeeper.ops.hooks import OpsCaseHooks
            self._case_desk = CaseDesk(
                self.state, self.lake, self.pseudonymizer, explain=self._case_explain,
                clock=lambda: self.clock.now(),
                hooks=lambda org: OpsCaseHooks(org, self.playbooks_case_opened))
        return self._case_desk

    _explaining: Explaining | None = None

    def _case_explain(self, user: str, day: date) -> Explanation:
        """`risk_explain` for case summaries, over the current analysis run's risk tables
        and anomalies read once per run (reading the whole analysis for each case opened
        took most of a second at 1,000 people x 365 days; docs/benchmarks.md)."""
        from watchkeeper.risk import explain
        run = (self.analysis.meta() or {}).get("run")
        if self._explaining is None or self._explaining.run != run:
            self._explaining = self.analysis.explaining()
        return explain(self._explaining.risk, self._explaining.behaviour, user, day)

    def case_viewer(self, name: str | None = None) -> Viewer:
        """Who acts: the account `name`, else the one named like the OS login; a store
        without accounts has one local operator (``cli:<login>``)."""
        import getpass
        return self.cases.viewer(name, getpass.getuser())

    def case_create(self, viewer: Viewer, new: CaseNew) -> CaseView:
        """Open a case (its summary starts as the generated draft)."""
        return self.cases.create(viewer, new)

    def cases_list(self, viewer: Viewer, filters: CaseFilter | None = None, *,
                   limit: int = 50, cursor: str | None = None) -> CaseList:
        """The cases `viewer` may open, most recently changed first (pseudonymized)."""
        from watchkeeper.cases.repository import CaseFilter
        return self.cases.listing(viewer, filters or CaseFilter(), limit=limit, cursor=cursor)

    def case_show(self, viewer: Viewer, case_id: int, hours: float = 24.0) -> CaseDetail:
        """One case with its lake timeline and summary (pseudonymized); the read is
        audited (``case.read``) once access is granted and before anything is returned."""
        detail = self.cases.detail(viewer, case_id, hours)
        self.audited(viewer.name, "case.read", "case", str(case_id),
                     {"window_hours": f"{hours:g}"})
        return detail

    def case_update(self, viewer: Viewer, case_id: int, change: CaseChange, *,
                    restrict_to: tuple[str, ...] | None = None,
                    unrestrict: bool = False) -> CaseView:
        """Change fields, status (workflow enforced), summary, or the access list."""
        return self.cases.update(viewer, case_id, change, restrict_to=restrict_to,
                                 unrestrict=unrestrict)

    def case_note(self, viewer: Viewer, case_id: int, body: str | None, *,
                  template: bool = False) -> int:
        """Add a Markdown note (`template`: the root-cause template, filled in)."""
        return self.cases.note(viewer, case_id, body, template)

    def case_task(self, viewer: Viewer, case_id: int, title: str | None = None, *,
                  assignee: str | None = None, done: int | None = None,
                  reopen: int | None = None) -> int | None:
        """Add a task (its id), or mark one done or open again."""
        return self.cases.task(viewer, case_id, title, assignee=assignee, done=done,
                               reopen=reopen)

    def case_link(self, viewer: Viewer, case_id: int, links: tuple[LinkView, ...],
                  alerts: tuple[int, ...] = (), *, remove: bool = False) -> int:
        """Link (or unlink) people, hosts and observables, and put alerts in the case."""
        return self.cases.link(viewer, case_id, links, alerts, remove)

    def case_resolve(self, viewer: Viewer, case_id: int, verdict: str,
                     note: str | None = None) -> CaseView:
        """Resolve a case with an OCSF verdict (required), and a closing note."""
        return self.cases.resolve(viewer, case_id, verdict, note)

    def case_export(self, viewer: Viewer, case_id: int, fmt: str, path: Path, *,
                    hours: float = 24.0, audit: AuditLog | None = None) -> CaseExport:
        """Write the pseudonymized case as markdown, json or ocsf (2005) to `path` and
        record its SHA-256 in the audit log."""
        return self.cases.export(viewer, case_id, fmt, path,
                                 audit if audit is not None else self.cases_audit_log(),
                                 hours)

    def cases_audit_log(self) -> AuditLog:
        """The audit log case exports record into: the one on the state store."""
        return self.audit_log()

    def set_account_person(self, account: str, person: str | None, *,
                           actor: str | None = None) -> None:
        """Record the person (lake user id or pseudonym) behind an account, for recusal;
        audited as `actor` (default: `local_actor`)."""
        from watchkeeper.facade.state import local_actor
        self.cases.set_person(account, person, self.change_audit(actor or local_actor()))

    # -- alert queue ---------------------------------------------------------------------

    last_sync: SyncReport | None = None   # what the last detect/analyze queued

    def alerts_sync(self) -> SyncReport:
        """Queue the lake's findings not queued yet and the new or changed risk alerts
        (run by `detect` and `analyze` too)."""
        from watchkeeper.cases.sync import sync_own_alerts
        stored = self.analysis
        self.last_sync = sync_own_alerts(self.state, self.lake, stored.optional("risk_alerts"),
                                         stored.optional("risk_events"),
                                         then=self.playbooks_intake)
        return self.last_sync

    def _queue_own_alerts(self, job: str) -> None:
        """After `job` stored its results: queue their alerts, or say in one line that
        they are stored but not queued (losing them silently would be worse)."""
        from watchkeeper.errors import StoreError
        try:
            self.alerts_sync()
        except StoreError as exc:
            raise StoreError(f"{job} stored its results, but their alerts are not queued: "
                             f"{exc} (run `watchkeeper alerts sync` once the store works)"
                             ) from exc

    def alerts_ingest(self, alerts: Iterable[AlertIn],
                      received_at: datetime | None = None) -> IntakeResult:
        """Store normalized alerts in the queue: one batch, whole or not at all."""
        from watchkeeper.cases.alerts import store_alerts
        batch = list(alerts)
        return store_alerts(self.state, batch, received_at,
                            then=lambda s, done: self.playbooks_intake(s, done, batch))

    def alerts_import(self, files: Iterable[Path], fmt: str | None = None,
                      mapping: Path | None = None) -> IntakeResult:
        """Read alert files (a vendor format, recognized or `fmt`; or any JSON through an
        alert `mapping`) and store them as one batch: any bad alert stores nothing."""
        from datetime import UTC

        from watchkeeper.cases.intake import load_alert_mapping, read_alert_files
        received = datetime.now(UTC)
        spec = load_alert_mapping(mapping) if mapping is not None else None
        alerts = read_alert_files(files, fmt=fmt, mapping=spec, received=received)
        return self.alerts_ingest(alerts, received)

    def alerts_list(self, query: AlertQuery, *, person: str | None = None) -> AlertPage:
        """A page of the queue, people shown as pseudonyms; `person` (a pseudonym) keeps
        the alerts about that person."""
        from dataclasses import replace

        from watchkeeper.cases.pseudonyms import pseudonymize_page, subjects_for
        from watchkeeper.cases.queue import list_alerts
        pz = self.pseudonymizer()
        with self.state.session() as session:
            if person is not None:
                query = replace(query, subjects=subjects_for(session, pz, person))
            return pseudonymize_page(pz, list_alerts(session, query))

    def alert(self, alert_id: int) -> AlertDetail:
        """One alert in full (people as pseudonyms): its findings and the events behind
        them, its changes, group and suppression."""
        from datetime import UTC

        from watchkeeper.cases.pseudonyms import pseudonymize_detail
        from watchkeeper.cases.queue import show_alert
        with self.state.session() as session:
            detail = show_alert(session, alert_id, datetime.now(UTC))
        return pseudonymize_detail(self.pseudonymizer(), detail)

    def grouping_rule_add(self, name: str, keys: Iterable[str],
                          window_seconds: int) -> GroupingRuleInfo:
        """Add a grouping rule; it applies to alerts received from now on."""
        from watchkeeper.cases.grouping import add_rule
        with self.state.session() as session:
            return add_rule(session, name, list(keys), window_seconds)

    def grouping_rules(self) -> tuple[GroupingRuleInfo, ...]:
        from watchkeeper.cases.grouping import list_rules
        with self.state.session() as session:
            return list_rules(session)

    def grouping_rule_remove(self, name: str) -> GroupingRuleInfo:
        """Remove a grouping rule; its groups stay."""
        from watchkeeper.cases.grouping import remove_rule
        with self.state.session() as session:
            return remove_rule(session, name)

    def suppress(self, *, reason: str, owner: str, expires: date, rule: str | None = None,
                 person: str | None = None, host: str | None = None,
                 source: str | None = None) -> SuppressionInfo:
        """Suppress matching alerts received until the end of `expires` (UTC); `person`
        is a pseudonym."""
        from datetime import UTC, time, timedelta

        from watchkeeper.cases.pseudonyms import pseudonymize_suppression, subject_of
        from watchkeeper.cases.suppression import add_suppression
        pz = self.pseudonymizer()
        ends = datetime.combine(expires + timedelta(days=1), time(), UTC)
        with self.state.session() as session:
            subject = subject_of(session, pz, person) if person is not None else None
            info = add_suppression(session, {"rule": rule, "subject": subject, "host": host,
                                             "source": source},
                                   reason=reason, owner=owner, expires_at=ends,
                                   now=datetime.now(UTC))
        return pseudonymize_suppression(pz, info)

    def suppressions(self, *, ended: bool = False) -> tuple[SuppressionInfo, ...]:
        """Suppressions in force (`ended`: also expired and lifted ones)."""
        from datetime import UTC

        from watchkeeper.cases.pseudonyms import pseudonymize_suppression
        from watchkeeper.cases.suppression import list_suppressions
        with self.state.session() as session:
            found = list_suppressions(session, datetime.now(UTC), ended=ended)
        pz = self.pseudonymizer()
        return tuple(pseudonymize_suppression(pz, s) for s in found)

    def lift_suppression(self, ident: int) -> SuppressionInfo:
        """End a suppression now; the alerts it marked stay marked."""
        from datetime import UTC

        from watchkeeper.cases.pseudonyms import pseudonymize_suppression
        from watchkeeper.cases.suppression import lift_suppression
        with self.state.session() as session:
            info = lift_suppression(session, ident, datetime.now(UTC))
        return pseudonymize_suppression(self.pseudonymizer(), info)

    # -- the alert routes of the service ---------------------------------------------------

    def alerts_receive_many(self, posts: Sequence[PostedAlerts]
                            ) -> list[IntakeResult | WatchkeeperError]:
        """Normalize the payloads of requests that arrived together (each one alert or a
        batch, a vendor format recognized or its `fmt`; `received` dates a Splunk result
        without a time) and store them in one transaction (a group commit); what each
        request did, or why it stored nothing (`IntakeError` naming the field). A request
        with a bad alert, or a batch the store refuses, has every request stored again on
        its own, so one sender's bad alert never costs another's."""
        from functools import partial

        from watchkeeper.cases.alerts import store_alerts, store_requests
        from watchkeeper.cases.intake import parse_payload
        answers: list[IntakeResult | WatchkeeperError | None] = []
        parsed: list[tuple[list[AlertIn], datetime]] = []
        for post in posts:
            try:
                alerts = parse_payload(post.body, fmt=post.fmt, received=post.received)
            except WatchkeeperError as exc:
                answers.append(exc)
                continue
            answers.append(None)
            parsed.append((list(alerts), post.received))

        def queue_runs(session: Session, done: Sequence[IntakeResult],
                       batches: Sequence[Sequence[AlertIn]]) -> None:
            """Playbook runs for the new alerts, in the transaction that stored them."""
            for one, batch in zip(done, batches, strict=True):
                self.playbooks_intake(session, one, batch)

        try:
            stored: list[IntakeResult | WatchkeeperError] = list(store_requests(
                self.state, parsed, then=partial(queue_runs, batches=[a for a, _ in parsed])))
        except WatchkeeperError:
            stored = []
            for alerts, received in parsed:
                try:
                    stored.append(store_alerts(
                        self.state, alerts, received,
                        then=partial(self.playbooks_intake, alerts=alerts)))
                except WatchkeeperError as exc:
                    stored.append(exc)
        it = iter(stored)
        return [next(it) if answer is None else answer for answer in answers]

    def alert_read(self, viewer: str, alert_id: int, seen: Scope) -> AlertDetail:
        """One alert in full (pseudonymized) if its region is in `seen`, the read
        audited (``alert.read``) before it is returned; outside `seen` it reads as
        absent (`NotFoundError`, the same line as for no such alert)."""
        from watchkeeper.errors import NotFoundError
        detail = self.alert(alert_id)
        if not seen.allows(detail.region):
            raise NotFoundError(f"alert {alert_id}: no such alert (see `alerts list`)")
        self.audited(viewer, "alert.read", "alert", str(alert_id))
        return detail
