"""What each step does. Two kinds:

- `INSIDE` steps (set, assign, task, suppress) change the state store in the unit of
  work that records their result: the change and its record commit together or not at
  all, so a retry never does one twice;
- `OUTSIDE` steps (enrich, group, watchlist, webhook) read the lake, call a facade job
  with its own transaction, or call out; each is safe to run again (a person on the
  list already, an alert in a case already, count as done).

Each returns its output (JSON; people as pseudonyms), stored on the step.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from watchkeeper.cases.records import add_task, attach_alerts
from watchkeeper.cases.repository import CaseChange, CaseRepository
from watchkeeper.cases.service import CaseNew
from watchkeeper.cases.suppression import add_suppression
from watchkeeper.cases.views import JsonValue, LinkView
from watchkeeper.cases.workflow import Priority, Status
from watchkeeper.errors import ConflictError, NotFoundError, PlaybookError, WatchkeeperError
from watchkeeper.ops import changes, shifts
from watchkeeper.ops.playbooks import webhook
from watchkeeper.ops.playbooks.queue import actor
from watchkeeper.security.recusal import OPERATOR, Viewer
from watchkeeper.security.roles import EVERYWHERE
from watchkeeper.store.models import Account, Alert, AlertSubject, Case, PlaybookRun

if TYPE_CHECKING:
    from watchkeeper.workspace import Workspace

Output = dict[str, JsonValue]
OPEN = (Status.NEW.value, Status.IN_PROGRESS.value, Status.ESCALATED.value)


@dataclass(frozen=True)
class RunInfo:
    """What a step knows of its run (read before the step runs)."""

    id: int
    playbook: str
    trigger: str
    key: str
    alert_id: int | None
    case_id: int | None
    person: str | None
    context: Mapping[str, Any]

    @property
    def day(self) -> date | None:
        text = self.context.get("day")
        return date.fromisoformat(text) if isinstance(text, str) else None

    @classmethod
    def of(cls, run: PlaybookRun) -> RunInfo:
        return cls(run.id, run.playbook, run.trigger, run.key, run.alert_id, run.case_id,
                   run.person, dict(run.context or {}))


def system(playbook: str) -> Viewer:
    """The playbook acting: the system operator of every region (nothing recuses it;
    the team or assignee it gives a case to must still be allowed to see it)."""
    return Viewer(actor(playbook), OPERATOR, scope=EVERYWHERE)


def _repo(ws: Workspace, s: Session, run: PlaybookRun, now: datetime) -> CaseRepository:
    return CaseRepository(s, system(run.playbook), ws.cases.org, clock=lambda: now)


def _case(run: RunInfo | PlaybookRun) -> int:
    if run.case_id is None:
        raise PlaybookError(f"run {run.id}", "case", "the run has no case (an alert run "
                            "needs a group step first)")
    return run.case_id


# -- inside: in the recording unit of work -------------------------------------------------

def do_set(ws: Workspace, s: Session, run: PlaybookRun, spec: Mapping[str, Any],
           now: datetime) -> Output:
    repo = _repo(ws, s, run, now)
    view = repo.update(_case(run), CaseChange(severity=spec.get("severity"),
                                              priority=spec.get("priority")))
    return {"severity": view.severity, "priority": view.priority}


def do_assign(ws: Workspace, s: Session, run: PlaybookRun, spec: Mapping[str, Any],
              now: datetime) -> Output:
    """Give the case to a team that may see its regions (data residency: a playbook
    moves no case where routing could not) and to an assignee who may open it."""
    repo = _repo(ws, s, run, now)
    case_id = _case(run)
    regions = repo.regions(case_id)
    if spec.get("team"):
        team = shifts.plan_of(s, spec["team"])
        if not team.sees(regions):
            named = sorted({r.casefold() for r in regions if r})
            raise PlaybookError(f"case {case_id}", "assign.team", f"team {team.name} may not "
                                f"see region {', '.join(named)} (data residency)")
    if spec.get("assignee"):
        account = s.scalar(select(Account).where(Account.name == spec["assignee"]))
        why = changes.refusal(repo, repo.open(case_id), account, now.date()) \
            if account is not None else None
        if account is not None and (why or not changes.sees(s, account, regions)):
            raise PlaybookError(f"case {case_id}", "assign.assignee",
                                f"{account.name} may not open the case: "
                                f"{why or 'not a team of its regions'}")
    view = repo.update(case_id, CaseChange(team=spec.get("team"),
                                           assignee=spec.get("assignee")))
    return {"team": view.team, "assignee": view.assignee}


def do_task(ws: Workspace, s: Session, run: PlaybookRun, spec: Mapping[str, Any],
            now: datetime) -> Output:
    repo = _repo(ws, s, run, now)
    task = add_task(repo, _case(run), spec["title"], spec.get("assignee"))
    return {"task": task}


def do_suppress(ws: Workspace, s: Session, run: PlaybookRun, spec: Mapping[str, Any],
                now: datetime) -> Output:
    """Suppress alerts like the run's alert (a case run: its first alert)."""
    alert = s.get(Alert, run.alert_id) if run.alert_id is not None else None
    if alert is None:
        raise PlaybookError(f"run {run.id}", "suppress", "the run has no alert to match")
    values = {"rule": alert.rule, "person": alert.subjects[0].subject if alert.subjects
              else None, "host": alert.hosts[0].host if alert.hosts else None,
              "source": alert.source}
    match = {("subject" if k == "person" else k): values[k] for k in spec["match"]
             if values.get(k)}
    if not match:
        raise PlaybookError(f"run {run.id}", "suppress.match",
                            f"alert {alert.id} has none of {', '.join(spec['match'])}")
    ends = now + timedelta(seconds=float(spec["for"]))
    made = add_suppression(s, match, reason=spec["reason"], owner=actor(run.playbook),
                           expires_at=ends, now=now)
    names = ws.cases.names
    return {"suppression": made.id, "expires_at": ends.isoformat(),
            "match": {k: names.pseudonym(v) if k == "subject" and v else v
                      for k, v in match.items()}}


# -- outside: their own transactions, the lake, the network ----------------------------------

def do_enrich(ws: Workspace, run: RunInfo, spec: Mapping[str, Any],
              now: datetime) -> Output:
    """The person's HR record as known on the event's day, their risk that day and why,
    and their lake events of the `events_hours` before the event."""
    user, day = run.person, run.day or now.date()
    if user is None:
        return {"person": None, "note": "the event names nobody"}
    names = ws.cases.names
    out: Output = {"person": names.pseudonym(user), "day": day.isoformat()}
    if spec.get("hr", True):
        out["hr"] = _hr(ws, user, day)
    if spec.get("risk", True):
        out["risk"] = _risk(ws, user, day)
    hours = int(spec.get("events_hours", 24))
    if hours:
        out["events"] = _events(ws, user, day, hours, now)
    return out


def _hr(ws: Workspace, user: str, day: date) -> JsonValue:
    from watchkeeper.cases.person import person_context
    found = person_context(ws.lake, user, day)
    if found is None:
        return None
    names = ws.cases.names
    return {"as_of": day.isoformat(), "role": found.role, "department": found.department,
            "team": found.team, "region": found.region,
            "manager": names.pseudonym(found.manager) if found.manager else None,
            "employment_start": _iso(found.employment_start),
            "notice_date": _iso(found.notice_date), "end_date": _iso(found.end_date),
            "watchlists": list(found.watchlists)}


def _risk(ws: Workspace, user: str, day: date) -> JsonValue:
    try:
        why = ws.risk_explain(user, day)
    except (WatchkeeperError, KeyError, FileNotFoundError) as exc:
        return {"available": False, "why": " ".join(str(exc).split())[:200] or
                "no analysis for that day"}
    top = sorted(why.by_source.items(), key=lambda kv: -kv[1])[:5]
    return {"available": True, "score": round(why.score, 3), "alert": why.alert,
            "threshold": round(why.threshold, 3), "scenario": why.scenario_title,
            "by_source": {k: round(v, 3) for k, v in top},
            "watchlists": [w.watchlist for w in why.watchlists]}


def _events(ws: Workspace, user: str, day: date, hours: int, now: datetime) -> JsonValue:
    from watchkeeper.cases.timeline import build_timeline
    end = min(datetime.combine(day, time.max, UTC), now)
    found = build_timeline(ws.lake, [user], [], end - timedelta(hours=hours), end,
                           limit=10)
    names = ws.cases.names
    return {"hours": hours, "total": found.total, "by_class": dict(found.counts),
            "latest": [names.redact(f"{e.time:%Y-%m-%d %H:%M} {e.cls} {e.summary}")
                       for e in found.events[-10:]]}


def do_group(ws: Workspace, run: RunInfo, spec: Mapping[str, Any], now: datetime) -> Output:
    """The alert into the newest open case about one of its people opened within the
    window, else into a new case (opening it routes it and starts its clocks)."""
    if run.alert_id is None:
        raise PlaybookError(f"run {run.id}", "group", "the run has no alert")
    who = system(run.playbook)
    window = timedelta(seconds=float(spec.get("window", 7 * 86400)))
    with ws.state.writing() as s:
        alert = s.get(Alert, run.alert_id)
        if alert is None:
            raise NotFoundError(f"alert {run.alert_id}: no such alert")
        if alert.case_id is not None:
            return {"case": alert.case_id, "joined": "in the case already"}
        people = [x.subject for x in alert.subjects]
        found = s.scalar(select(Case.id).where(
            Case.status.in_(OPEN), Case.created_at >= now - window,
            Case.id.in_(select(Alert.case_id).join(AlertSubject).where(
                AlertSubject.subject.in_(people)))).order_by(Case.created_at.desc()))
        if found is not None:
            attach_alerts(CaseRepository(s, who, ws.cases.org, clock=lambda: now), found,
                          [alert.id])
            return {"case": found, "joined": "an open case about the same person"}
        title = spec.get("title") or alert.title
        severity = alert.severity
    made = ws.cases.create(who, CaseNew(str(title)[:500], severity=severity,
                                        alerts=(run.alert_id,),
                                        links=tuple(LinkView("person", p) for p in people)))
    return {"case": made.id, "joined": "a new case"}


def do_watchlist(ws: Workspace, run: RunInfo, spec: Mapping[str, Any],
                 now: datetime) -> Output:
    if run.person is None:
        raise PlaybookError(f"run {run.id}", "watchlist", "the event names nobody")
    days = spec.get("days")
    until = now.date() + timedelta(days=int(days)) if days else None
    try:
        made = ws.watchlist_add(run.person, reason=spec["reason"], actor=actor(run.playbook),
                                watchlist=spec["list"], until=until, now=now,
                                trigger=False)
    except ConflictError as exc:
        return {"watchlist": spec["list"], "entry": None,
                "note": ws.cases.names.redact(str(exc))[:300]}
    return {"watchlist": made.watchlist, "entry": made.id,
            "until": made.until.isoformat() if made.until else None}


def do_webhook(ws: Workspace, run: RunInfo, spec: Mapping[str, Any],
               now: datetime) -> Output:
    settings = ws.settings.playbooks
    names = ws.cases.names
    body: Output = {"playbook": run.playbook, "run": run.id, "trigger": run.trigger,
                    "key": run.key, "case": run.case_id, "alert": run.alert_id,
                    "person": names.pseudonym(run.person) if run.person else None,
                    "context": {k: v for k, v in run.context.items()
                                if isinstance(v, str | int | None)},
                    "sent_at": now.isoformat()}
    code = webhook.post(spec["url"], body, allow=settings.webhook_allow,
                        timeout=settings.webhook_timeout,
                        headers={"X-Watchkeeper-Playbook": run.playbook})
    return {"url": spec["url"], "status": code}


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


Inside = Callable[["Workspace", Session, PlaybookRun, Mapping[str, Any], datetime], Output]
Outside = Callable[["Workspace", RunInfo, Mapping[str, Any], datetime], Output]
INSIDE: dict[str, Inside] = {"set": do_set, "assign": do_assign, "task": do_task,
                             "suppress": do_suppress}
OUTSIDE: dict[str, Outside] = {"enrich": do_enrich, "group": do_group,
                               "watchlist": do_watchlist, "webhook": do_webhook}
PRIORITY_WORDS = tuple(p.name.lower() for p in Priority)

__all__ = ["INSIDE", "OUTSIDE", "RunInfo"]
