"""Runs queued in the trigger's own transaction, and read back.

`queue_runs` writes a run and its steps for each playbook an event starts, unless that
playbook ran on that event already (``playbook_runs`` is unique on playbook and key):
intake, ticks and hooks may run again without running a playbook twice. A queued run
on a case is a ``playbook.run`` case event, so the case's history shows it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, insert, or_, select
from sqlalchemy.orm import Session

from watchkeeper.cases.model import AlertIn
from watchkeeper.config import PlaybookSettings
from watchkeeper.ops.escalation import BreachInfo
from watchkeeper.ops.playbooks.triggers import Facts, PlaybookSet
from watchkeeper.ops.watchlists import WatchlistInfo
from watchkeeper.store.models import (
    Alert,
    AlertSubject,
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
    """Queue the runs `events` start; their ids. The runs stored already are read in
    one query, the new ones written in one statement per table."""
    starts = [(facts, compiled) for facts in events for compiled in books.matching(facts)]
    if not starts:
        return []
    keys = sorted({facts.key for facts, _ in starts})
    ran = {(p, k) for start in range(0, len(keys), CHUNK)
           for p, k in session.execute(select(PlaybookRun.playbook, PlaybookRun.key).where(
               PlaybookRun.key.in_(keys[start:start + CHUNK])))}
    fresh = [(f, c) for f, c in starts if (c.playbook.id, f.key) not in ran]
    if not fresh:
        return []
    ids = list(session.scalars(insert(PlaybookRun).returning(
        PlaybookRun.id, sort_by_parameter_order=True), [
        {"playbook": c.playbook.id, "version": c.loaded.version, "trigger": f.kind,
         "key": f.key, "alert_id": f.alert_id, "case_id": f.case_id,
         "person": f.people[0] if f.people else None,
         "context": {**f.context, "day": f.day.isoformat() if f.day else None},
         "status": "pending", "created_at": now} for f, c in fresh]))
    steps = [{"run_id": run_id, "position": i, "action": action, "name": name,
              "spec": spec, "status": "pending", "attempts": 0,
              "max_attempts": (retries if retries is not None else settings.retries) + 1,
              "due_at": now}
             for run_id, (_, c) in zip(ids, fresh, strict=True)
             for i, (action, name, spec, retries) in enumerate(c.steps)]
    session.execute(insert(PlaybookStep), steps)
    for run_id, (f, c) in zip(ids, fresh, strict=True):
        if f.case_id is not None:
            session.add(CaseEvent(case_id=f.case_id, at=now, actor=actor(c.playbook.id),
                                  action="playbook.run", before=None,
                                  after={"playbook": c.playbook.id, "run": run_id,
                                         "status": "queued"}))
    session.flush()
    return ids


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

def alert_facts(session: Session, alert_ids: Sequence[int]) -> list[Facts]:
    """New alerts as events, read back from the store (suppressed ones start nothing):
    their columns in one query and their people in another per chunk. For an intake
    whose caller has not the batch at hand (`sync_own_alerts`); watchlists are added
    by `with_watchlists`."""
    rows: list[Row[Any]] = []
    people: dict[int, list[str]] = {}
    for start in range(0, len(alert_ids), CHUNK):
        chunk = alert_ids[start:start + CHUNK]
        rows.extend(session.execute(select(*FACT_COLUMNS).where(
            Alert.id.in_(chunk), Alert.suppressed_by.is_(None)).order_by(Alert.id)))
        for alert_id, subject in session.execute(select(
                AlertSubject.alert_id, AlertSubject.subject).where(
                AlertSubject.alert_id.in_(chunk)).order_by(AlertSubject.alert_id)):
            people.setdefault(alert_id, []).append(subject)
    return [Facts("alert", f"alert:{r.id}", severity=r.severity,
                  rules=tuple(x for x in (r.rule, r.rule_id) if x),
                  sources=(r.source,), regions=(r.region,) if r.region else (),
                  people=tuple(people.get(r.id, ())), title=r.title, status=r.status,
                  alert_id=r.id, case_id=r.case_id, day=r.event_time.date())
            for r in rows]


def intake_facts(alerts: Sequence[AlertIn], ids: Sequence[int],
                 fresh: Sequence[tuple[int, int | None]]) -> list[Facts]:
    """New alerts as events from what the intake was given (`alerts`, stored as `ids`
    in the same order) and what it did (`fresh`: each new alert not suppressed, and
    the case grouping put it in): nothing is read back."""
    given = dict(zip(ids, alerts, strict=True))
    return [Facts("alert", f"alert:{i}", severity=int(a.severity),
                  rules=tuple(x for x in (a.rule, a.rule_id) if x), sources=(a.source,),
                  regions=(a.region,) if a.region else (), people=a.subjects,
                  title=a.title, status=a.status, alert_id=i, case_id=case,
                  day=a.event_time.date())
            for i, case in fresh for a in (given[i],)]


def with_watchlists(session: Session, books: PlaybookSet, events: list[Facts],
                    today: date) -> list[Facts]:
    """`events` with the watchlists their people are on, read only for the events a
    playbook asking for watchlists may start (its rule globs let them through)."""
    needing = [i for i, f in enumerate(events)
               if any(c.wants_watchlists for c in books.candidates(f.kind, f.rules))]
    if not needing:
        return events
    lists = on_lists(session, {p for i in needing for p in events[i].people}, today)
    found = list(events)
    for i in needing:
        found[i] = replace(found[i], on_watchlists=frozenset(
            w for p in found[i].people for w in lists.get(p, ())))
    return found


FACT_COLUMNS = (Alert.id, Alert.severity, Alert.rule, Alert.rule_id, Alert.source,
                Alert.region, Alert.title, Alert.status, Alert.case_id, Alert.event_time)


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
