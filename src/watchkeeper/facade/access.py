"""The workspace's access-governance jobs: `authorize` (and its decision log), requests,
approvals, grants and their end (docs/access.md).

Principals are the lake's people as of the decision day and resources the data-asset
catalogue (`access.decide.Directory`, built once per lake commit and day). A person's
risk level is read here from the stored risk history (their score on their last
analysed day up to the decision's, against ``[access] elevated_risk``) and handed to
`access` as a plain value, so `access` never imports `risk`. Request, approval, denial
and revocation are audited in the change's own transaction, as the account or OS user
that acted, naming the employee they acted as.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from watchkeeper.facade.state import StateJobs

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from watchkeeper.access.decide import Decision, Directory, Query
    from watchkeeper.access.decisions import DecisionRow, DecisionWriter
    from watchkeeper.access.grants import GrantCache, GrantInfo, GrantWindow
    from watchkeeper.access.policy import PolicyBundle
    from watchkeeper.access.requests import RequestInfo, RequestNew
    from watchkeeper.access.schema import Employee
    from watchkeeper.security.changes import ChangeAudit

_made = threading.Lock()


@dataclass(frozen=True)
class AccessExpiry:
    """What the expiry job did to grants: revoked because of HR, and ended (expired or
    revoked) grants whose end it recorded in the audit log."""

    hr_revoked: tuple[int, ...]
    ended: tuple[int, ...]

    def summary(self) -> str:
        return (f"{len(self.hr_revoked)} grant(s) revoked on HR's word; "
                f"{len(self.ended)} ended grant(s) audited")


class AccessJobs(StateJobs):
    """Authorization, the decision log, access requests and grants."""

    _access_bundle: PolicyBundle | None = None
    _access_directory: tuple[tuple[object, date], Directory] | None = None
    _access_risk: tuple[tuple[object, date], dict[str, str]] | None = None
    _access_grants: GrantCache | None = None
    _access_writer: DecisionWriter | None = None

    # -- what decisions read ------------------------------------------------------------

    def access_policies(self) -> PolicyBundle:
        """The Cedar policies (``[access] policies``, else the shipped ones), validated
        once per workspace object; a broken one is a `PolicyError` naming file and line."""
        with _made:
            if self._access_bundle is None:
                from watchkeeper.access.policy import load
                folder = self.settings.access.policies
                if folder is not None and not folder.is_absolute():
                    folder = self.root / folder
                self._access_bundle = load(folder)
            return self._access_bundle

    def access_directory(self, day: date) -> Directory:
        """Employees as of `day` and the data-asset catalogue (rebuilt after a commit:
        the manifest's stamp is one ``stat`` per call)."""
        from watchkeeper.access.decide import Directory, assets_of, employees_on
        seq = self.lake.manifest_stamp()
        with _made:
            cached = self._access_directory
            if cached is not None and cached[0] == (seq, day):
                return cached[1]
        people = self.lake.table("people").to_pyarrow().to_pylist()
        assets = self.lake.table("data_assets").to_pyarrow().to_pylist()
        directory = Directory(day, employees_on(people, day), assets_of(assets))
        with _made:
            self._access_directory = ((seq, day), directory)
        return directory

    def access_risk_levels(self, day: date) -> dict[str, str]:
        """Each analysed person's risk level on `day`: ``elevated`` when their score on
        their last analysed day up to `day` reaches ``[access] elevated_risk``, else
        ``normal`` (people never analysed: absent, so ``unknown``)."""
        run = self._analysis_stamp()
        with _made:
            cached = self._access_risk
            if cached is not None and cached[0] == (run, day):
                return cached[1]
        meta = self.analysis.meta()
        levels: dict[str, str] = {}
        history = self.analysis.optional("risk_history") if meta else None
        if history is not None:
            last: dict[str, tuple[date, float]] = {}
            for user, when, score in zip(history["user"].to_pylist(),
                                         history["day"].to_pylist(),
                                         history["score"].to_pylist(), strict=True):
                if when <= day and (user not in last or when >= last[user][0]):
                    last[user] = (when, score)
            threshold = self.settings.access.elevated_risk
            levels = {u: "elevated" if s >= threshold else "normal"
                      for u, (_, s) in last.items()}
        with _made:
            self._access_risk = ((run, day), levels)
        return levels

    def _analysis_stamp(self) -> object:
        try:
            st = self.analysis.pointer.stat()
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def access_warm(self, now: datetime | None = None) -> bool:
        """Whether a decision at `now` with ``wait=False`` would read nothing but this
        workspace's caches (policies, directory and risk levels of the day, grants, room
        in the decision writer's queue): the service then answers on its event loop
        instead of a worker thread. Two ``stat`` calls."""
        day = (now or self.clock.now()).date()
        directory, risk, cache = self._access_directory, self._access_risk, \
            self._access_grants
        writer = self._access_writer
        return (self._access_bundle is not None and directory is not None
                and directory[0] == (self.lake.manifest_stamp(), day)
                and risk is not None and risk[0] == (self._analysis_stamp(), day)
                and cache is not None and cache.fresh(now or self.clock.now())
                and (writer is None or writer.pending < writer.max_pending // 2))

    # -- decisions ------------------------------------------------------------------------

    def authorize(self, principal: str, action: str, resource: str, *, purpose: str = "",
                  ticket: str = "", caller: str, now: datetime | None = None) -> Decision:
        """Allow or deny one access, with the policies that decided and why; logged."""
        from watchkeeper.access.decide import Query
        return self.authorize_batch([Query(principal, action, resource, purpose, ticket)],
                                    caller=caller, now=now)[0]

    def authorize_batch(self, queries: Sequence[Query], *, caller: str,
                        now: datetime | None = None, wait: bool = True
                        ) -> tuple[Decision, ...]:
        """Answer `queries` in one Cedar batch and log every answer in one insert: in
        the answer's own transaction, or (`wait` false: the service) queued to the
        decision writer, which writes it within `DecisionWriter.interval`. The grants
        in force come from the workspace's `GrantCache`."""
        from watchkeeper.access.decide import check_action, decide
        from watchkeeper.access.decisions import record
        from watchkeeper.access.grants import load_open
        from watchkeeper.access.purposes import check_purpose
        purposes = self.settings.access.purposes
        for q in queries:
            check_action(q.action)
            if q.purpose:
                check_purpose(q.purpose, purposes)
        when = now or self.clock.now()
        bundle = self.access_policies()
        directory = self.access_directory(when.date())
        levels = self.access_risk_levels(when.date())
        principals = {q.principal for q in queries}
        cache = self._grant_cache()
        if not wait:
            grants = cache.in_force(self._load_open_grants, principals, when)
            decisions = decide(bundle, directory, queries, when, grants,
                               lambda p: levels.get(p, "unknown"))
            self._decision_writer().submit(decisions, caller)
            return tuple(decisions)
        with self.state.writing() as session:
            grants = cache.in_force(lambda at: load_open(session, at), principals, when)
            decisions = decide(bundle, directory, queries, when, grants,
                               lambda p: levels.get(p, "unknown"))
            record(session, decisions, caller)
        return tuple(decisions)

    def _grant_cache(self) -> GrantCache:
        with _made:
            if self._access_grants is None:
                from watchkeeper.access.grants import GrantCache
                self._access_grants = GrantCache()
            return self._access_grants

    def _load_open_grants(self, now: datetime) -> list[tuple[object, ...]]:
        from watchkeeper.access.grants import load_open
        with self.state.session() as session:
            return load_open(session, now)

    def _decision_writer(self) -> DecisionWriter:
        with _made:
            if self._access_writer is None:
                from watchkeeper.access.decisions import DecisionWriter
                self._access_writer = DecisionWriter(self._write_decisions)
            return self._access_writer

    def _write_decisions(self, queued: Sequence[tuple[Decision, str]]) -> None:
        from watchkeeper.access.decisions import record_many
        with self.state.writing() as session:
            record_many(session, queued)

    def access_log_flush(self) -> None:
        """Write the decisions the decision writer holds (reads of the log do first)."""
        writer = self._access_writer
        if writer is not None:
            writer.flush()

    def close_state(self) -> None:
        """Write the queued decisions, then close the store."""
        with _made:
            writer, self._access_writer = self._access_writer, None
        if writer is not None:
            writer.close()
        super().close_state()

    def access_decisions(self, *, principal: str | None = None,
                         resource: str | None = None, since: datetime | None = None,
                         limit: int = 100) -> tuple[DecisionRow, ...]:
        """The decision log, newest first (`limit` 0: all)."""
        from watchkeeper.access.decisions import list_decisions
        self.access_log_flush()
        with self.state.session() as session:
            return list_decisions(session, principal=principal, resource=resource,
                                  since=since, limit=limit)

    def access_decision_rows(self, since: datetime | None = None,
                             until: datetime | None = None) -> list[DecisionRow]:
        """Every logged decision from `since` to before `until`, oldest first."""
        from watchkeeper.access.decisions import decision_rows
        self.access_log_flush()
        with self.state.session() as session:
            return list(decision_rows(session, since, until))

    def access_grant_windows(self, since: datetime | None = None,
                             until: datetime | None = None) -> tuple[GrantWindow, ...]:
        """Every grant overlapping `since` to `until`: principal, action, resource,
        purpose, start, end (expiry or revocation) and whether it was revoked."""
        from watchkeeper.access.grants import grant_windows
        with self.state.session() as session:
            return grant_windows(session, since, until)

    # -- requests and grants ------------------------------------------------------------

    def access_request(self, new: RequestNew, *, requester: str, actor: str,
                       now: datetime | None = None) -> RequestInfo:
        """File a request (`requester`: the employee asking; `actor`: the account or OS
        user). Audited ``access.request``."""
        from watchkeeper.access.decide import check_action
        from watchkeeper.access.purposes import check_purpose
        from watchkeeper.access.requests import create, needs
        from watchkeeper.errors import GrantError
        check_action(new.action)
        check_purpose(new.purpose, self.settings.access.purposes)
        when = now or self.clock.now()
        directory = self.access_directory(when.date())
        person = self._employee(directory, new.principal, "for")
        self._employee(directory, requester, "requester")
        asset = directory.assets.get(new.resource)
        if asset is None:
            raise GrantError("resource", f"{new.resource!r}: not in the data-asset "
                             "catalogue")
        need = needs(person, asset, new.action,
                     self.access_risk_levels(when.date()).get(new.principal, "unknown"))
        with self.state.session() as session:
            audit = self._access_audit(actor, session)
            made = create(session, new, requester, actor, need, when)
            audit.record(session, "access.request", "access_request", str(made.id),
                         self._detail(made, requester))
        return made

    def access_requests(self, status: str | None = "pending") -> tuple[RequestInfo, ...]:
        """Requests with `status` (None: all), oldest first."""
        from watchkeeper.access.requests import list_requests
        with self.state.session() as session:
            return list_requests(session, status=status)

    def access_approve(self, ident: int, *, approver: str, actor: str,
                       now: datetime | None = None) -> RequestInfo:
        """`approver` (an employee, not the requester nor the person it is for) approves;
        the last approval needed makes the grant. Audited ``access.approve`` (and
        ``access.grant``)."""
        from watchkeeper.access.grants import changed
        from watchkeeper.access.requests import approve, get
        when = now or self.clock.now()
        directory = self.access_directory(when.date())
        self._employee(directory, approver, "approver")
        with self.state.session() as session:
            audit = self._access_audit(actor, session)
            person = directory.employees.get(get(session, ident).principal)
            done = approve(session, ident, approver, actor,
                           person.region if person is not None else None, when)
            audit.record(session, "access.approve", "access_request", str(ident),
                         self._detail(done, approver))
            if done.grant_id is not None:
                audit.record(session, "access.grant", "access_grant", str(done.grant_id),
                             {"request": ident, "approvals": len(done.approvers),
                              "duration_seconds": done.duration_seconds})
        if done.grant_id is not None:
            changed()   # committed: decisions read the new grant
        return done

    def access_deny(self, ident: int, *, approver: str, reason: str, actor: str,
                    now: datetime | None = None) -> RequestInfo:
        """`approver` denies a pending request, saying why. Audited ``access.deny``."""
        from watchkeeper.access.requests import deny
        when = now or self.clock.now()
        self._employee(self.access_directory(when.date()), approver, "approver")
        with self.state.session() as session:
            audit = self._access_audit(actor, session)
            done = deny(session, ident, approver, reason, when)
            audit.record(session, "access.deny", "access_request", str(ident),
                         self._detail(done, approver))
        return done

    def access_revoke(self, grant_id: int, *, actor: str, reason: str = "revoked on demand",
                      now: datetime | None = None) -> GrantInfo:
        """End a grant now. Audited ``access.revoke``."""
        from watchkeeper.access.grants import changed, revoke
        when = now or self.clock.now()
        with self.state.session() as session:
            audit = self._access_audit(actor, session)
            done = revoke(session, grant_id, actor, reason, when)
            audit.record(session, "access.revoke", "access_grant", str(grant_id),
                         {"reason": reason})
        changed()
        return done

    def access_grants(self, *, principal: str | None = None, ended: bool = False,
                      now: datetime | None = None) -> tuple[GrantInfo, ...]:
        """Grants in force (`ended`: also expired and revoked ones), oldest first."""
        from watchkeeper.access.grants import list_grants
        with self.state.session() as session:
            return list_grants(session, now or self.clock.now(), principal=principal,
                               ended=ended)

    def access_expire(self, now: datetime | None = None) -> AccessExpiry:
        """The expiry job's part: revoke grants of people HR shows left or moved region,
        then audit every grant that ended (``access.grant.ended``, as ``scheduler``)."""
        from watchkeeper.access.grants import changed, ended_unaudited, hr_revoke
        when = now or self.clock.now()
        employees = self.access_directory(when.date()).employees
        with self.state.session() as session:
            audit = self._access_audit("scheduler", session)
            revoked = hr_revoke(session, employees, when)
            for g in revoked:
                audit.record(session, "access.revoke", "access_grant", str(g.id),
                             {"reason": g.revoke_reason, "by": "hr"})
            ended = ended_unaudited(session, when)
            for g in ended:
                audit.record(session, "access.grant.ended", "access_grant", str(g.id),
                             {"state": g.state,
                              "expires_at": g.expires_at.isoformat(timespec="seconds")})
        if revoked:
            changed()
        return AccessExpiry(tuple(g.id for g in revoked), tuple(g.id for g in ended))

    # -- helpers --------------------------------------------------------------------------

    def _access_audit(self, actor: str, session: Session) -> ChangeAudit:
        audit = self.change_audit(actor)
        audit.hold(session)
        return audit

    @staticmethod
    def _employee(directory: Directory, user: str, field: str) -> Employee:
        from watchkeeper.errors import GrantError
        person = directory.employees.get(user)
        if person is None:
            raise GrantError(field, f"{user!r}: nobody in the people history has this id "
                             f"on {directory.day}")
        if person.status == "left":
            raise GrantError(field, f"{user!r} has left (HR end date)")
        return person

    def _detail(self, r: RequestInfo, employee: str) -> dict[str, str | int | None]:
        names = self.pseudonymizer()
        return {"as": names.pseudonym(employee), "for": names.pseudonym(r.principal),
                "action": r.action, "resource": r.resource, "purpose": r.purpose,
                "status": r.status}
