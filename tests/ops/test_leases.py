"""Two schedulers on one store never run a job twice: the lease is taken in one
conditional UPDATE, on SQLite and PostgreSQL, by threads and by processes at once."""

from __future__ import annotations

import multiprocessing
import threading
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from watchkeeper.ops.clock import FixedClock
from watchkeeper.ops.jobstore import JobStore
from watchkeeper.ops.scheduler import Job, JobContext, JobResult, Policy, Scheduler
from watchkeeper.store import StateStore, StoreLocation

T0 = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
LEASE = timedelta(minutes=1)
ROUNDS = 12


def test_one_of_many_claims_at_once_wins(state_store: StateStore) -> None:
    jobs = JobStore(state_store)
    jobs.ensure(["j"], T0)
    start = threading.Barrier(6)
    won: list[str] = []

    def claim(me: str) -> None:
        start.wait()
        if jobs.claim("j", me, T0, T0 + LEASE) is not None:
            won.append(me)

    threads = [threading.Thread(target=claim, args=(f"t{n}",)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(won) == 1
    assert jobs.states()["j"].lease_holder == won[0]
    assert jobs.claim("j", "late", T0 + LEASE - timedelta(seconds=1), T0) is None
    assert jobs.claim("j", "late", T0 + LEASE, T0 + 2 * LEASE) is not None  # ran out


def test_a_holder_that_lost_its_lease_changes_nothing(state_store: StateStore) -> None:
    jobs = JobStore(state_store)
    jobs.ensure(["j"], T0)
    assert jobs.claim("j", "old", T0, T0 + LEASE) is not None
    assert jobs.claim("j", "new", T0 + LEASE, T0 + 2 * LEASE) is not None
    assert not jobs.renew("j", "old", T0 + 3 * LEASE)
    assert not jobs.release("j", "old")
    assert jobs.states()["j"].lease_holder == "new"


def _scheduler(store: StateStore, clock: FixedClock, holder: str, log: Path) -> Scheduler:
    def record(ctx: JobContext) -> JobResult:
        with log.open("a") as fh:   # one short append: whole lines, whoever writes
            fh.write(f"{ctx.now.isoformat()} {holder}\n")
        return JobResult("recorded")

    job = Job("j", record, timedelta(seconds=90), "records who ran it")
    return Scheduler(JobStore(store), [job], lambda: nullcontext(None), clock=clock,
                     policy=Policy(lease=LEASE), holder=holder)


def _rounds(store: StateStore, holder: str, log: Path, barrier: Any) -> None:
    """Both schedulers start each round together, their clocks at the same time."""
    clock = FixedClock(T0)
    scheduler = _scheduler(store, clock, holder, log)
    for r in range(ROUNDS):
        clock.set(T0 + r * 2 * LEASE)
        barrier.wait()
        scheduler.run_once()


def _runs(log: Path) -> list[str]:
    return sorted(line.split()[0] for line in log.read_text().splitlines())


def expected() -> list[str]:
    return sorted((T0 + r * 2 * LEASE).isoformat() for r in range(ROUNDS))


def test_two_scheduler_threads_run_each_round_once(state_store: StateStore,
                                                   tmp_path: Path) -> None:
    log = tmp_path / "runs.log"
    log.touch()
    barrier = threading.Barrier(2)
    threads = [threading.Thread(target=_rounds, args=(state_store, who, log, barrier))
               for who in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert _runs(log) == expected()
    assert JobStore(state_store).states()["j"].runs == ROUNDS


def _process(location: StoreLocation, holder: str, log: Path, barrier: Any) -> None:
    store = StateStore.open(location)
    try:
        _rounds(store, holder, log, barrier)
    finally:
        store.close()


def test_two_scheduler_processes_run_each_round_once(state_store: StateStore,
                                                     tmp_path: Path) -> None:
    log = tmp_path / "runs.log"
    log.touch()
    JobStore(state_store).ensure(["j"], T0)
    state_store.engine.dispose()   # no pooled connection is shared with the children
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(2)
    workers = [context.Process(target=_process,
                               args=(state_store.location, who, log, barrier))
               for who in ("p", "q")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert [w.exitcode for w in workers] == [0, 0]
    assert _runs(log) == expected()
    assert JobStore(state_store).states()["j"].runs == ROUNDS
