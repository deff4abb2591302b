"""The scheduler: jobs on intervals, each run in a thread of its own under a lease.

A `Job` is a name, a function of a `JobContext` returning a `JobResult`, an interval
and a timeout (`ops.jobs` holds the registry). A `Scheduler` runs them against one
state store (`ops.jobstore`):

- **due**: a job runs when its ``next_run`` has come and nobody holds its lease; it is
  taken with the lease first (`JobStore.claim`), so two schedulers on one store never
  run it twice. The lease is renewed while the run lasts; a crashed scheduler's lease
  runs out and another one takes the job over.
- **one job never blocks another**: every run has its own thread; the scheduler only
  starts runs and collects their ends. A run past its timeout is recorded as failed
  ("timed out") and retried; while its thread is still alive the job is not started
  again here, and its lease is kept.
- **failures**: a run that raises is recorded as failed with its one-line error, and
  retried after a back-off that doubles per failure in a row, from ``retry_base`` up to
  ``retry_max``; a success resets it.
- **follows**: a run that stored new data (`JobResult.changed`) makes the jobs that
  follow it due at once (detect after a micro-batch of events).

Time comes from a `Clock`; `tick` does one round of work, so tests drive the scheduler
step by step with a `FixedClock` and never sleep. `start` runs `tick` in a background
thread (``watchkeeper serve``); `run_once` runs what is due and waits for it (cron).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from watchkeeper.errors import NotFoundError, WatchkeeperError
from watchkeeper.ops.clock import Clock
from watchkeeper.ops.jobstore import FAILED, OK, WARNING, Finish, JobState, JobStore

if TYPE_CHECKING:
    from watchkeeper.workspace import Workspace

log = logging.getLogger("watchkeeper.scheduler")
log.addHandler(logging.NullHandler())   # silent unless a surface logs (`serve` does)

BUSY = "busy"   # a run-once outcome: another scheduler holds the job


@dataclass(frozen=True)
class JobResult:
    """What a run did, in one line (`summary`); `changed`: it stored new data (the jobs
    that follow it run now); `warning`: it finished but refused or quarantined input;
    `cursor`: the job's new bookmark (None: unchanged)."""

    summary: str
    changed: bool = False
    warning: bool = False
    cursor: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class JobContext:
    """What a run gets: a workspace of its own (its own lake reader, the shared state
    store), the time it started, and the bookmark its last run left."""

    workspace: Workspace
    now: datetime
    cursor: Mapping[str, Any]


JobFn = Callable[[JobContext], JobResult]


@dataclass(frozen=True)
class Job:
    """A job: `run` every `every`; a run longer than `timeout` fails; `follows`: jobs
    whose new data makes this one due at once."""

    name: str
    run: JobFn
    every: timedelta
    description: str
    timeout: timedelta = timedelta(minutes=30)
    follows: tuple[str, ...] = ()
    enabled: bool = True
    disabled_why: str | None = None   # shown when a job is off by default


@dataclass(frozen=True)
class Policy:
    """The scheduler's own settings (`[scheduler]` in watchkeeper.toml)."""

    tick: timedelta = timedelta(seconds=1)
    lease: timedelta = timedelta(seconds=60)
    retry_base: timedelta = timedelta(seconds=30)
    retry_max: timedelta = timedelta(minutes=15)

    def retry_delay(self, failures: int) -> timedelta:
        """The back-off after `failures` failures in a row (1 or more)."""
        doubled: timedelta = self.retry_base * (1 << max(0, min(failures - 1, 30)))
        return min(doubled, self.retry_max)


@dataclass(frozen=True)
class JobRun:
    """One run as recorded: outcome ``ok``, ``warning``, ``failed``, or ``busy`` (held by
    another scheduler: not run)."""

    name: str
    outcome: str
    started: datetime
    ended: datetime | None
    next_run: datetime | None
    summary: str | None = None
    error: str | None = None
    attempts: int = 0


@dataclass(frozen=True)
class JobStatus:
    """A job as `scheduler jobs` and ``GET /api/v1/jobs`` show it: its settings, whether
    it runs now (and under whom), its last run and its next."""

    name: str
    description: str
    enabled: bool
    disabled_why: str | None
    every_seconds: float
    timeout_seconds: float
    follows: tuple[str, ...]
    running: bool
    lease_holder: str | None
    lease_expires: datetime | None
    next_run: datetime | None
    last_start: datetime | None
    last_end: datetime | None
    outcome: str | None
    summary: str | None
    error: str | None
    attempts: int
    runs: int
    failures: int


def status_of(job: Job, state: JobState | None, now: datetime) -> JobStatus:
    held = state is not None and state.leased(now)
    return JobStatus(
        job.name, job.description, job.enabled, job.disabled_why,
        job.every.total_seconds(), job.timeout.total_seconds(), job.follows, held,
        state.lease_holder if held and state is not None else None,
        state.lease_expires if held and state is not None else None,
        state.next_run if state is not None else None,
        *((state.last_start, state.last_end, state.outcome, state.summary, state.error,
           state.attempts, state.runs, state.failures) if state is not None
          else (None, None, None, None, None, 0, 0, 0)))


@dataclass
class _Run:
    job: Job
    claimed: JobState
    started: datetime
    lease_until: datetime
    thread: threading.Thread | None = None
    result: JobResult | None = None
    error: str | None = None
    done: threading.Event = field(default_factory=threading.Event)
    timed_out: bool = False


WorkspaceFactory = Callable[[], AbstractContextManager["Workspace"]]


def holder_name() -> str:
    """Who holds a lease: host, process and a random part (two schedulers in one
    process are two holders)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def one_line(exc: BaseException) -> str:
    """An exception as the one line a job's error shows."""
    if isinstance(exc, WatchkeeperError):
        return " ".join(str(exc).split())
    text = str(exc).strip()
    first = text.splitlines()[0] if text else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


class Scheduler:
    """Runs `jobs` against `store`; see the module docstring."""

    def __init__(self, store: JobStore, jobs: Sequence[Job], workspace: WorkspaceFactory,
                 *, clock: Clock, policy: Policy | None = None,
                 holder: str | None = None) -> None:
        self.store = store
        self.jobs = {j.name: j for j in jobs}
        self.workspace = workspace
        self.clock = clock
        self.policy = policy or Policy()
        self.holder = holder or holder_name()
        self.in_flight: dict[str, _Run] = {}
        self._followers = _followers(jobs)
        self._ensured = False
        self._stop = threading.Event()
        self._wakeup = threading.Event()
        self._thread: threading.Thread | None = None

    # -- one round ------------------------------------------------------------------------

    def tick(self) -> list[JobRun]:
        """Record runs that ended or overran, renew leases, start due jobs; the runs
        recorded in this round."""
        self._ensure()
        now = self.clock.now()
        recorded = self._collect(now)
        self._renew(now)
        for name in self.due(now):
            self._start(name, now)
        return recorded

    def due(self, now: datetime) -> list[str]:
        """Enabled jobs whose time has come, not running here and not leased elsewhere."""
        self._ensure()
        states = self.store.states()
        return [name for name, job in self.jobs.items()
                if job.enabled and name not in self.in_flight and name in states
                and states[name].next_run <= now and not states[name].leased(now)]

    def statuses(self) -> list[JobStatus]:
        """Every job with its stored state, in registry order (a job no scheduler has
        seen yet has none: it is due at the first round). Reads only."""
        states = self.store.states()
        now = self.clock.now()
        return [status_of(job, states.get(name), now) for name, job in self.jobs.items()]

    def _ensure(self) -> None:
        if not self._ensured:
            self.store.ensure(self.jobs, self.clock.now())
            self._ensured = True

    def _start(self, name: str, now: datetime, *, force: bool = False) -> _Run | None:
        until = now + self.policy.lease
        claimed = self.store.claim(name, self.holder, now, until, force=force)
        if claimed is None:
            return None
        run = _Run(self.jobs[name], claimed, now, until)
        run.thread = threading.Thread(target=self._work, args=(run,), daemon=True,
                                      name=f"watchkeeper-job-{name}")
        self.in_flight[name] = run
        run.thread.start()
        return run

    def _work(self, run: _Run) -> None:
        try:
            with self.workspace() as workspace:
                result = run.job.run(JobContext(workspace, run.started, run.claimed.cursor))
            run.result = result if isinstance(result, JobResult) else JobResult(str(result))
        except BaseException as exc:  # a job's failure is its outcome, never ours
            run.error = one_line(exc) or "failed"
        finally:
            run.done.set()
            self._wakeup.set()

    def _collect(self, now: datetime) -> list[JobRun]:
        recorded: list[JobRun] = []
        for name, run in list(self.in_flight.items()):
            if run.done.is_set():
                del self.in_flight[name]
                if run.timed_out:   # already recorded as failed; its lease ends now
                    self.store.release(name, self.holder)
                else:
                    recorded.append(self._record(run, now))
            elif not run.timed_out and now >= run.started + run.job.timeout:
                run.timed_out = True
                recorded.append(self._record_timeout(run, now, keep_lease=True))
        return recorded

    def _renew(self, now: datetime) -> None:
        for name, run in self.in_flight.items():
            if run.lease_until - now <= self.policy.lease / 2:
                until = now + self.policy.lease
                if self.store.renew(name, self.holder, until):
                    run.lease_until = until
                else:
                    log.warning("job %s: lease lost while running", name)

    # -- recording ------------------------------------------------------------------------

    def _record(self, run: _Run, now: datetime) -> JobRun:
        job, result = run.job, run.result
        if result is None:
            return self._failed(run, now, run.error or "failed")
        outcome = WARNING if result.warning else OK
        next_run = max(run.started + job.every, now)
        end = Finish(outcome, now, next_run, result.summary, None, result.cursor)
        if not self.store.finish(job.name, self.holder, end, failed=False):
            log.warning("job %s: finished after its lease was taken over", job.name)
        if result.changed:
            self.store.wake(self._followers.get(job.name, ()), now)
        level = logging.INFO if result.changed or result.warning else logging.DEBUG
        log.log(level, "job %s: %s: %s", job.name, outcome, result.summary)
        return JobRun(job.name, outcome, run.started, now, next_run, result.summary)

    def _record_timeout(self, run: _Run, now: datetime, *, keep_lease: bool) -> JobRun:
        limit = run.job.timeout.total_seconds()
        return self._failed(run, now, f"timed out after {limit:g} s", keep_lease=keep_lease)

    def _failed(self, run: _Run, now: datetime, error: str, *,
                keep_lease: bool = False) -> JobRun:
        attempts = run.claimed.attempts + 1
        next_run = now + self.policy.retry_delay(attempts)
        end = Finish(FAILED, now, next_run, None, error, None)
        self.store.finish(run.job.name, self.holder, end, failed=True, keep_lease=keep_lease)
        log.warning("job %s failed (attempt %d, retry at %s): %s", run.job.name, attempts,
                    next_run.isoformat(timespec="seconds"), error)
        return JobRun(run.job.name, FAILED, run.started, now, next_run, None, error, attempts)

    # -- cron: run what is due, once --------------------------------------------------------

    def run_once(self, names: Iterable[str] = ()) -> list[JobRun]:
        """Run the due jobs (or the jobs `names`, due or not) and wait for them, each up
        to its timeout; a job another scheduler holds is reported ``busy``."""
        _warm()
        self._ensure()
        now = self.clock.now()
        wanted = list(names)
        unknown = [n for n in wanted if n not in self.jobs]
        if unknown:
            raise NotFoundError(f"job {unknown[0]!r}: no such job (known: "
                                f"{', '.join(sorted(self.jobs))})")
        chosen = wanted or self.due(now)
        runs: list[_Run] = []
        skipped: list[JobRun] = []
        for name in chosen:
            run = None if name in self.in_flight else \
                self._start(name, now, force=bool(wanted))
            if run is not None:
                runs.append(run)
            else:
                skipped.append(self._busy(name, now))
        done = self._wait_all(runs)
        return skipped + done

    def _wait_all(self, runs: list[_Run]) -> list[JobRun]:
        started = time.monotonic()
        out = []
        for run in runs:
            left = run.job.timeout.total_seconds() - (time.monotonic() - started)
            run.done.wait(max(0.0, left))
            self.in_flight.pop(run.job.name, None)
            now = self.clock.now()
            if run.done.is_set():
                out.append(self._record(run, now))
            else:   # this process ends soon: the thread with it, so the lease goes now
                out.append(self._record_timeout(run, now, keep_lease=False))
        return out

    def _busy(self, name: str, now: datetime) -> JobRun:
        state = self.store.states()[name]
        holder = state.lease_holder if state.leased(now) else None
        why = f"running under {holder}" if holder else "not due"
        return JobRun(name, BUSY, now, None, state.next_run, why)

    # -- in the background (serve) ----------------------------------------------------------

    def start(self) -> None:
        """Tick every `Policy.tick` in a daemon thread until `stop`."""
        if self._thread is not None:
            return
        _warm()
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, daemon=True,
                                        name="watchkeeper-scheduler")
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception as exc:   # the store may be down for a while: keep going
                log.warning("scheduler: %s", one_line(exc))
            self._wakeup.wait(self.policy.tick.total_seconds())
            self._wakeup.clear()

    def stop(self, grace: float = 10.0) -> list[JobRun]:
        """Stop ticking; wait up to `grace` seconds for running jobs, record them, and
        record those still running as failed ("interrupted"), their leases released."""
        self._stop.set()
        self._wakeup.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        deadline = time.monotonic() + grace
        recorded = []
        for name, run in list(self.in_flight.items()):
            run.done.wait(max(0.0, deadline - time.monotonic()))
            del self.in_flight[name]
            now = self.clock.now()
            try:
                if run.timed_out:
                    self.store.release(name, self.holder)
                elif run.done.is_set():
                    recorded.append(self._record(run, now))
                else:
                    recorded.append(self._failed(run, now, "interrupted: the scheduler "
                                                           "stopped while it ran"))
            except WatchkeeperError as exc:
                log.warning("job %s: %s", name, exc)
        return recorded


def _followers(jobs: Iterable[Job]) -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for job in jobs:
        for leader in job.follows:
            out.setdefault(leader, []).append(job.name)
    return {k: tuple(v) for k, v in out.items()}


def with_settings(job: Job, every: timedelta | None, timeout: timedelta | None,
                  enabled: bool | None) -> Job:
    """The job with the settings given (None: its default)."""
    return replace(job, every=every or job.every, timeout=timeout or job.timeout,
                   enabled=job.enabled if enabled is None else enabled,
                   disabled_why=job.disabled_why if enabled is None else
                   (None if enabled else "disabled in watchkeeper.toml"))


def _warm() -> None:
    """Import what the jobs import, here, before any job thread starts
    (`ops.jobs.warm_imports`: concurrent first imports can fail as a deadlock)."""
    from watchkeeper.ops.jobs import warm_imports
    warm_imports()
