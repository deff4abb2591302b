"""The workspace's jobs behind the web dashboard's pages that the API has no route for
yet: the queue overview, bulk actions on chosen alerts, a person's page and the sources
page. Each takes the acting `Viewer` and keeps to its scope, as the API's jobs do."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from watchkeeper.facade.people import PeopleJobs


def pa_strings(values: Sequence[str]) -> Any:
    import pyarrow as pa
    return pa.array(list(values), pa.string())

if TYPE_CHECKING:
    from watchkeeper.cases.overview import QueueOverview
    from watchkeeper.cases.queue import AlertDetail
    from watchkeeper.cases.rollups import RollupStats
    from watchkeeper.cases.suppression import SuppressionInfo
    from watchkeeper.cases.views import CaseView
    from watchkeeper.lake.activity import Coverage, SourcesOverview
    from watchkeeper.ops.handoff import HandoffSummary, HandoffView
    from watchkeeper.ops.metrics import Metrics
    from watchkeeper.ops.period import Period
    from watchkeeper.ops.shifts import TeamShifts
    from watchkeeper.security.recusal import Viewer

_COVERAGE: dict[Path, tuple[tuple[int, str | None], Coverage]] = {}
_SOURCES: dict[tuple[Path, dt.date], tuple[tuple[int, str | None], SourcesOverview]] = {}
_LEVELS: dict[tuple[object, ...], ServiceLevels] = {}
LEVELS_KEPT = 64   # service-level answers remembered (per scope, period and minute)
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


@dataclass(frozen=True)
class TopPerson:
    """One of the riskiest people on the last analysed day, by pseudonym, with their
    score that day and per day before it (oldest first: the trend)."""

    pseudonym: str
    rank: int
    score: float
    scenario: str | None
    region: str | None
    trend: tuple[float, ...]


@dataclass(frozen=True)
class ServiceLevels:
    """The operations metrics of the last `days` days (`MetricsJobs.metrics`) for every
    team together and for each team, as the viewer's regions see them."""

    days: int
    overall: Metrics
    teams: tuple[Metrics, ...]


@dataclass(frozen=True)
class ShiftHandoff:
    """The hand-off page: the team shown (the viewer's team on shift, else one on shift,
    else the viewer's first), every team's shift calendar, the latest hand-off the team
    received (None: none yet) and its recent hand-offs, sent or received."""

    team: str | None
    teams: tuple[TeamShifts, ...]
    handoff: HandoffView | None
    recent: tuple[HandoffSummary, ...]


class DashboardJobs(PeopleJobs):
    """The dashboard's own jobs (`watchkeeper.web`)."""

    if TYPE_CHECKING:  # defined by MetricsJobs and ShiftJobs
        def metrics(self, viewer: Viewer, period: Period | str | None = None, *,
                    team: str | None = None, now: dt.datetime | None = None
                    ) -> Metrics: ...

        def shifts_show(self, team: str | None = None) -> tuple[TeamShifts, ...]: ...

        def handoffs(self, team: str | None = None, *, pending: bool = False,
                     limit: int = 50) -> tuple[HandoffSummary, ...]: ...

        def handoff_show(self, viewer: Viewer, ident: int | None = None, *,
                         team: str | None = None) -> HandoffView: ...

    def service_levels(self, viewer: Viewer, days: int = 30) -> ServiceLevels:
        """SLA compliance and breaches, median and p90 time to acknowledge and to
        resolve, for every team and per team, over the last `days` UTC days, by
        `MetricsJobs.metrics` (one call per team; `AccessError` for a role that reads no
        alert content). The answer is kept for the rest of the clock's minute, per
        scope and period: the overview loads it beside its own figures, and metrics
        over a large store take seconds."""
        from watchkeeper.ops.period import Period
        at = self.clock.now()
        minute = at.replace(second=0, microsecond=0)
        key = (str(self.root), viewer.role, viewer.scope, days, minute)
        found = _LEVELS.get(key)
        if found is not None:
            return found
        period = Period.last_days(days, at)
        overall = self.metrics(viewer, period, now=at)
        teams = tuple(self.metrics(viewer, period, team=t.team, now=at)
                      for t in self.shifts_show())
        found = ServiceLevels(days, overall, teams)
        if len(_LEVELS) >= LEVELS_KEPT:
            _LEVELS.clear()
        _LEVELS[key] = found
        return found

    def shift_handoff(self, viewer: Viewer, team: str | None = None,
                      mine: Sequence[str] = ()) -> ShiftHandoff:
        """The hand-off page for `team` (None: the first of the viewer's teams `mine`
        on shift now, else any team on shift, else the first of `mine`): the latest
        hand-off it received, read as `handoff_show` reads one (the cases the viewer may
        open; audited ``handoff.read``), and its last 20 hand-offs."""
        from watchkeeper.errors import NotFoundError
        calendars = self.shifts_show()
        names = [c.team for c in calendars]
        if team is not None and team not in names:
            raise NotFoundError(f"no team named {team!r}")
        if team is None:
            on_shift = [c.team for c in calendars if c.on_shift]
            team = next((t for t in mine if t in on_shift), None) \
                or next(iter(on_shift), None) or next((t for t in mine if t in names), None)
        if team is None:
            return ShiftHandoff(None, calendars, None, ())
        recent = self.handoffs(team, limit=20)
        received = next((h for h in recent if h.to_team == team), None)
        view = self.handoff_show(viewer, received.id) if received is not None else None
        return ShiftHandoff(team, calendars, view, recent)

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

    def top_people(self, viewer: Viewer, limit: int = 10,
                   days: int = 30) -> tuple[TopPerson, ...]:
        """The `limit` riskiest people (score above 0) on the last analysed day whom the
        viewer's regions cover and whom they are not recused from (themselves, their
        management chain, their direct reports: `reveals.check_reach`, as the person
        page refuses them), by pseudonym, with their last `days` scores; none for a
        role that reads no case content or before any analysis."""
        import pyarrow.compute as pc

        from watchkeeper.security.recusal import CONTENT_ROLES
        history = self.analysis.optional("risk_history")
        if viewer.role not in CONTENT_ROLES or history is None or history.num_rows == 0:
            return ()
        last = pc.max(history["day"]).as_py()
        recent = history.filter(pc.greater_equal(
            history["day"], last - dt.timedelta(days=days - 1)))
        today = recent.filter(pc.equal(recent["day"], last)).sort_by(
            [("score", "descending"), ("user", "ascending")])
        ranked = [r for r in today.select(["user", "score", "scenario"]).to_pylist()
                  if r["score"] > 0][:limit * 5]
        regions = self._regions_of([r["user"] for r in ranked])
        recused = self._recused(viewer)
        chosen = [r for r in ranked if viewer.scope.allows(regions.get(r["user"]))
                  and r["user"] not in recused][:limit]
        mine = recent.filter(pc.is_in(recent["user"], value_set=pa_strings(
            [r["user"] for r in chosen]))).sort_by("day")
        trends: dict[str, list[float]] = {}
        for row in mine.select(["user", "score"]).to_pylist():
            trends.setdefault(row["user"], []).append(float(row["score"]))
        names = self.cases.names
        return tuple(TopPerson(names.pseudonym(r["user"]), rank, float(r["score"]),
                               r["scenario"], regions.get(r["user"]),
                               tuple(trends.get(r["user"], ())))
                     for rank, r in enumerate(chosen, start=1))

    def _recused(self, viewer: Viewer) -> frozenset[str]:
        """The people `viewer` is recused from today (none without a person behind the
        account), by the people history, as the person page decides."""
        from watchkeeper.security.recusal import conflicts
        if viewer.person is None:
            return frozenset()
        desk = self.cases
        return conflicts(viewer.person, desk.org.managers(desk.clock().date()))

    def _regions_of(self, users: Sequence[str]) -> dict[str, str | None]:
        """Each of `users`' home region from their newest people-history row."""
        if not users or not self.lake.rows("people"):
            return {}
        people = self.lake.table("people")
        rows = (people.filter(people.user.isin(list(users)))
                .select("user", "region", "valid_from").to_pyarrow().to_pylist())
        newest: dict[str, tuple[dt.date | None, str | None]] = {}
        for r in rows:
            seen = newest.get(r["user"])
            if seen is None or (r["valid_from"] is not None
                                and (seen[0] is None or r["valid_from"] > seen[0])):
                newest[r["user"]] = (r["valid_from"], r["region"])
        return {user: region for user, (_, region) in newest.items()}

    def source_coverage(self) -> Coverage:
        """Each source's newest event, whether it stopped sending, and the people it
        has events of and none of; kept until the lake's next commit."""
        from watchkeeper.lake.activity import source_coverage
        key = self._lake_version()
        cached = _COVERAGE.get(self.lake.root)
        if cached is None or cached[0] != key:
            cached = (key, source_coverage(self.lake))
            _COVERAGE[self.lake.root] = cached
        return cached[1]

    def sources_overview(self, since: dt.date) -> SourcesOverview:
        """Events per source, class and day from `since`; per source the events stored,
        the newest event and the records quarantined; kept until the lake's next commit
        (the lake changes only by commits, so the answer is the same until then)."""
        from watchkeeper.lake.activity import sources_overview
        version = self._lake_version()
        cached = _SOURCES.get((self.lake.root, since))
        if cached is None or cached[0] != version:
            if len(_SOURCES) >= LEVELS_KEPT:
                _SOURCES.clear()
            cached = (version, sources_overview(self.lake, since))
            _SOURCES[(self.lake.root, since)] = cached
        return cached[1]

    def _lake_version(self) -> tuple[int, str | None]:
        """The lake's commit count and newest commit time: changes with every commit."""
        commits = self.lake.manifest().commits
        return (len(commits), commits[-1].at if commits else None)
