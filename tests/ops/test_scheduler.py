"""The scheduler on both stores, driven by a `FixedClock` one `tick` at a time: due jobs
run and record their outcome; failures retry with a capped back-off; a job that hangs
blocks no other and times out; a job that stored data wakes the jobs that follow it."""

from __future__ import annotations

import threading
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from watchkeeper.errors import NotFoundError
from watchkeeper.ops.clock import FixedClock
from watchkeeper.ops.jobstore import JobStore
from watchkeeper.ops.scheduler import Job, JobContext, JobResult, Policy, Scheduler
from watchkeeper.store import StateStore

T0 = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
WAIT = 10.0   # seconds a test waits for a job's thread (an event, never a sleep)
POLICY = Policy(retry_base=timedelta(seconds=30), retry_max=timedelta(minutes=4),
                lease=timedelta(seconds=60))


def no_workspace() -> AbstractContextManager[Any]:
    return nullcontext(None)


def ok(summary: str = "did it", **kw: Any) -> Any:
    def run(ctx: JobContext) -> JobResult:
        return JobResult(summary, **kw)
    return run


def make(store: StateStore, clock: FixedClock, *jobs: Job, holder: str = "one") -> Scheduler:
    return Scheduler(JobStore(store), jobs, no_workspace, clock=clock, policy=POLICY,
                     holder=holder)


def settle(s: Scheduler) -> None:
    """Wait (on their threads, not on time) for the runs in flight that can end."""
    for run in list(s.in_flight.values()):
        assert run.thread is not None
        run.thread.join(WAIT)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


def test_a_due_job_runs_and_waits_for_its_interval(state_store: StateStore,
                                                   clock: FixedClock) -> None:
    s = make(state_store, clock, Job("a", ok("3 things"), timedelta(minutes=5), "A"))
    assert s.tick() == []          # started
    settle(s)
    [run] = s.tick()
    assert (run.name, run.outcome, run.summary, run.next_run) == \
        ("a", "ok", "3 things", T0 + timedelta(minutes=5))
    clock.advance(timedelta(minutes=4))
    assert s.due(clock.now()) == []
    clock.advance(timedelta(minutes=1))
    assert s.due(clock.now()) == ["a"]
    row = JobStore(state_store).states()["a"]
    assert (row.outcome, row.runs, row.failures, row.lease_holder) == ("ok", 1, 0, None)
    assert (row.last_start, row.last_end) == (T0, T0)


def test_a_failing_job_is_retried_with_a_capped_back_off(state_store: StateStore,
                                                         clock: FixedClock) -> None:
    calls: list[datetime] = []

    def flaky(ctx: JobContext) -> JobResult:
        calls.append(ctx.now)
        if len(calls) <= 5:
            raise OSError("disk full\nsecond line never shown")
        return JobResult("fine again")

    s = make(state_store, clock, Job("flaky", flaky, timedelta(minutes=1), "F"))
    delays = []
    for _ in range(5):
        s.tick()
        settle(s)
        [run] = s.tick()
        assert run.outcome == "failed" and run.error == "OSError: disk full"
        assert run.next_run is not None
        delays.append(run.next_run - clock.now())
        clock.set(run.next_run)
    assert delays == [timedelta(seconds=s) for s in (30, 60, 120, 240, 240)]
    row = JobStore(state_store).states()["flaky"]
    assert (row.outcome, row.attempts, row.error) == ("failed", 5, "OSError: disk full")
    s.tick()
    settle(s)
    [run] = s.tick()
    assert run.outcome == "ok"
    row = JobStore(state_store).states()["flaky"]
    assert (row.attempts, row.failures, row.runs, row.error) == (0, 5, 6, None)


def test_a_hanging_job_blocks_no_other_and_times_out(state_store: StateStore,
                                                     clock: FixedClock) -> None:
    release = threading.Event()
    entered = threading.Event()

    def hang(ctx: JobContext) -> JobResult:
        entered.set()
        release.wait(WAIT)
        return JobResult("late")

    s = make(state_store, clock,
             Job("hang", hang, timedelta(minutes=1), "H", timeout=timedelta(minutes=2)),
             Job("quick", ok(), timedelta(minutes=1), "Q"))
    s.tick()
    assert entered.wait(WAIT)
    s.in_flight["quick"].done.wait(WAIT)
    [run] = s.tick()
    assert (run.name, run.outcome) == ("quick", "ok")
    assert JobStore(state_store).states()["hang"].leased(clock.now())
    clock.advance(timedelta(minutes=1))
    s.tick()                                   # quick runs again; hang is still running
    s.in_flight["quick"].done.wait(WAIT)
    assert [r.name for r in s.tick()] == ["quick"]
    clock.advance(timedelta(minutes=1))
    timed_out = [r for r in s.tick() if r.name == "hang"]
    assert timed_out[0].outcome == "failed"
    assert timed_out[0].error == "timed out after 120 s"
    assert "hang" in s.in_flight                # its thread lives: not started again
    row = JobStore(state_store).states()["hang"]
    assert row.outcome == "failed" and row.leased(clock.now())
    release.set()
    settle(s)
    clock.advance(timedelta(seconds=30))
    s.tick()                                    # its end releases the lease, and it is due
    assert JobStore(state_store).states()["hang"].outcome == "failed"
    assert "hang" in s.in_flight                # started again after the back-off


def test_new_data_wakes_the_jobs_that_follow(state_store: StateStore,
                                             clock: FixedClock) -> None:
    changed = [False]

    def feed(ctx: JobContext) -> JobResult:
        return JobResult("fed", changed=changed[0])

    s = make(state_store, clock, Job("feed", feed, timedelta(seconds=10), "F"),
             Job("detect", ok(), timedelta(hours=1), "D", follows=("feed",)))
    s.tick()
    settle(s)
    s.tick()
    clock.advance(timedelta(seconds=10))
    assert s.due(clock.now()) == ["feed"]       # nothing new: detect waits its hour
    changed[0] = True
    s.tick()
    settle(s)
    assert [r.name for r in s.tick()] == ["feed"]
    assert list(s.in_flight) == ["detect"]       # woken and started in the same round


def test_a_result_of_another_type_and_a_cursor(state_store: StateStore,
                                               clock: FixedClock) -> None:
    seen: list[dict[str, Any]] = []

    def bookmark(ctx: JobContext) -> JobResult:
        seen.append(dict(ctx.cursor))
        return JobResult("moved", cursor={"n": len(seen)})

    s = make(state_store, clock, Job("b", bookmark, timedelta(seconds=1), "B"))
    for _ in range(3):
        s.tick()
        settle(s)
        s.tick()
        clock.advance(timedelta(seconds=1))
    assert seen == [{}, {"n": 1}, {"n": 2}]


def test_run_once_runs_due_jobs_or_the_named_ones(state_store: StateStore,
                                                  clock: FixedClock) -> None:
    s = make(state_store, clock, Job("a", ok("A"), timedelta(hours=1), "A"),
             Job("b", ok("B"), timedelta(hours=1), "B", enabled=False))
    assert [(r.name, r.outcome) for r in s.run_once()] == [("a", "ok")]
    assert s.run_once() == []                  # nothing due now
    assert [(r.name, r.summary) for r in s.run_once(["b"])] == [("b", "B")]
    with pytest.raises(NotFoundError, match=r"job .c.: no such job \(known: a, b"):
        s.run_once(["c"])


def test_run_once_gives_up_on_a_job_past_its_timeout(state_store: StateStore,
                                                     clock: FixedClock) -> None:
    release = threading.Event()

    def hang(ctx: JobContext) -> JobResult:
        release.wait(WAIT)
        return JobResult("late")

    s = make(state_store, clock,
             Job("hang", hang, timedelta(minutes=1), "H", timeout=timedelta(seconds=0.2)))
    try:
        [run] = s.run_once()
        assert (run.outcome, run.error) == ("failed", "timed out after 0.2 s")
        assert not JobStore(state_store).states()["hang"].leased(clock.now())
    finally:
        release.set()


def test_a_job_held_elsewhere_is_busy_until_its_lease_runs_out(
        state_store: StateStore, clock: FixedClock) -> None:
    release = threading.Event()

    def hang(ctx: JobContext) -> JobResult:
        release.wait(WAIT)
        return JobResult("done")

    first = make(state_store, clock, Job("j", hang, timedelta(minutes=1), "J"),
                 holder="first")
    second = make(state_store, clock, Job("j", ok("second"), timedelta(minutes=1), "J"),
                  holder="second")
    try:
        first.tick()                            # first takes it, then "crashes"
        [busy] = second.run_once(["j"])
        assert (busy.outcome, busy.summary) == ("busy", "running under first")
        clock.advance(POLICY.lease)             # nobody renewed: the lease ran out
        [run] = second.run_once(["j"])
        assert (run.outcome, run.summary) == ("ok", "second")
    finally:
        release.set()
    settle(first)
    assert [r.outcome for r in first.tick()] == ["ok"]   # recorded as far as it may
    row = JobStore(state_store).states()["j"]
    assert (row.summary, row.lease_holder) == ("second", None)


def test_the_background_loop_runs_jobs_until_stopped(state_store: StateStore) -> None:
    ran = threading.Event()

    def signal(ctx: JobContext) -> JobResult:
        ran.set()
        return JobResult("signalled")

    s = Scheduler(JobStore(state_store), [Job("s", signal, timedelta(hours=1), "S")],
                  no_workspace, clock=FixedClock(T0),
                  policy=Policy(tick=timedelta(milliseconds=20)), holder="bg")
    s.start()
    try:
        assert ran.wait(WAIT)
    finally:
        s.stop()
    row = JobStore(state_store).states()["s"]
    assert (row.outcome, row.summary, row.lease_holder) == ("ok", "signalled", None)


def test_stopping_records_a_job_still_running_as_interrupted(
        state_store: StateStore, clock: FixedClock) -> None:
    release = threading.Event()
    entered = threading.Event()

    def hang(ctx: JobContext) -> JobResult:
        entered.set()
        release.wait(WAIT)
        return JobResult("late")

    s = make(state_store, clock, Job("hang", hang, timedelta(minutes=1), "H"))
    s.tick()
    assert entered.wait(WAIT)
    try:
        [run] = s.stop(grace=0.0)
    finally:
        release.set()
    assert (run.outcome, run.error) == ("failed",
                                        "interrupted: the scheduler stopped while it ran")
    assert JobStore(state_store).states()["hang"].lease_holder is None


def test_back_off_doubles_and_is_capped() -> None:
    policy = Policy(retry_base=timedelta(seconds=10), retry_max=timedelta(seconds=70))
    assert [policy.retry_delay(n).total_seconds() for n in range(1, 6)] == \
        [10, 20, 40, 70, 70]
    assert policy.retry_delay(10_000) == timedelta(seconds=70)



def test_what_jobs_import_is_imported_before_their_threads_start(
        state_store: StateStore, clock: FixedClock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Regression: `scheduler run-once` failed with "deadlock detected by
    _ModuleLock('watchkeeper.risk.feedback')" when two job threads first imported the
    risk package at once. The modules are imported in the starting thread first."""
    import sys

    from watchkeeper.ops import jobs
    seen: list[str] = []

    def job(ctx: JobContext) -> JobResult:
        seen.append(threading.current_thread().name)
        return JobResult("ran")

    warmed: list[str] = []
    monkeypatch.setattr(jobs, "warm_imports",
                        lambda: warmed.append(threading.current_thread().name))
    s = make(state_store, clock, Job("a", job, timedelta(hours=1), "A"))
    s.run_once()
    assert warmed == [threading.current_thread().name] and seen == ["watchkeeper-job-a"]
    monkeypatch.undo()
    jobs.warm_imports()   # every name it lists imports
    assert all(name in sys.modules for name in jobs.JOB_MODULES)
