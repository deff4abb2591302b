"""The scheduler's jobs: a registry, the built-in jobs, and their settings applied.

A job is registered with one line, a `Job` whose function takes a `JobContext` (its
own workspace, the time, its bookmark) and returns a `JobResult` (one summary line)::

    register(Job("sla-tick", sla_tick_job, timedelta(minutes=1),
                 "bring SLA clocks up to date, escalate new breaches"))

Built in:

=============  =======  =============================================================
job            every    what it does
=============  =======  =============================================================
events         10 s     commit the events posted to /api/v1/events (micro-batches)
drop-folders   1 min    ingest new files of the [[scheduler.drop_folders]]
detect         1 min    run the rules on new data, queue their alerts; at once after
                        ``events`` or ``drop-folders`` stored something
analyze        1 day    behaviour analytics and risk on new data, queue risk alerts
expiry         5 min    audit suppressions that ended; remove expired sessions; revoke
                        grants of leavers and movers (HR), audit grants that ended
sla-tick       1 min    bring SLA clocks up to date, escalate new breaches
handoffs       1 min    write hand-offs at shift ends, flag unacknowledged ones
playbooks      10 s     run the playbook steps due: queued ones, retries after back-off
violations     1 hour   check data-store access events for access violations, store
                        the new ones as findings and queue their alerts
=============  =======  =============================================================

`detect`, `analyze` and `violations` skip a run when no ingest has committed since their last one.
``[scheduler.jobs.NAME]`` in watchkeeper.toml sets ``every``, ``timeout``, ``enabled``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from watchkeeper.config import SchedulerSettings
from watchkeeper.errors import ConfigError
from watchkeeper.ops import dropfolders
from watchkeeper.ops.events_intake import commit_spool
from watchkeeper.ops.expiry import expire
from watchkeeper.ops.scheduler import Job, JobContext, JobResult, with_settings

if TYPE_CHECKING:
    from watchkeeper.workspace import Workspace

REGISTRY: dict[str, Job] = {}

# What the jobs import as they run, imported once before the first job thread starts:
# two threads importing modules that import each other (the risk package and its
# feedback module, say) can meet in Python's import locks, and one of them then fails
# with "deadlock detected" instead of waiting.
JOB_MODULES = (
    "watchkeeper.risk", "watchkeeper.risk.feedback", "watchkeeper.cases.service",
    "watchkeeper.cases.alerts", "watchkeeper.cases.sync", "watchkeeper.ops.verdicts",
    "watchkeeper.ops.watchlists", "watchkeeper.ops.sla", "watchkeeper.ops.escalation",
    "watchkeeper.ops.handoff", "watchkeeper.ops.notify", "watchkeeper.ops.hooks",
    "watchkeeper.ops.playbooks.queue", "watchkeeper.ops.playbooks.runner",
    "watchkeeper.access.grants", "watchkeeper.access.violations",
    "watchkeeper.access.violations_store", "watchkeeper.analysis", "watchkeeper.ingest",
)


def warm_imports() -> None:
    """Import `JOB_MODULES` in this thread (once per process: later calls are cheap)."""
    import importlib
    for name in JOB_MODULES:
        importlib.import_module(name)
EVENTS, DROP, DETECT, ANALYZE, EXPIRY = "events", "drop-folders", "detect", "analyze", "expiry"
INGEST_SEQ = "ingest_seq"   # a bookmark: the newest ingest commit a run has seen


def register(job: Job) -> Job:
    """Add a job to every scheduler made from now on (a job of the same name is
    replaced)."""
    REGISTRY[job.name] = job
    return job


def configured(settings: SchedulerSettings) -> list[Job]:
    """The registered jobs with ``[scheduler.jobs.NAME]`` applied; a name there that is
    no job is a `ConfigError`."""
    unknown = sorted(set(settings.jobs) - set(REGISTRY))
    if unknown:
        raise ConfigError(f"setting scheduler.jobs.{unknown[0]}: no such job (known: "
                          f"{', '.join(sorted(REGISTRY))})")
    jobs = []
    for job in REGISTRY.values():
        condition = _OFF_UNLESS.get(job.name)
        why = condition(settings) if condition is not None else None
        if why is not None:
            job = replace(job, enabled=False, disabled_why=why)
        given = settings.jobs.get(job.name)
        if given is not None:
            job = with_settings(job, given.every, given.timeout, given.enabled)
        jobs.append(job)
    return jobs


_OFF_UNLESS: dict[str, Callable[[SchedulerSettings], str | None]] = {
    DROP: lambda s: None if s.drop_folders else "no [[scheduler.drop_folders]] configured",
}


# -- the built-in jobs -----------------------------------------------------------------------


def _wait(workspace: Workspace) -> timedelta:
    return workspace.settings.scheduler.lake_wait


def newest_ingest(workspace: Workspace) -> int:
    """The sequence number of the lake's newest ingest commit (0: none)."""
    return max((c.seq for c in workspace.lake.manifest().commits if c.kind == "ingest"),
               default=0)


def events_job(ctx: JobContext) -> JobResult:
    done = commit_spool(ctx.workspace, _wait(ctx.workspace))
    report = done.report
    parts = []
    if report is not None and done.files:
        commit = f"commit #{report.commit}" if report.commit is not None else "no commit"
        parts.append(f"{report.read:,} event(s) from {done.files} post(s): accepted "
                     f"{report.accepted:,}, duplicates {report.duplicates:,}, quarantined "
                     f"{report.quarantined:,} ({commit})")
    if done.refused:
        parts.append(f"refused {len(done.refused)} spool file(s): {done.refused[0]}")
    accepted = report.accepted if report is not None and done.files else 0
    quarantined = report.quarantined if report is not None and done.files else 0
    return JobResult("; ".join(parts) or "no events waiting", changed=accepted > 0,
                     warning=bool(quarantined or done.refused))


def drop_folders_job(ctx: JobContext) -> JobResult:
    settings = ctx.workspace.settings.scheduler
    report = dropfolders.take_in(ctx.workspace, settings.drop_folders, ctx.now,
                                 settings.lake_wait)
    return JobResult(dropfolders.summary(report), changed=report.accepted > 0,
                     warning=bool(report.refused or report.missing or report.quarantined))


def detect_job(ctx: JobContext) -> JobResult:
    seq = newest_ingest(ctx.workspace)
    if seq <= int(ctx.cursor.get(INGEST_SEQ, 0)):
        return JobResult("no new data since the last run")
    ws = ctx.workspace
    rules = [p if p.is_absolute() else ws.root / p for p in ws.settings.scheduler.detect_rules]
    report = ws.detect(rules or None, wait=_wait(ws).total_seconds())
    cannot = f"; {len(report.errors)} rule(s) could not run" if report.errors else ""
    return JobResult(f"{report.stored:,} new finding(s) from {len(report.alerts)} rule(s) "
                     f"since {report.since}{cannot}; {_queued(ws)}",
                     changed=report.stored > 0, cursor={INGEST_SEQ: seq})


def analyze_job(ctx: JobContext) -> JobResult:
    seq = newest_ingest(ctx.workspace)
    if seq <= int(ctx.cursor.get(INGEST_SEQ, 0)):
        return JobResult("no new data since the last run")
    ws = ctx.workspace
    report = ws.analyze(wait=_wait(ws).total_seconds())
    days = f"{report.new_days} new day(s) up to {report.last_day}" if report.new_days \
        else "no new day"
    return JobResult(f"{days}, {report.alerts:,} risk alert(s); {_queued(ws)}",
                     changed=report.new_days > 0, cursor={INGEST_SEQ: seq})


def _queued(workspace: Workspace) -> str:
    sync = workspace.last_sync
    if sync is None:
        return "nothing queued"
    return f"queued {sync.intake.new:,} new and {sync.intake.updated:,} changed alert(s)"


def expiry_job(ctx: JobContext) -> JobResult:
    since = ctx.cursor.get("until")
    report = expire(ctx.workspace, datetime.fromisoformat(since) if since else None,
                    ctx.now)
    return JobResult(report.summary(), cursor={"until": ctx.now.isoformat()})


def sla_tick_job(ctx: JobContext) -> JobResult:
    tick = ctx.workspace.sla_tick(ctx.now)
    return JobResult(f"{tick.checked:,} case clock(s) checked, {len(tick.breaches):,} new "
                     f"breach(es), {tick.notified:,} notification(s)")


def handoffs_job(ctx: JobContext) -> JobResult:
    run = ctx.workspace.handoffs_due(ctx.now)
    return JobResult(f"{len(run.written):,} hand-off(s) written, {len(run.flagged):,} "
                     f"flagged unacknowledged, {run.notified:,} notification(s)")


def playbooks_job(ctx: JobContext) -> JobResult:
    done = ctx.workspace.playbooks_run_due(ctx.now)
    return JobResult(done.summary(), changed=done.attempted > 0, warning=done.failed > 0)


def violations_job(ctx: JobContext) -> JobResult:
    """Every stored day is checked (a volume or movement needs the days before; ids
    are stable, so violations found before are not stored twice)."""
    seq = newest_ingest(ctx.workspace)
    if seq <= int(ctx.cursor.get(INGEST_SEQ, 0)):
        return JobResult("no new data since the last run")
    ws = ctx.workspace
    run = ws.violations_detect(wait=_wait(ws).total_seconds())
    kinds = ", ".join(f"{k} {n}" for k, n in run.counts.items() if n) or "none"
    queued = "nothing queued"
    if run.stored:
        ws.alerts_sync()
        queued = _queued(ws)
    return JobResult(f"{len(run.found):,} violation(s) ({kinds}), {run.stored:,} new; "
                     f"{queued}", changed=run.stored > 0, cursor={INGEST_SEQ: seq})


register(Job(EVENTS, events_job, timedelta(seconds=10),
             "commit events posted to /api/v1/events", timeout=timedelta(minutes=10)))
register(Job(DROP, drop_folders_job, timedelta(minutes=1),
             "ingest new files of the drop folders"))
register(Job(DETECT, detect_job, timedelta(minutes=1),
             "run the rules on new data, queue their alerts", follows=(EVENTS, DROP)))
register(Job(ANALYZE, analyze_job, timedelta(days=1),
             "behaviour analytics and risk on new data", timeout=timedelta(hours=2)))
register(Job(EXPIRY, expiry_job, timedelta(minutes=5),
             "audit ended suppressions, remove expired sessions",
             timeout=timedelta(minutes=5)))
register(Job("sla-tick", sla_tick_job, timedelta(minutes=1),
             "bring SLA clocks up to date, escalate new breaches (docs/operations.md)"))
register(Job("handoffs", handoffs_job, timedelta(minutes=1),
             "write hand-offs at shift ends, flag unacknowledged ones"))
register(Job("playbooks", playbooks_job, timedelta(seconds=10),
             "run the playbook steps due, retry failed ones after back-off",
             timeout=timedelta(minutes=10)))
register(Job("violations", violations_job, timedelta(hours=1),
             "find access violations in data-store events, queue them (docs/access.md)",
             timeout=timedelta(minutes=30)))
