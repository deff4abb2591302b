"""The workspace's operations jobs: the scheduler and the event intake."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING

from watchkeeper.facade.state import StateJobs

if TYPE_CHECKING:
    from watchkeeper.ops.clock import Clock
    from watchkeeper.ops.events_intake import EventsStaged
    from watchkeeper.ops.scheduler import JobRun, JobStatus, Scheduler
    from watchkeeper.workspace import Workspace


class OpsJobs(StateJobs):
    """The workspace's operations jobs: the scheduler and the event intake."""

    if TYPE_CHECKING:  # defined by Workspace itself
        def job_workspace(self) -> AbstractContextManager[Workspace]: ...

    def scheduler(self, clock: Clock | None = None, holder: str | None = None) -> Scheduler:
        """The scheduler over this workspace's jobs (`ops.jobs`, with ``[scheduler]``
        applied) and state store; `start` it, or `tick` it."""
        from watchkeeper.ops.clock import SystemClock
        from watchkeeper.ops.jobs import configured
        from watchkeeper.ops.jobstore import JobStore
        from watchkeeper.ops.scheduler import Policy, Scheduler
        s = self.settings.scheduler
        policy = Policy(tick=s.tick, lease=s.lease, retry_base=s.retry_base,
                        retry_max=s.retry_max)
        return Scheduler(JobStore(self.state), configured(s), self.job_workspace,
                         clock=clock or SystemClock(), policy=policy, holder=holder)

    def scheduler_run_once(self, jobs: Sequence[str] = (),
                           clock: Clock | None = None) -> tuple[JobRun, ...]:
        """Run the due jobs (or `jobs`, due or not) once and wait for them (cron)."""
        return tuple(self.scheduler(clock).run_once(jobs))

    def scheduler_jobs(self, clock: Clock | None = None) -> tuple[JobStatus, ...]:
        """Every job: settings, last run and outcome, next run, who runs it now."""
        return tuple(self.scheduler(clock).statuses())

    def events_receive(self, payload: bytes, received: datetime) -> EventsStaged:
        """Check a post of OCSF events (one or a list) and spool it durably for the
        ``events`` job; a bad event refuses the post (`IntakeError` naming the field)."""
        from watchkeeper.ops.events_intake import receive
        from watchkeeper.sources.base import SourceContext
        s = self.settings.ingest
        ctx = SourceContext(timezone=s.timezone, company_domains=tuple(s.company_domains))
        return receive(self.root, payload, ctx, received)
