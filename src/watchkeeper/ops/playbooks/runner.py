"""Running queued playbook steps, in order, with retries and back-off.

`run_due(ws, now)` takes every run that has a step due (the first step of the run not
finished, its ``due_at`` passed) and runs its steps one after the other. A step that
fails is tried again after ``retry_base`` x 2^(attempt-1) (at most ``retry_max``), up
to its retries; then it is ``failed`` with its last error, the steps after it are
``skipped``, and the run is ``failed``: nothing is dropped. Each step's result and
each run's end is a case event (``playbook.step``, ``playbook.run``) on the run's case.
The scheduler's ``playbooks`` job calls it; tests call it with a driven clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from watchkeeper.config import PlaybookSettings
from watchkeeper.ops.playbooks.queue import case_event
from watchkeeper.ops.playbooks.steps import INSIDE, OUTSIDE, Output, RunInfo
from watchkeeper.store.models import PlaybookRun, PlaybookStep

if TYPE_CHECKING:
    from watchkeeper.workspace import Workspace

ACTIVE = ("pending", "running")
DONE = ("succeeded", "failed", "skipped")
MAX_ERROR = 1000


@dataclass(frozen=True)
class RunPass:
    """What one pass did: steps attempted, and how they ended."""

    at: datetime
    attempted: int
    succeeded: int
    retrying: int
    failed: int
    runs_finished: int

    def summary(self) -> str:
        return (f"{self.attempted:,} step(s) run: {self.succeeded:,} done, "
                f"{self.retrying:,} to retry, {self.failed:,} failed; "
                f"{self.runs_finished:,} run(s) finished")


def backoff(settings: PlaybookSettings, attempts: int) -> timedelta:
    """The wait before the next attempt after `attempts` failed ones."""
    wait: timedelta = settings.retry_base * 2 ** max(0, attempts - 1)
    return min(wait, settings.retry_max)


def run_due(ws: Workspace, now: datetime, *, limit: int = 200) -> RunPass:
    """Run the steps due at `now` (at most `limit` runs in one pass)."""
    counts = {"attempted": 0, "succeeded": 0, "retrying": 0, "failed": 0, "finished": 0}
    for run_id in _due_runs(ws, now, limit):
        while True:
            step_id = _next_due(ws, run_id, now)
            if step_id is None:
                break
            ended = attempt(ws, run_id, step_id, now)
            counts["attempted"] += 1
            counts[ended] += 1
            if ended != "succeeded":
                break
        with ws.state.session() as s:
            run = s.get_one(PlaybookRun, run_id)
            counts["finished"] += run.status not in ACTIVE and run.finished_at == now
    return RunPass(now, counts["attempted"], counts["succeeded"], counts["retrying"],
                   counts["failed"], counts["finished"])


def _due_runs(ws: Workspace, now: datetime, limit: int) -> list[int]:
    with ws.state.session() as s:
        return list(s.scalars(
            select(PlaybookRun.id).where(
                PlaybookRun.status.in_(ACTIVE),
                PlaybookRun.id.in_(select(PlaybookStep.run_id).where(
                    PlaybookStep.status == "pending", PlaybookStep.due_at <= now)))
            .order_by(PlaybookRun.id).limit(limit)))


def _next_due(ws: Workspace, run_id: int, now: datetime) -> int | None:
    """The run's first unfinished step, if it is due."""
    with ws.state.session() as s:
        step = s.scalars(select(PlaybookStep).where(
            PlaybookStep.run_id == run_id, PlaybookStep.status.not_in(DONE))
            .order_by(PlaybookStep.position).limit(1)).first()
        return step.id if step is not None and step.due_at <= now else None


def attempt(ws: Workspace, run_id: int, step_id: int, now: datetime) -> str:
    """One attempt of one step: ``succeeded``, ``retrying`` or ``failed``."""
    with ws.state.session() as s:
        run, step = s.get_one(PlaybookRun, run_id), s.get_one(PlaybookStep, step_id)
        info, action, spec = RunInfo.of(run), step.action, dict(step.spec)
    try:
        output: Output = OUTSIDE[action](ws, info, spec, now) if action in OUTSIDE else {}
        with ws.state.writing() as s:
            run, step = s.get_one(PlaybookRun, run_id), s.get_one(PlaybookStep, step_id)
            if action in INSIDE:
                output = INSIDE[action](ws, s, run, spec, now)
            if action == "group" and isinstance(output.get("case"), int):
                run.case_id = int(str(output["case"]))
            _succeed(s, run, step, output, now)
        return "succeeded"
    except Exception as exc:
        error = f"{type(exc).__name__}: {' '.join(str(exc).split())}"[:MAX_ERROR]
        with ws.state.writing() as s:
            run, step = s.get_one(PlaybookRun, run_id), s.get_one(PlaybookStep, step_id)
            return _fail(s, run, step, error, ws.settings.playbooks, now)


def _succeed(s: Session, run: PlaybookRun, step: PlaybookStep, output: Output,
             now: datetime) -> None:
    step.attempts += 1
    step.status, step.output, step.finished_at = "succeeded", dict(output), now
    run.status = "running"
    case_event(s, run, "playbook.step", {"step": step.position, "action": step.action,
                                         "name": step.name, "status": "succeeded",
                                         "attempts": step.attempts}, now)
    s.flush()
    left = s.scalar(select(PlaybookStep.id).where(
        PlaybookStep.run_id == run.id, PlaybookStep.status.not_in(DONE)).limit(1))
    if left is None:
        _finish(s, run, "succeeded", now)


def _fail(s: Session, run: PlaybookRun, step: PlaybookStep, error: str,
          settings: PlaybookSettings, now: datetime) -> str:
    step.attempts += 1
    step.last_error = error
    run.status = "running"
    if step.attempts < step.max_attempts:
        step.due_at = now + backoff(settings, step.attempts)
        return "retrying"
    step.status, step.finished_at = "failed", now
    case_event(s, run, "playbook.step", {"step": step.position, "action": step.action,
                                         "name": step.name, "status": "failed",
                                         "attempts": step.attempts, "error": error}, now)
    for later in s.scalars(select(PlaybookStep).where(
            PlaybookStep.run_id == run.id, PlaybookStep.position > step.position,
            PlaybookStep.status == "pending")):
        later.status, later.finished_at = "skipped", now
        later.last_error = f"step {step.position} ({step.name}) failed"
    _finish(s, run, "failed", now)
    return "failed"


def _finish(s: Session, run: PlaybookRun, status: str, now: datetime) -> None:
    run.status, run.finished_at = status, now
    case_event(s, run, "playbook.run", {"status": status}, now)


__all__ = ["RunPass", "attempt", "backoff", "run_due"]
