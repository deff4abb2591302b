"""`watchkeeper playbooks list|validate|test|runs`: the workspace's playbooks, checking
them (file, line and field of each error), a golden test (an event in, the expected
actions out, nothing changed), and the runs with each step's attempts and last error."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from watchkeeper.cli.ops_render import table, when
from watchkeeper.cli.render import emit_json, error_line, out, warning_line

if TYPE_CHECKING:
    from watchkeeper.facade.playbooks import PlaybookListing
    from watchkeeper.ops.playbooks.queue import RunView
    from watchkeeper.workspace import Workspace

app = typer.Typer(no_args_is_help=True, help="""Playbooks as code: YAML files in the
workspace's playbooks/ folder that alerts, cases, SLA breaches and watchlist entries
start (docs/operations.md, "Playbooks"). The scheduler's playbooks job runs them.

Example: watchkeeper -w ws playbooks validate
  watchkeeper -w ws playbooks test leaver-exfiltration --alert usb.json --expect out.yml
  watchkeeper -w ws playbooks runs --case 12
""")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]


def _ws(ctx: typer.Context) -> Workspace:
    return ctx.obj.open(create=False)  # type: ignore[no-any-return]


@app.command("list")
def list_cmd(ctx: typer.Context, json: JsonOpt = False) -> None:
    """The workspace's playbooks: trigger and steps; files in error are named.

    Example: watchkeeper -w ws playbooks list
      watchkeeper -w ws playbooks list --json
    """
    listing = _ws(ctx).playbooks_list()
    if json:
        emit_json(asdict(listing))
        return
    _show(listing)


@app.command("validate")
def validate_cmd(ctx: typer.Context,
                 paths: Annotated[list[Path] | None, typer.Argument(
                     help="Playbook files or folders (default: the workspace's).")] = None,
                 examples: Annotated[bool, typer.Option(
                     "--examples", help="Check the examples shipped with Watchkeeper."
                 )] = False,
                 json: JsonOpt = False) -> None:
    """Check playbook files: each error names file, line and field (exit 1).

    A webhook URL not on [playbooks] webhook_allow is a warning.

    Example: watchkeeper -w ws playbooks validate
      watchkeeper -w ws playbooks validate my-playbooks/ --json
    """
    listing = _ws(ctx).playbooks_validate(paths, examples=examples)
    if json:
        emit_json(asdict(listing))
    else:
        for line in listing.errors:
            error_line(line)
        for line in listing.warnings:
            warning_line(line)
        out.print(f"{len(listing.playbooks)} playbook(s) valid, {len(listing.errors)} "
                  f"error(s), {len(listing.warnings)} warning(s)", highlight=False)
    if listing.errors:
        raise typer.Exit(1)


@app.command("test")
def test_cmd(ctx: typer.Context,
             playbook: Annotated[str, typer.Argument(
                 metavar="PLAYBOOK", help="A playbook file, or the id of one of the "
                                          "workspace's.")],
             alert: Annotated[Path, typer.Option(
                 "--alert", metavar="GOLDEN.json", help="The golden event (an alert as "
                 "JSON; see docs/operations.md).")],
             expect: Annotated[Path, typer.Option(
                 "--expect", metavar="EXPECTED.yml", help="triggered: and the actions "
                 "expected, in order.")],
             json: JsonOpt = False) -> None:
    """Plan a playbook on a golden event and compare with the expected actions.

    Nothing is changed and nothing is called; exit 1 when they differ.

    Example: watchkeeper -w ws playbooks test leaver-exfiltration \\
        --alert golden/usb-copy-eu.json --expect golden/leaver.expected.yml
    """
    result = _ws(ctx).playbook_test(playbook, alert, expect)
    if json:
        emit_json(asdict(result) | {"passed": result.passed})
    else:
        for problem in result.problems:
            error_line(f"{result.playbook}: {problem}")
        started = "starts" if result.triggered else "does not start"
        steps = ", ".join(s.action for s in result.plan) or "no step"
        verdict = "passed" if result.passed else f"failed ({len(result.problems)})"
        out.print(f"{result.playbook} {started} on {alert.name}: {steps}; {verdict}",
                  highlight=False)
    if not result.passed:
        raise typer.Exit(1)


@app.command("runs")
def runs_cmd(ctx: typer.Context,
             case: Annotated[int | None, typer.Option(
                 "--case", metavar="CASE", help="The runs on this case.")] = None,
             playbook: Annotated[str | None, typer.Option(
                 "--playbook", metavar="ID", help="The runs of this playbook.")] = None,
             status: Annotated[str | None, typer.Option(
                 "--status", help="pending, running, succeeded or failed.")] = None,
             limit: Annotated[int, typer.Option(
                 "--limit", min=1, max=500, help="At most this many runs.")] = 20,
             json: JsonOpt = False) -> None:
    """Runs newest first, each step with its attempts, next attempt and last error.

    Example: watchkeeper -w ws playbooks runs --status failed
      watchkeeper -w ws playbooks runs --case 12 --json
    """
    found = _ws(ctx).playbook_runs(case_id=case, playbook=playbook, status=status,
                                   limit=limit)
    if json:
        emit_json([asdict(r) for r in found])
        return
    show_runs(found)


def _show(listing: PlaybookListing) -> None:
    grid = table("id", "trigger", "steps", "on")
    for p in listing.playbooks:
        trigger = p.trigger + (f" >= {p.severity_at_least}" if p.severity_at_least else "")
        grid.add_row(escape(p.id), escape(trigger), escape(", ".join(p.steps)),
                     "yes" if p.enabled else "no")
    if listing.playbooks:
        out.print(grid)
    else:
        out.print("no playbooks (put them in the workspace's playbooks/ folder)")
    for line in listing.errors:
        error_line(line)
    for line in listing.warnings:
        warning_line(line)


def show_runs(found: tuple[RunView, ...]) -> None:
    if not found:
        out.print("no runs")
        return
    for run in found:
        where = f"case {run.case_id}" if run.case_id else f"alert {run.alert_id}" \
            if run.alert_id else run.key
        out.print(f"[bold]run {run.id}[/] {escape(run.playbook)} on {escape(where)}: "
                  f"{run.status} (queued {when(run.created_at)})", highlight=False)
        for s in run.steps:
            tries = f"{s.attempts}/{s.max_attempts}"
            nxt = f", next {when(s.next_attempt)}" if s.next_attempt and s.attempts else ""
            out.print(f"  {s.position}. {escape(s.name)} [{s.action}] {s.status} "
                      f"({tries}{nxt})", highlight=False, soft_wrap=False)
            if s.last_error:
                out.print(f"     {escape(s.last_error[:150])}", highlight=False)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="playbooks")
