"""`watchkeeper scheduler jobs|run-once`: the scheduler's jobs, and one round for cron."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

from watchkeeper.cli.render import emit_json, out

if TYPE_CHECKING:
    from watchkeeper.ops.scheduler import JobRun, JobStatus

app = typer.Typer(name="scheduler", no_args_is_help=True, help="""\
The scheduler: what its jobs did last, what they do next; one round for cron.

`watchkeeper serve` runs the scheduler (unless --no-scheduler); without a
server, cron can run `scheduler run-once` every minute. Jobs and their
settings: docs/operations.md.

Example: watchkeeper -w ws scheduler jobs
  watchkeeper -w ws scheduler run-once --job detect
""")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]


@app.command("jobs")
def jobs_cmd(ctx: typer.Context, json: JsonOpt = False) -> None:
    """List the jobs: interval, last run and outcome, next run, state.

    Times are UTC. A failed job shows its one-line error and when it is retried.

    Example: watchkeeper -w ws scheduler jobs
      watchkeeper -w ws scheduler jobs --json
    """
    listed = ctx.obj.open(create=False).scheduler_jobs()
    if json:
        emit_json({"jobs": [asdict(j) for j in listed]})
        return
    show_jobs(listed)


@app.command("run-once")
def run_once_cmd(
    ctx: typer.Context,
    job: Annotated[list[str] | None, typer.Option(
        "--job", metavar="NAME", help="Run this job now, due or not (repeatable); "
                                      "default: every job that is due.")] = None,
    json: JsonOpt = False,
) -> None:
    """Run the jobs that are due once, wait for them, and exit (for cron).

    A job another scheduler is running is reported busy and left alone. Exits 1
    when a job failed (its retry is scheduled with a back-off).

    Example: watchkeeper -w ws scheduler run-once
      watchkeeper -w ws scheduler run-once --job events --job detect --json
    """
    from watchkeeper.errors import JobError
    runs = ctx.obj.open(create=False).scheduler_run_once(job or ())
    if json:
        emit_json({"runs": [asdict(r) for r in runs]})
    else:
        show_runs(runs)
    failed = [r for r in runs if r.outcome == "failed"]
    if failed:
        first = failed[0]
        more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
        raise JobError(f"job {first.name} failed: {first.error}{more}")


def _when(moment: datetime | None) -> str:
    return moment.strftime("%m-%d %H:%M:%S") if moment is not None else "-"


def _every(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def _state(j: JobStatus) -> str:
    if j.running:
        return "running"
    return "on" if j.enabled else "off"


def show_jobs(listed: tuple[JobStatus, ...]) -> None:
    table = Table(title="Jobs (times UTC)", title_justify="left")
    for name in ("job", "every", "last run", "outcome", "next run", "state"):
        table.add_column(name, overflow="fold")
    for j in listed:
        table.add_row(j.name, _every(j.every_seconds), _when(j.last_start),
                      j.outcome or "-", _when(j.next_run) if j.enabled else "-", _state(j))
    out.print(table)
    for j in listed:
        line = _detail(j)
        if line:
            out.print(Text(f"{j.name}: {line}"))


def _detail(j: JobStatus) -> str | None:
    if not j.enabled:
        return f"off: {j.disabled_why or 'disabled'}"
    if j.running:
        return f"running under {j.lease_holder}"
    if j.outcome == "failed":
        return f"failed {j.attempts} time(s) in a row: {j.error}; retry {_when(j.next_run)}"
    return j.summary


def show_runs(runs: tuple[JobRun, ...]) -> None:
    if not runs:
        out.print("no job is due")
        return
    for r in runs:
        text = r.error if r.outcome == "failed" else r.summary
        style = {"ok": "green", "warning": "yellow", "failed": "red"}.get(r.outcome, "dim")
        line = Text(f"{r.name}: ")
        line.append(r.outcome, style=f"bold {style}")
        line.append(f": {text or '-'}")
        if r.outcome == "failed" and r.next_run is not None:
            line.append(f" (retry {_when(r.next_run)})")
        out.print(line)
