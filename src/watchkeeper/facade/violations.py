"""The workspace's violation jobs: check data-store access events against the allowing
windows (grants and allowing decisions), regions, volumes, leavers and data movement,
store what is found as OCSF Data Security Findings, and list them (docs/access.md,
"Violations")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

from watchkeeper.errors import WatchkeeperError
from watchkeeper.facade.access import AccessJobs

if TYPE_CHECKING:
    import pyarrow as pa

    from watchkeeper.access.violations_resolve import Resolution
    from watchkeeper.access.violations_store import Violation


@dataclass(frozen=True)
class ViolationRun:
    """What a check found (all of it), how many were new, and its commit (None: a dry
    run, or nothing new). `grants_checked`: allowing windows were given."""

    found: tuple[Violation, ...]
    counts: dict[str, int]
    stored: int
    commit: int | None
    grants_checked: bool
    dry_run: bool = False


@dataclass(frozen=True)
class ViolationView:
    """A stored violation and its resolution (None: open)."""

    violation: Violation
    resolution: Resolution | None

    @property
    def state(self) -> str:
        return "open" if self.resolution is None else "resolved"


@dataclass(frozen=True)
class DataAccess:
    """One data-store event behind a violation."""

    event_id: str
    time: datetime
    operation: str
    dataset: str
    data_region: str | None
    records: int
    ticket: str | None


@dataclass(frozen=True)
class ViolationTrace:
    """A violation end to end: its events, the finding, its alert in the queue (once a
    sync queued it), the person's risk the day before and on its day (None: not
    analysed), the alert threshold, and the risk signals the violation gave that day."""

    view: ViolationView
    events: tuple[DataAccess, ...]
    alert: tuple[int, str] | None   # its alert in the queue: id and status
    risk_before: float | None
    risk_on: float | None
    threshold: float | None
    signals: tuple[str, ...]


# How long after an allowing decision the access it allowed may show in the store's log:
# the platform asks just before it serves, and its log may stamp the access a little later.
DECISION_WINDOW = timedelta(minutes=15)


class ViolationJobs(AccessJobs):
    """Violation detection and listing."""

    def access_windows(self, first: date | None = None,
                       last: date | None = None) -> pa.Table | None:
        """The allowing windows (`watchkeeper.access.violations.WINDOW_SCHEMA`) of days
        `first` to `last` (None: open): one row per grant (start to expiry or
        revocation) and per allowing decision (its time to `DECISION_WINDOW` after),
        from the state store; None when there are none (the grant checks are skipped)."""
        import pyarrow as pa

        from watchkeeper.access.violations import WINDOW_SCHEMA
        since = datetime.combine(first, time(), UTC) if first is not None else None
        until = datetime.combine(last + timedelta(days=1), time(), UTC) \
            if last is not None else None
        rows: list[dict[str, object]] = [
            {"principal": w.principal, "action": w.action, "resource": w.resource,
             "start": w.start, "end": w.end, "source": "grant"}
            for w in self.access_grant_windows(since, until)]
        rows += [{"principal": d.principal, "action": d.action, "resource": d.resource,
                  "start": d.at, "end": d.at + DECISION_WINDOW, "source": "decision"}
                 for d in self.access_decision_rows(
                     since - DECISION_WINDOW if since is not None else None, until)
                 if d.decision == "allow"]
        # no grant and no allowing decision at all: nothing asks the decision service
        # yet, so "no allowing window" would flag every access; the grant checks wait
        return pa.Table.from_pylist(rows, schema=WINDOW_SCHEMA) if rows else None

    def violations_detect(self, *, first: date | None = None, last: date | None = None,
                          dry_run: bool = False, wait: float = 0.0,
                          windows: pa.Table | None = None) -> ViolationRun:
        """Check the data-store events of days `first` to `last` (None: all) and store
        the violations in one commit (a dry run stores nothing). `windows` overrides
        `access_windows()`."""
        from collections import Counter

        from watchkeeper.access import violations_store as store
        from watchkeeper.access.violations import KINDS, detect
        allowing = windows if windows is not None else self.access_windows(first, last)
        rows = detect(self.lake, allowing, first=first, last=last)
        found = store.from_rows(rows)
        kinds = Counter(v.kind for v in found)
        counts = {k: kinds.get(k, 0) for k in KINDS}
        if dry_run or not found:
            return ViolationRun(tuple(found), counts, 0, None, allowing is not None, dry_run)
        stored, commit = store.save(self.lake, found, {
            "first": first.isoformat() if first else None,
            "last": last.isoformat() if last else None, "found": counts}, wait)
        return ViolationRun(tuple(found), counts, stored, commit, allowing is not None)

    def violations(self, *, kind: str | None = None, user: str | None = None,
                   since: date | None = None, limit: int = 100) -> tuple[Violation, ...]:
        """Stored violations, newest first (``limit`` 0: all)."""
        from watchkeeper.access import violations_store as store
        from watchkeeper.access.violations import KINDS
        from watchkeeper.errors import NotFoundError
        if kind is not None and kind not in KINDS:
            raise NotFoundError(f"violation kind {kind!r}: not one of {', '.join(KINDS)}")
        return tuple(store.stored(self.lake, kind=kind, user=user, since=since,
                                  limit=limit))

    # -- resolutions ----------------------------------------------------------------------

    def violations_view(self, *, kind: str | None = None, user: str | None = None,
                        since: date | None = None, status: str | None = None,
                        limit: int = 100) -> tuple[ViolationView, ...]:
        """Stored violations with their resolution, newest first; `status` ``open`` or
        ``resolved`` keeps those (``limit`` 0: all)."""
        from watchkeeper.access.violations_resolve import resolutions
        from watchkeeper.errors import NotFoundError
        if status not in (None, "open", "resolved"):
            raise NotFoundError(f"violation status {status!r}: not open or resolved")
        found = self.violations(kind=kind, user=user, since=since,
                                limit=0 if status else limit)
        with self.state.session() as session:
            known = resolutions(session, [v.id for v in found])
        out = [ViolationView(v, known.get(v.id)) for v in found]
        if status is not None:
            out = [v for v in out if v.state == status]
        return tuple(out[:limit] if limit else out)

    def violation(self, ident: str) -> ViolationView:
        """One stored violation with its resolution; `NotFoundError` if none has `ident`."""
        from watchkeeper.access import violations_store as store
        from watchkeeper.access.violations_resolve import resolutions
        from watchkeeper.errors import NotFoundError
        found = store.stored(self.lake, ident=ident, limit=1)
        if not found:
            raise NotFoundError(f"violation {ident}: no such violation (see `access "
                                "violations`)")
        with self.state.session() as session:
            return ViolationView(found[0], resolutions(session, [ident]).get(ident))

    def violation_resolve(self, ident: str, resolution: str, note: str, *, actor: str,
                          now: datetime | None = None) -> ViolationView:
        """Record how violation `ident` was resolved (once). Audited
        ``access.violation.resolve`` in the same transaction."""
        from watchkeeper.access.violations_resolve import check_resolution, resolve
        check_resolution(resolution)
        found = self.violation(ident).violation
        with self.state.session() as session:
            audit = self.change_audit(actor)
            audit.hold(session)
            done = resolve(session, ident, resolution, note, actor,
                           now or self.clock.now())
            audit.record(session, "access.violation.resolve", "access_violation", ident,
                         {"kind": found.kind, "resolution": resolution})
        return ViolationView(found, done)

    def violation_trace(self, ident: str) -> ViolationTrace:
        """A violation end to end: the data-store events behind it, the finding, and the
        person's risk the day before and on its day, with what the violation's signal
        adds (none until `analyze` has run over its day)."""
        from watchkeeper.access.violations import events
        from watchkeeper.access.violations_store import RULE_PREFIX
        view = self.violation(ident)
        v = view.violation
        t = events(self.lake, v.day, v.day)
        rows = t.filter(t.event_id.isin(list(v.event_refs))).order_by("time") \
            .to_pyarrow().to_pylist() if v.event_refs else []
        accesses = tuple(DataAccess(r["event_id"], r["time"], r["activity"] or "",
                                    r["dataset"] or "", r["data_region"],
                                    int(r["record_count"] or 0), r["ticket"])
                         for r in rows)
        before = on = None
        signals: tuple[str, ...] = ()
        rule = f"{RULE_PREFIX}{v.kind}"
        if self.analysis.meta():
            try:
                on = self.risk_explain(v.user, v.day)
                before = self.risk_explain(v.user, v.day - timedelta(days=1))
            except WatchkeeperError:
                pass   # the day (or the one before) was not analysed
            if on is not None:
                signals = tuple(f"+{e.weight:.2f} {e.reason}" for e in on.events
                                if e.day == v.day and f" {rule} " in f" {e.reason} ")
        return ViolationTrace(view, accesses, self._violation_alert(ident),
                              before.score if before is not None else None,
                              on.score if on is not None else None,
                              on.threshold if on is not None else None, signals)

    def _violation_alert(self, ident: str) -> tuple[int, str] | None:
        from sqlalchemy import select

        from watchkeeper.cases.intake.own import DETECT
        from watchkeeper.store.models import Alert
        with self.state.session() as session:
            row = session.execute(select(Alert.id, Alert.status).where(
                Alert.source == DETECT, Alert.source_ref == ident)).first()
        return (row[0], row[1]) if row is not None else None
