"""What hangs off a case: tasks, Markdown notes, links, alerts; and the whole record.

Each function opens the case through a `CaseRepository` (so access is checked) and
records one case event per change.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from watchkeeper.cases import rollups
from watchkeeper.cases.repository import CaseRepository
from watchkeeper.cases.views import (
    CaseRecord,
    LinkView,
    alert_view,
    event_view,
    link_view,
    note_view,
    task_view,
)
from watchkeeper.errors import CaseError, CaseWorkflowError, NotFoundError
from watchkeeper.store.models import (
    LINK_KINDS,
    Alert,
    CaseEvent,
    CaseLink,
    CaseNote,
    CaseTask,
    utcnow,
)

MAX_NOTE = 100_000
MAX_LINK = 1000

ROOT_CAUSE_TEMPLATE = """\
## Summary

{summary}

## Timeline

{timeline}

## Root cause

What made this possible (a control missing, a process gap, intent)?

## Impact

What data, systems or people were affected, and how much?

## Actions

- [ ] What was done, what is left, and who owns it.
"""


def root_cause_note(summary: str, timeline: Iterable[str]) -> str:
    """The root-cause template, its summary and timeline filled from the case."""
    lines = "\n".join(f"- {line}" for line in timeline) or "- (no alerts yet)"
    return ROOT_CAUSE_TEMPLATE.format(summary=summary.strip() or "(no summary yet)",
                                      timeline=lines)


def record(repo: CaseRepository, case_id: int) -> CaseRecord:
    """The case with its alerts, tasks, notes, links, events and access list."""
    row = repo.open(case_id)
    s = repo.session
    alerts = s.scalars(select(Alert).where(Alert.case_id == row.id)
                       .options(selectinload(Alert.subjects), selectinload(Alert.hosts),
                                selectinload(Alert.findings),
                                selectinload(Alert.observables))
                       .order_by(Alert.event_time, Alert.id)).all()
    tasks = s.scalars(select(CaseTask).where(CaseTask.case_id == row.id)
                      .order_by(CaseTask.id)).all()
    names = repo.account_names({t.assignee_id for t in tasks if t.assignee_id is not None})
    notes = s.scalars(select(CaseNote).where(CaseNote.case_id == row.id)
                      .order_by(CaseNote.id)).all()
    links = s.scalars(select(CaseLink).where(CaseLink.case_id == row.id)
                      .order_by(CaseLink.kind, CaseLink.value)).all()
    events = s.scalars(select(CaseEvent).where(CaseEvent.case_id == row.id)
                       .order_by(CaseEvent.at, CaseEvent.id)).all()
    return CaseRecord(repo.view(row), tuple(alert_view(a) for a in alerts),
                      tuple(task_view(t, names) for t in tasks),
                      tuple(note_view(n) for n in notes), tuple(link_view(n) for n in links),
                      tuple(event_view(e) for e in events),
                      tuple(repo.access_names(row.id)) if row.restricted else ())


def add_task(repo: CaseRepository, case_id: int, title: str,
             assignee: str | None = None) -> int:
    """A new open task; returns its id."""
    row = repo.open(case_id)
    text = " ".join(title.split())
    if not text or len(text) > 1000:
        raise CaseError(f"case {case_id}: a task title has 1 to 1000 characters")
    task = CaseTask(case_id=row.id, title=text, created_at=repo.clock(),
                    assignee_id=repo.account_id(assignee) if assignee else None)
    repo.session.add(task)
    repo.session.flush()
    repo.record(row, "task.add", None, {"task": task.id, "title": text,
                                        "assignee": assignee})
    return task.id


def finish_task(repo: CaseRepository, case_id: int, task_id: int, done: bool = True) -> None:
    """Mark a task done (or open again)."""
    row = repo.open(case_id)
    task = repo.session.get(CaseTask, task_id)
    if task is None or task.case_id != row.id:
        raise NotFoundError(f"case {case_id}: no task {task_id}")
    if task.done == done:
        return
    repo.record(row, "task.done" if done else "task.reopen",
                {"task": task.id, "done": task.done}, {"task": task.id, "done": done})
    task.done, task.done_at = done, (repo.clock() if done else None)


def add_note(repo: CaseRepository, case_id: int, body: str) -> int:
    """A Markdown note by the viewer; returns its id."""
    row = repo.open(case_id)
    if not body.strip() or len(body) > MAX_NOTE:
        raise CaseError(f"case {case_id}: a note has 1 to {MAX_NOTE:,} characters")
    now = repo.clock()
    note = CaseNote(case_id=row.id, author=repo.viewer.name, body=body, created_at=now,
                    updated_at=now)
    repo.session.add(note)
    repo.session.flush()
    repo.record(row, "note.add", None, {"note": note.id, "characters": len(body)})
    return note.id


def parse_link(kind: str, value: str, case_id: int) -> LinkView:
    """A link, checked: person (user id), host, or observable ``type:value``."""
    text = value.strip()
    if kind not in LINK_KINDS:
        raise CaseError(f"case {case_id}: link kind {kind!r}: expected "
                        f"{', '.join(LINK_KINDS)}")
    if not text or len(text) > MAX_LINK:
        raise CaseError(f"case {case_id}: a {kind} link has 1 to {MAX_LINK} characters")
    if kind == "observable":
        kind_, _, rest = text.partition(":")
        if not kind_.strip() or not rest.strip():
            raise CaseError(f"case {case_id}: observable {text!r}: expected TYPE:VALUE "
                            "(ip:10.0.0.9)")
        text = f"{kind_.strip().lower()}:{rest.strip()}"
    return LinkView(kind, text)


def link(repo: CaseRepository, case_id: int, links: Iterable[LinkView],
         remove: bool = False) -> int:
    """Add (or remove) links; returns how many changed. Adding a person checks again
    that the viewer is not recused from them."""
    row = repo.open(case_id)
    wanted = list(dict.fromkeys(parse_link(k.kind, k.value, case_id) for k in links))
    have = {(c.kind, c.value): c for c in repo.session.scalars(
        select(CaseLink).where(CaseLink.case_id == row.id))}
    changed = 0
    for item in wanted:
        present = have.get((item.kind, item.value))
        if remove and present is not None:
            repo.session.delete(present)
        elif not remove and present is None:
            repo.session.add(CaseLink(case_id=row.id, kind=item.kind, value=item.value))
        else:
            continue
        changed += 1
        repo.record(row, "link.remove" if remove else "link.add", None,
                    {"kind": item.kind, "value": item.value})
    repo.admit(row)
    return changed


def attach_alerts(repo: CaseRepository, case_id: int, alert_ids: Iterable[int]) -> int:
    """Put stored alerts into the case (an alert belongs to one case: moving one from
    another case is refused); returns how many were added. An alert outside the
    viewer's regions reads as absent, as it does in the queue."""
    row = repo.open(case_id)
    ids = sorted(set(alert_ids))
    found = {a.id: a for a in repo.session.scalars(select(Alert).where(Alert.id.in_(ids)))}
    added = 0
    deltas = rollups.Deltas()
    for alert_id in ids:
        alert = found.get(alert_id)
        if alert is None or not repo.viewer.scope.allows(alert.region):
            raise NotFoundError(f"alert {alert_id}: no such alert")
        if alert.case_id == row.id:
            continue
        if alert.case_id is not None:
            raise CaseWorkflowError(f"alert {alert_id} is in case {alert.case_id} already")
        deltas.alert(alert, -1)
        alert.case_id = row.id
        deltas.alert(alert)
        added += 1
        repo.record(row, "alert.attach", None, {"alert": alert_id})
    rollups.apply(repo.session, deltas)   # the metrics count alerts in a case
    repo.admit(row)
    return added


__all__ = ["ROOT_CAUSE_TEMPLATE", "add_note", "add_task", "attach_alerts", "finish_task",
           "link", "parse_link", "record", "root_cause_note", "utcnow"]
