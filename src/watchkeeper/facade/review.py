"""The workspace's entitlement reviews and transparency report (docs/access.md,
"Entitlement review" and "Transparency report").

Entitlements are read as of a moment: the people and their risk levels of that day,
the Cedar policies, the grants in force. A campaign stores that snapshot, and each
reviewer's keep or revoke is audited in its own transaction (``access.review.*``, and
``access.revoke`` for the grant a revoke ends), naming the employee who decided by
pseudonym as the other access audit entries do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING

from watchkeeper.facade.access import AccessJobs

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from watchkeeper.access.report import TransparencyReport
    from watchkeeper.access.review import Entitlement, Reach, UnusedGrant
    from watchkeeper.access.review_store import ReviewDetail, ReviewItem, ReviewSummary
    from watchkeeper.ingest import ProgressFn
    from watchkeeper.ops.period import Period
    from watchkeeper.security.changes import ChangeAudit

SCOPES = ("all", "grants")
VENDOR_SCRIPTS = ("vega.min.js", "vega-lite.min.js", "vega-embed.min.js")


@dataclass(frozen=True)
class Entitlements:
    """Who can reach which user data as of `at`: every entitlement (policy or grant),
    each person's reach against their peers', and the grants never used."""

    at: datetime
    entitlements: tuple[Entitlement, ...]
    reach: tuple[Reach, ...]
    unused: tuple[UnusedGrant, ...]


class ReviewJobs(AccessJobs):
    """Entitlements, review campaigns, the transparency report."""

    # -- entitlements ---------------------------------------------------------------------

    def access_entitlements(
        self,
        *,
        now: datetime | None = None,
        region: str | None = None,
        progress: ProgressFn | None = None,
    ) -> Entitlements:
        """Every entitlement as of `now` (of people in `region` when given), everyone's
        reach against their peers' (peers: the whole workspace), the grants in force
        never used; `progress` hears of each of the four steps."""
        from watchkeeper.access.grants import list_grants
        from watchkeeper.access.review import (
            grant_entitlements,
            policy_entitlements,
            reach,
        )

        step = progress or (lambda done, total, label: None)
        when = now or self.clock.now()
        step(0, 4, "asking the policies")
        directory = self.access_directory(when.date())
        levels = self.access_risk_levels(when.date())
        found = policy_entitlements(
            self.access_policies(),
            directory,
            when,
            lambda p: levels.get(p, "unknown"),
            tuple(self.settings.access.purposes),
        )
        step(1, 4, "reading the grants")
        with self.state.session() as session:
            granted = list_grants(session, when)
        found += grant_entitlements(directory, granted)
        step(2, 4, "reach against peers")
        everyone = reach(directory, found)
        step(3, 4, "unused grants")
        unused = self.access_unused_grants(active_at=when)
        step(4, 4, "done")
        if region is not None:
            wanted = region.upper()
            found = [e for e in found if e.principal_region.upper() == wanted]
            everyone = [r for r in everyone if r.region.upper() == wanted]
        return Entitlements(when, tuple(found), tuple(everyone), unused)

    def access_unused_grants(
        self, period: Period | None = None, *, active_at: datetime | None = None
    ) -> tuple[UnusedGrant, ...]:
        """Grants overlapping `period` (None: all; `active_at`: those in force then)
        under which no allowing decision was logged and no data-store event of the
        person's matches their action and asset inside their window."""
        from watchkeeper.access.grants import grant_windows
        from watchkeeper.access.review import ACTIVITIES, unused_grants
        from watchkeeper.access.review_store import used_grant_ids

        since, until = (period.start, period.end) if period is not None else (None, None)
        with self.state.session() as session:
            windows = grant_windows(session, since, until)
            if active_at is not None:
                windows = tuple(w for w in windows if w.start <= active_at < w.end)
            decided = used_grant_ids(session, [w.grant_id for w in windows])
        if not windows:
            return ()
        ev = self.lake.table("datastore")
        acts = sorted({a for v in ACTIVITIES.values() for a in v})
        ev = ev.filter(
            ev.user.isin(sorted({w.principal for w in windows})),
            ev.dataset.isin(sorted({w.resource for w in windows})),
            ev.activity.isin(acts),
            ev.time >= min(w.start for w in windows),
            ev.time < max(w.end for w in windows),
        )
        rows = ev.select("user", "activity", "dataset", "time").to_pyarrow()
        events = zip(
            *(rows[c].to_pylist() for c in ("user", "activity", "dataset", "time")), strict=True
        )
        return tuple(unused_grants(windows, decided, events))

    # -- campaigns ------------------------------------------------------------------------

    def access_review_start(
        self,
        name: str,
        *,
        actor: str,
        scope: str = "all",
        region: str | None = None,
        now: datetime | None = None,
        progress: ProgressFn | None = None,
    ) -> ReviewSummary:
        """Snapshot the entitlements (`scope` ``grants``: only grants') of people in
        `region` (None: all) into a new campaign. Audited ``access.review.start``."""
        from watchkeeper.access.review_store import start
        from watchkeeper.errors import GrantError

        if scope not in SCOPES:
            raise GrantError("scope", f"{scope!r}: expected all or grants")
        when = now or self.clock.now()
        view = self.access_entitlements(now=when, region=region, progress=progress)
        items = [e for e in view.entitlements if scope == "all" or e.via == "grant"]
        text = scope + (f" region={region.upper()}" if region else "")
        with self.state.session() as session:
            audit = self._access_audit(actor, session)
            made = start(
                session,
                name,
                text,
                items,
                {u.grant_id for u in view.unused},
                {r.principal for r in view.reach if r.outlier},
                actor,
                when,
            )
            audit.record(
                session,
                "access.review.start",
                "access_review",
                str(made.id),
                {"name": made.name, "scope": made.scope, "items": made.items},
            )
        return made

    def access_reviews(self, status: str | None = None) -> tuple[ReviewSummary, ...]:
        """Campaigns (`status` open or closed; None: all), oldest first."""
        from watchkeeper.access.review_store import list_reviews

        with self.state.session() as session:
            return list_reviews(session, status)

    def access_review(self, review_id: int, *, pending: bool = False) -> ReviewDetail:
        """One campaign and its items (`pending`: only those without an outcome)."""
        from watchkeeper.access.review_store import show

        with self.state.session() as session:
            return show(session, review_id, pending=pending)

    def access_review_decide(
        self,
        review_id: int,
        item_id: int,
        outcome: str,
        *,
        reviewer: str,
        actor: str,
        reason: str = "",
        now: datetime | None = None,
    ) -> ReviewItem:
        """`reviewer` (an employee, not the one the entitlement is for) keeps or revokes
        one item; revoking a grant's ends the grant. Audited ``access.review.decide``
        (and ``access.revoke``)."""
        from watchkeeper.access.review_store import decide

        when = now or self.clock.now()
        self._employee(self.access_directory(when.date()), reviewer, "reviewer")
        with self.state.session() as session:
            audit = self._access_audit(actor, session)
            item, revoked = decide(
                session, review_id, item_id, outcome, reviewer, actor, reason, when
            )
            self._audit_decision(session, audit, review_id, item)
            if revoked is not None:
                audit.record(
                    session,
                    "access.revoke",
                    "access_grant",
                    str(revoked.id),
                    {"reason": revoked.revoke_reason, "review": review_id},
                )
        return item

    def access_review_close(
        self, review_id: int, *, actor: str, now: datetime | None = None
    ) -> ReviewSummary:
        """Close a campaign whose every item has an outcome. Audited
        ``access.review.close``."""
        from watchkeeper.access.review_store import close

        with self.state.session() as session:
            audit = self._access_audit(actor, session)
            done = close(session, review_id, actor, now or self.clock.now())
            audit.record(
                session,
                "access.review.close",
                "access_review",
                str(review_id),
                {"kept": done.kept, "revoked": done.revoked},
            )
        return done

    def _audit_decision(
        self, session: Session, audit: ChangeAudit, review_id: int, item: ReviewItem
    ) -> None:
        names = self.pseudonymizer()
        audit.record(
            session,
            "access.review.decide",
            "access_review_item",
            str(item.id),
            {
                "review": review_id,
                "as": names.pseudonym(item.reviewer or ""),
                "for": names.pseudonym(item.principal),
                "action": item.action,
                "resource": item.resource,
                "via": item.via,
                "outcome": item.outcome,
                "effect": item.effect,
            },
        )

    # -- transparency report -------------------------------------------------------------

    def access_report(self, period: Period, *, now: datetime | None = None) -> TransparencyReport:
        """Counts by region pair over `period` (docs/access.md); no person is named."""
        from watchkeeper.access import violations_store
        from watchkeeper.access.report import Regions, build, event_days, resolved_violations
        from watchkeeper.cases.intake.own import DETECT

        when = now or self.clock.now()
        start, end = period.closed(when)
        days = event_days(self.lake, start, end)
        people = (
            self.lake.table("people")
            .select("user", "valid_from", "valid_to", "region")
            .to_pyarrow()
            .to_pylist()
        )
        assets = {
            r["dataset"]: r["region"]
            for r in self.lake.table("data_assets")
            .select("dataset", "region")
            .to_pyarrow()
            .to_pylist()
        }
        found = [
            v
            for v in violations_store.stored(self.lake, since=start.date(), limit=0)
            if datetime.combine(v.day, time(), UTC) < end
        ]
        with self.state.session() as session:
            resolved = resolved_violations(session, [v.id for v in found], DETECT)
            return build(
                session,
                Regions(people),
                assets,
                days,
                found,
                resolved,
                period.text,
                start,
                end,
                period.start is None,
                period.end is None,
                when,
            )

    def access_report_html(self, report: TransparencyReport) -> str:
        """The report as one self-contained HTML page (Vega-Lite chart, assets inline)."""
        from importlib.resources import files

        from watchkeeper.access.report_render import to_html

        vendor = files("watchkeeper.web").joinpath("static", "vendor")
        return to_html(report, [vendor.joinpath(n).read_text("utf-8") for n in VENDOR_SCRIPTS])

    def access_report_write(
        self, report: TransparencyReport, *, html: Path | None = None, csv: Path | None = None
    ) -> tuple[Path, ...]:
        """Write the report's HTML page and/or CSV, each whole or not at all (a
        private temporary file put in place); returns the paths written."""
        from watchkeeper.access.report_render import to_csv

        done: list[Path] = []
        if html is not None:
            _write(html, self.access_report_html(report))
            done.append(html)
        if csv is not None:
            _write(csv, to_csv(report))
            done.append(csv)
        return tuple(done)


def _write(path: Path, text: str) -> None:
    import os

    from watchkeeper.errors import OutputError
    from watchkeeper.private import open_private

    tmp, fd = open_private(path)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputError(path, exc.strerror or type(exc).__name__) from None


__all__ = ["SCOPES", "Entitlements", "ReviewJobs"]
