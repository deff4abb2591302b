"""The workspace's operations metrics (docs/operations.md, "Metrics"): time to detect,
acknowledge and resolve, SLA compliance, volumes, backlog, hand-off acknowledgement and
alert-to-case conversion, over one period (`watchkeeper.ops.period`) for one team or
all, of what the caller's regions see."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from watchkeeper.facade.state import StateJobs

if TYPE_CHECKING:
    from watchkeeper.ops.metrics import Metrics
    from watchkeeper.ops.period import Period
    from watchkeeper.security.recusal import Viewer

DEFAULT_DAYS = 30   # the period when none is given: the last 30 UTC days


class MetricsJobs(StateJobs):
    """Operations metrics (`watchkeeper.ops.metrics`)."""

    def metrics(self, viewer: Viewer, period: Period | str | None = None, *,
                team: str | None = None, now: datetime | None = None) -> Metrics:
        """The metrics of `period` (a `Period` or its text; default: the last 30 UTC
        days; an open start counts from the first record, an open end up to `now`) as
        of `now` (default: the
        workspace clock), for `team` (None: every team), over the alerts and cases
        `viewer`'s regions see. Analysts, leads and admins only (`AccessError`)."""
        from watchkeeper.errors import AccessError
        from watchkeeper.ops.metrics import Window, metrics
        from watchkeeper.ops.period import Period
        from watchkeeper.security.recusal import CONTENT_ROLES
        if viewer.role not in CONTENT_ROLES:
            raise AccessError(f"the {viewer.role} role reads no alert content")
        at = now if now is not None else self.clock.now()
        if isinstance(period, str):
            period = Period.parse(period, "period")
        chosen = period if period is not None else Period.last_days(DEFAULT_DAYS, at)
        start, end = chosen.closed(at)
        with self.state.session() as session:
            return metrics(session, Window(chosen.text, start, end, at, viewer.scope, team))
