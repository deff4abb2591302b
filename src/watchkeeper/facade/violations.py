"""The workspace's violation jobs: check data-store access events against the allowing
windows (grants and allowing decisions), regions, volumes, leavers and data movement,
store what is found as OCSF Data Security Findings, and list them (docs/access.md,
"Violations")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

from watchkeeper.facade.access import AccessJobs

if TYPE_CHECKING:
    import pyarrow as pa

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
