"""The workspace's jobs behind the web dashboard's pages that the API has no route for
yet: the queue overview, bulk actions on chosen alerts, a person's page and the sources
page. Each takes the acting `Viewer` and keeps to its scope, as the API's jobs do."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from watchkeeper.facade.people import PeopleJobs

if TYPE_CHECKING:
    from watchkeeper.cases.overview import QueueOverview
    from watchkeeper.cases.queue import AlertDetail
    from watchkeeper.cases.rollups import RollupStats
    from watchkeeper.cases.suppression import SuppressionInfo
    from watchkeeper.cases.views import CaseView
    from watchkeeper.lake.activity import SourcesOverview
    from watchkeeper.security.recusal import Viewer

MAX_BULK = 200   # alerts one bulk action takes (a queue page holds at most 100)


@dataclass(frozen=True)
class RiskDay:
    day: dt.date
    score: float
    alert: bool
    scenario: str | None


@dataclass(frozen=True)
class PersonProfile:
    """A person by pseudonym: their risk per day (newest analysis run) and region."""

    pseudonym: str
    region: str | None
    risk: tuple[RiskDay, ...]


class DashboardJobs(PeopleJobs):
    """The dashboard's own jobs (`watchkeeper.web`)."""

    def queue_overview(self, viewer: Viewer, since: dt.date) -> QueueOverview:
        """Alerts per day and severity from `since`, and the open backlog, in the
        viewer's scope."""
        from watchkeeper.cases.overview import queue_overview
        with self.state.session() as session:
            return queue_overview(session, viewer.scope, since,
                                  self.clock.now().date())

    def rollups(self, *, rebuild: bool = False) -> RollupStats:
        """The overview's rollup: its size and the alerts it counts against those
        stored; `rebuild`: recompute it from the alerts first (one transaction)."""
        from watchkeeper.cases import rollups
        if rebuild:
            with self.state.writing() as session:
                return rollups.rebuild(session)
        with self.state.session() as session:
            return rollups.stats(session)

    def rules_last_fired(self, viewer: Viewer) -> dict[str, dt.datetime]:
        """Each rule's newest alert (event time) among those the viewer sees."""
        from watchkeeper.cases.overview import last_fired
        with self.state.session() as session:
            return last_fired(session, viewer.scope)

    def alerts_chosen(self, viewer: Viewer, ids: Sequence[int]) -> tuple[AlertDetail, ...]:
        """The alerts `ids`, each in the viewer's scope (`NotFoundError` for one outside
        it, the same line as for no such alert); at most `MAX_BULK`."""
        from watchkeeper.errors import ConfigError, NotFoundError
        wanted = tuple(dict.fromkeys(ids))
        if not wanted:
            raise ConfigError("choose at least one alert")
        if len(wanted) > MAX_BULK:
            raise ConfigError(f"choose at most {MAX_BULK} alerts at once")
        found = []
        for ident in wanted:
            detail = self.alert(ident)
            if not viewer.scope.allows(detail.region):
                raise NotFoundError(f"alert {ident}: no such alert (see `alerts list`)")
            found.append(detail)
        return tuple(found)

    def alerts_group(self, viewer: Viewer, ids: Sequence[int], title: str | None = None,
                     assignee: str | None = None) -> CaseView:
        """Open one case holding the chosen alerts (title: the first alert's)."""
        from watchkeeper.cases.service import CaseNew
        chosen = self.alerts_chosen(viewer, ids)
        name = (title or "").strip() or chosen[0].title
        return self.case_create(viewer, CaseNew(name[:500], alerts=tuple(a.id for a in chosen),
                                                assignee=assignee))

    def alerts_assign(self, viewer: Viewer, ids: Sequence[int],
                      assignee: str) -> tuple[CaseView, ...]:
        """Give the chosen alerts to `assignee`: an alert in a case re-assigns that case;
        each alert in none gets a case of its own, assigned."""
        from watchkeeper.cases.repository import CaseChange
        from watchkeeper.cases.service import CaseNew
        done: dict[int, CaseView] = {}
        for alert in self.alerts_chosen(viewer, ids):
            if alert.case_id is not None:
                if alert.case_id not in done:
                    done[alert.case_id] = self.case_update(
                        viewer, alert.case_id, CaseChange(assignee=assignee))
                continue
            view = self.case_create(viewer, CaseNew(alert.title[:500], alerts=(alert.id,),
                                                    assignee=assignee))
            done[view.id] = view
        return tuple(done.values())

    def alerts_suppress(self, viewer: Viewer, ids: Sequence[int], *, reason: str,
                        expires: dt.date) -> tuple[SuppressionInfo, ...]:
        """Suppress the chosen alerts' rules (an alert without a rule: its source) until
        the end of `expires`, and mark the chosen alerts suppressed now. Audited
        (``alert.suppress`` per suppression, with the alerts marked)."""
        from watchkeeper.cases.suppression import mark_alerts
        chosen = self.alerts_chosen(viewer, ids)
        by_match: dict[tuple[str, str], list[int]] = {}
        for alert in chosen:
            key = ("rule", alert.rule) if alert.rule else ("source", alert.source)
            by_match.setdefault(key, []).append(alert.id)
        made = []
        for (field, value), alert_ids in by_match.items():
            info = self.suppress(reason=reason, owner=viewer.name, expires=expires,
                                 **{field: value})
            with self.state.session() as session:
                marked = mark_alerts(session, info.id, alert_ids)
            self.audited(viewer.name, "alert.suppress", "suppression", str(info.id), {
                "match": f"{field}={value}", "reason": reason, "marked": marked,
                "alerts": " ".join(map(str, alert_ids))})
            made.append(info)
        return tuple(made)

    def person_profile(self, viewer: Viewer, pseudonym: str,
                       days: int = 90) -> PersonProfile:
        """The person behind `pseudonym` as the viewer may see them: refused outside
        their regions (`PermissionDeniedError`) and when recused (`AccessError`), as a
        reveal is; their risk over the last `days` analysed days."""
        from watchkeeper.cases.person import newest_record
        from watchkeeper.errors import AccessError
        from watchkeeper.security.recusal import CONTENT_ROLES
        from watchkeeper.security.reveals import check_reach
        if viewer.role not in CONTENT_ROLES:
            raise AccessError(f"the {viewer.role} role reads no case content")
        names = self.cases.names
        user = names.reveal(pseudonym)
        code = names.pseudonym(user)
        record = newest_record(self.lake, user)
        region = record.region if record is not None else None
        check_reach(viewer, code, user, region,
                    self.cases.org.managers(self.cases.clock().date()))
        return PersonProfile(code, region, self._risk_days(user, days))

    def _risk_days(self, user: str, days: int) -> tuple[RiskDay, ...]:
        import pyarrow.compute as pc
        history = self.analysis.optional("risk_history")
        if history is None:
            return ()
        mine = history.filter(pc.equal(history["user"], user)).sort_by("day")
        rows = mine.select(["day", "score", "alert", "scenario"]).to_pylist()[-days:]
        return tuple(RiskDay(r["day"], float(r["score"]), bool(r["alert"]), r["scenario"])
                     for r in rows)

    def sources_overview(self, since: dt.date) -> SourcesOverview:
        """Events per source, class and day from `since`; per source the events stored,
        the newest event and the records quarantined."""
        from watchkeeper.lake.activity import sources_overview
        return sources_overview(self.lake, since)
