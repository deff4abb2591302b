"""Runs queued in the trigger's own transaction, and read back.

`queue_runs` writes a run and its steps for each playbook an event starts, unless that
playbook ran on that event already (``playbook_runs`` is unique on playbook and key):
intake, ticks and hooks may run again without running a playbook twice. A queued run
on a case is a ``playbook.run`` case event, so the case's history shows it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from watchkeeper.config import PlaybookSettings
from watchkeeper.ops.escalation import BreachInfo
from watchkeeper.ops.playbooks.triggers import Facts, PlaybookSet
from watchkeeper.ops.watchlists import WatchlistInfo
from watchkeeper.store.models import (
    Alert,
    Case,
    CaseEvent,
    PlaybookRun,
    PlaybookStep,
    Team,
    WatchlistEntry,
)

ACTOR = "watchkeeper:playbook"
CHUNK = 500


def actor(playbook: str) -> str:
    return f"{ACTOR}:{playbook}"


@dataclass(frozen=True)
class StepView:
    position: int
    action: str
    name: str
    status: str           # pending, retrying, succeeded, failed, skipped
    attempts: int
    max_attempts: int
    next_attempt: datetime | None
    last_error: str | None
    output: dict[str, object] | None
    finished_at: datetime | None


@dataclass(frozen=True)
class RunView:
    """A run and its steps as lists and the case show them."""

    id: int
    playbook: str
    version: str
    trigger: str
    key: str
    alert_id: int | None
    case_id: int | None
    status: str
    created_at: datetime
    finished_at: datetime | None
    steps: tuple[StepView, ...]


def queue_runs(session: Session, books: PlaybookSet, events: Sequence[Facts],
               settings: PlaybookSettings, now: datetime) -> list[int]:
    """Queue the runs `events` start; their ids."""
    made: list[int] = []
    for facts in events:
        for compiled in books.matching(facts):
            book = compiled.playbook
            ran = session.scalar(select(PlaybookRun.id).where(
                PlaybookRun.playbook == book.id, PlaybookRun.key == facts.key))
            if ran is not None:
                continue
            run = PlaybookRun(playbook=book.id, version=compiled.loaded.version,
                              trigger=facts.kind, key=facts.key, alert_id=facts.alert_id,
                              case_id=facts.case_id,
                              person=facts.people[0] if facts.people else None,
                              context={**facts.context, "day": facts.day.isoformat()
                                       if facts.day else None},
                              status="pending", created_at=now)
            session.add(run)
            session.flush()
            for i, step in enumerate(book.steps):
                retries = step.retries if step.retries is not None else settings.retries
                session.add(PlaybookStep(
                    run_id=run.id, position=i, action=step.action, name=step.label,
                    spec=step.options.model_dump(mode="json", by_alias=True),
                    status="pending", attempts=0, max_attempts=retries + 1, due_at=now))
            if run.case_id is not None:
                case_event(session, run, "playbook.run", {"status": "queued"}, now)
            made.append(run.id)
    session.flush()
    return made


def case_event(session: Session, run: PlaybookRun, action: str,
               after: dict[str, object], now: datetime) -> None:
    """One event in the history of the run's case, by the playbook's actor."""
    if run.case_id is None:
        return
    session.add(CaseEvent(case_id=run.case_id, at=now, actor=actor(run.playbook),
                          action=action, before=None,
                          after={"playbook": run.playbook, "run": run.id, **after}))
    row = session.get(Case, run.case_id)
    if row is not None:
        row.updated_at = max(now, row.updated_at)


# -- facts of events, read in bulk ----------------------------------------------------------

def alert_facts(session: Session, alert_ids: Sequence[int], today: date,
                watchlists: bool) -> list[Facts]:
    """New alerts as events (suppressed ones start nothing)."""
    rows: list[Alert] = []
    for start in range(0, len(alert_ids), CHUNK):
        rows.extend(session.scalars(select(Alert).where(
            Alert.id.in_(alert_ids[start:start + CHUNK]), Alert.suppressed_by.is_(None))
            .order_by(Alert.id)))
    lists = on_lists(session, {s.subject for a in rows for s in a.subjects}, today) \
        if watchlists else {}
    return [Facts("alert", f"alert:{a.id}", severity=a.severity,
                  rules=tuple(r for r in (a.rule, a.rule_id) if r),
                  sources=(a.source,), regions=(a.region,) if a.region else (),
                  people=tuple(s.subject for s in a.subjects), title=a.title,
                  status=a.status, alert_id=a.id, case_id=a.case_id,
                  day=a.event_time.date(),
                  on_watchlists=frozenset(w for s in a.subjects
                                          for w in lists.get(s.subject, ())))
            for a in rows]


def case_facts(session: Session, case_id: int, now: datetime, watchlists: bool,
               *, kind: str = "case", key: str | None = None,
               sla: str | None = None) -> Facts:
    row = session.get_one(Case, case_id)
    alerts = list(session.scalars(select(Alert).where(Alert.case_id == case_id)
                                  .order_by(Alert.event_time)))
    people = tuple(dict.fromkeys(s.subject for a in alerts for s in a.subjects))
    lists = on_lists(session, set(people), now.date()) if watchlists else {}
    owner = session.get(Team, row.team_id) if row.team_id is not None else None
    return Facts(kind, key or f"case:{case_id}", severity=row.severity,
                 rules=tuple(dict.fromkeys(r for a in alerts for r in (a.rule, a.rule_id)
                                           if r)),
                 sources=tuple(dict.fromkeys(a.source for a in alerts)),
                 regions=tuple(dict.fromkeys(a.region for a in alerts if a.region)),
                 people=people, title=row.title, priority=row.priority, status=row.status,
                 team=owner.name if owner is not None else None, sla=sla, case_id=case_id,
                 alert_id=alerts[0].id if alerts else None,
                 day=alerts[-1].event_time.date() if alerts else now.date(),
                 on_watchlists=frozenset(w for p in people for w in lists.get(p, ())),
                 context={"sla": sla} if sla else {})


def breach_facts(session: Session, breaches: Iterable[BreachInfo], now: datetime,
                 watchlists: bool) -> list[Facts]:
    return [case_facts(session, b.case_id, now, watchlists, kind="sla-breach",
                       key=f"sla:{b.case_id}:{b.kind}", sla=b.kind) for b in breaches]


def watch_facts(entry: WatchlistInfo, user: str) -> Facts:
    """A person put on a watchlist (`user`: the lake's id of `entry.person`)."""
    return Facts("watchlist", f"watchlist:{entry.id}", people=(user,),
                 watchlist=entry.watchlist, day=entry.since,
                 context={"watchlist": entry.watchlist})


def on_lists(session: Session, people: set[str], today: date) -> dict[str, set[str]]:
    """The analyst watchlists each of `people` is on `today`."""
    found: dict[str, set[str]] = {}
    names = sorted(people)
    for start in range(0, len(names), CHUNK):
        for person, name in session.execute(select(
                WatchlistEntry.person, WatchlistEntry.watchlist).where(
                WatchlistEntry.person.in_(names[start:start + CHUNK]),
                WatchlistEntry.removed_at.is_(None), WatchlistEntry.since <= today,
                or_(WatchlistEntry.until.is_(None), WatchlistEntry.until >= today))):
            found.setdefault(person, set()).add(name)
    return found


# -- reading runs ---------------------------------------------------------------------------

def runs(session: Session, *, case_id: int | None = None, playbook: str | None = None,
         status: str | None = None, limit: int = 50) -> tuple[RunView, ...]:
    """Runs newest first, with their steps."""
    query = select(PlaybookRun).order_by(PlaybookRun.id.desc()).limit(max(1, min(limit, 500)))
    if case_id is not None:
        query = query.where(PlaybookRun.case_id == case_id)
    if playbook is not None:
        query = query.where(PlaybookRun.playbook == playbook)
    if status is not None:
        query = query.where(PlaybookRun.status == status)
    found = list(session.scalars(query))
    steps: dict[int, list[PlaybookStep]] = {}
    ids = [r.id for r in found]
    if ids:
        for step in session.scalars(select(PlaybookStep).where(PlaybookStep.run_id.in_(ids))
                                    .order_by(PlaybookStep.position)):
            steps.setdefault(step.run_id, []).append(step)
    return tuple(view(r, steps.get(r.id, [])) for r in found)


def view(run: PlaybookRun, steps: Sequence[PlaybookStep]) -> RunView:
    return RunView(run.id, run.playbook, run.version, run.trigger, run.key, run.alert_id,
                   run.case_id, run.status, run.created_at, run.finished_at,
                   tuple(_step(s) for s in steps))


def _step(s: PlaybookStep) -> StepView:
    waiting = s.status == "pending"
    status = "retrying" if waiting and s.attempts else s.status
    return StepView(s.position, s.action, s.name, status, s.attempts, s.max_attempts,
                    s.due_at if waiting else None, s.last_error, s.output, s.finished_at)


__all__ = ["ACTOR", "RunView", "StepView", "actor", "alert_facts", "breach_facts",
           "case_event", "case_facts", "on_lists", "queue_runs", "runs", "watch_facts"]
