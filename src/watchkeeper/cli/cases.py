"""`watchkeeper cases create|list|show|update|note|task|link|resolve|export`.

Every command acts as an account: `--as NAME` (or WATCHKEEPER_ACCOUNT), else the account
named like the OS login; a state store without accounts has one local operator. People
are shown as pseudonyms and may be given as pseudonyms or user ids.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from watchkeeper.cli.cases_render import show_detail, show_list, show_view
from watchkeeper.cli.render import emit_json, out
from watchkeeper.errors import ConfigError, InputError

if TYPE_CHECKING:  # the cases package loads SQLAlchemy and the lake: not for `--help`
    from watchkeeper.cases.views import LinkView
    from watchkeeper.security.recusal import Viewer
    from watchkeeper.workspace import Workspace

app = typer.Typer(no_args_is_help=True, help="""Open, work, resolve and export cases.

Workflow: new -> in_progress <-> escalated -> resolved -> closed. Resolving
needs a verdict. People appear as pseudonyms.

Example: watchkeeper -w ws cases create --title "USB copies" --alert 12
  watchkeeper -w ws cases show 1
  watchkeeper -w ws cases resolve 1 --verdict true_positive
""")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]
AsOpt = Annotated[str | None, typer.Option(
    "--as", metavar="NAME", envvar="WATCHKEEPER_ACCOUNT",
    help="Act as this account (else the one named like your login).")]
CaseArg = Annotated[int, typer.Argument(metavar="CASE", help="The case id.")]
PersonOpt = Annotated[list[str] | None, typer.Option(
    "--person", help="A person (pseudonym or user id); repeat for more.")]
HostOpt = Annotated[list[str] | None, typer.Option("--host", help="A host; repeatable.")]
ObsOpt = Annotated[list[str] | None, typer.Option(
    "--observable", metavar="TYPE:VALUE", help="An observable (ip:10.0.0.9); repeatable.")]
AlertOpt = Annotated[list[int] | None, typer.Option(
    "--alert", metavar="ID", help="A stored alert to put in the case; repeatable.")]
SeverityOpt = Annotated[str | None, typer.Option(
    "--severity", help="informational, low, medium, high, critical (or 0-6).")]
PriorityOpt = Annotated[str | None, typer.Option(
    "--priority", help="low, medium, high or critical.")]
HoursOpt = Annotated[float, typer.Option(
    "--hours", help="Timeline hours before the first and after the last alert.")]


def _session(ctx: typer.Context, who: str | None) -> tuple[Workspace, Viewer]:
    ws = ctx.obj.open(create=False)
    return ws, ws.case_viewer(who)


def _severity(value: str | None) -> int | None:
    if value is None:
        return None
    from watchkeeper.cases.model import Severity
    text = value.strip().lower()
    if text.isdigit() and 0 <= int(text) <= 6:
        return int(text)
    found = Severity.from_name(text)
    if found is Severity.UNKNOWN and text != "unknown":
        raise ConfigError(f"--severity {value!r}: expected informational, low, medium, "
                          "high, critical or 0-6")
    return int(found)


def _links(person: list[str] | None, host: list[str] | None,
           observable: list[str] | None) -> tuple[LinkView, ...]:
    from watchkeeper.cases.views import LinkView
    return (*(LinkView("person", p) for p in person or ()),
            *(LinkView("host", h) for h in host or ()),
            *(LinkView("observable", o) for o in observable or ()))


def _text_file(path: Path, option: str) -> str:
    try:
        return path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(path, f"{option}: cannot read: "
                               f"{getattr(exc, 'strerror', None) or exc}") from None


@app.command("create")
def create(ctx: typer.Context,
           title: Annotated[str, typer.Option("--title", help="What the case is about.")],
           alert: AlertOpt = None, person: PersonOpt = None, host: HostOpt = None,
           observable: ObsOpt = None, severity: SeverityOpt = None,
           priority: PriorityOpt = None,
           assignee: Annotated[str | None, typer.Option(
               "--assignee", help="Account to assign it to.")] = None,
           team: Annotated[str | None, typer.Option("--team", help="Team.")] = None,
           restrict_to: Annotated[list[str] | None, typer.Option(
               "--restrict-to", metavar="NAME",
               help="Only these accounts (and you) may open it; repeatable.")] = None,
           who: AsOpt = None, json: JsonOpt = False) -> None:
    """Open a case from stored alerts, people, hosts and observables.

    Severity defaults to the highest of its alerts'. The summary starts as a draft
    written from the alerts, the risk explanation and the timeline.

    Example: watchkeeper -w ws cases create --title "USB copies" --alert 12 --alert 13
      watchkeeper -w ws cases create --title "Exec mail" --person P-7KQ2-M9XD --restrict-to lee
    """
    from watchkeeper.cases.service import CaseNew
    ws, viewer = _session(ctx, who)
    view = ws.case_create(viewer, CaseNew(
        title, _severity(severity), priority, tuple(alert or ()),
        _links(person, host, observable), assignee, team, tuple(restrict_to or ())))
    show_view(view, json, "Opened")


@app.command("list")
def list_cmd(ctx: typer.Context,
             status: Annotated[list[str] | None, typer.Option(
                 "--status", help="Only this status; repeatable.")] = None,
             severity: Annotated[str | None, typer.Option(
                 "--severity", help="At least this severity.")] = None,
             assignee: Annotated[str | None, typer.Option(
                 "--assignee", help="Assigned to this account.")] = None,
             person: Annotated[str | None, typer.Option(
                 "--person", help="About this person (pseudonym or user id).")] = None,
             limit: Annotated[int, typer.Option("--limit", min=1, max=1000,
                                                help="Cases per page.")] = 50,
             cursor: Annotated[str | None, typer.Option(
                 "--cursor", help="The next page's cursor from the last list.")] = None,
             who: AsOpt = None, json: JsonOpt = False) -> None:
    """List the cases you may open, most recently changed first.

    Restricted cases you are not named on, and cases about people you are recused
    from, are left out.

    Example: watchkeeper -w ws cases list --status new --status in_progress
      watchkeeper -w ws cases list --person P-7KQ2-M9XD --json
    """
    from watchkeeper.cases.repository import CaseFilter
    ws, viewer = _session(ctx, who)
    found = ws.cases_list(viewer, CaseFilter(tuple(status or ()), _severity(severity),
                                             assignee, person), limit=limit, cursor=cursor)
    if json:
        emit_json({"items": [asdict(v) for v in found.items],
                   "next_cursor": found.next_cursor})
        return
    show_list(found.items, found.next_cursor)


@app.command("show")
def show(ctx: typer.Context, case: CaseArg, hours: HoursOpt = 24.0,
         who: AsOpt = None, json: JsonOpt = False) -> None:
    """Show a case: fields, summary, alerts, timeline, tasks, notes and history.

    Example: watchkeeper -w ws cases show 1
      watchkeeper -w ws cases show 1 --hours 72 --json
    """
    ws, viewer = _session(ctx, who)
    detail = ws.case_show(viewer, case, hours)
    if json:
        doc = asdict(detail)
        doc["people"], doc["hosts"] = list(detail.people), list(detail.hosts)
        emit_json(doc)
        return
    show_detail(detail)


@app.command("update")
def update(ctx: typer.Context, case: CaseArg,
           title: Annotated[str | None, typer.Option("--title", help="New title.")] = None,
           severity: SeverityOpt = None, priority: PriorityOpt = None,
           assignee: Annotated[str | None, typer.Option(
               "--assignee", help="Account ('' unassigns).")] = None,
           team: Annotated[str | None, typer.Option("--team", help="Team ('' clears).")
                           ] = None,
           status: Annotated[str | None, typer.Option(
               "--status", help="new, in_progress, escalated, closed (resolve: `cases "
                                "resolve`).")] = None,
           summary: Annotated[str | None, typer.Option(
               "--summary", help="Replace the summary with this text.")] = None,
           summary_file: Annotated[Path | None, typer.Option(
               "--summary-file", help="Replace the summary with this file's text.")
           ] = None,
           restrict_to: Annotated[list[str] | None, typer.Option(
               "--restrict-to", metavar="NAME", help="Restrict to these accounts.")
           ] = None,
           unrestrict: Annotated[bool, typer.Option(
               "--unrestrict", help="Lift the restriction (lead or admin).")] = False,
           who: AsOpt = None, json: JsonOpt = False) -> None:
    """Change a case's fields, status or summary; every change is a case event.

    Example: watchkeeper -w ws cases update 1 --status in_progress --assignee alice
      watchkeeper -w ws cases update 1 --summary-file summary.md
    """
    from watchkeeper.cases.repository import CaseChange
    if summary_file is not None:
        summary = _text_file(summary_file, "--summary-file")
    ws, viewer = _session(ctx, who)
    view = ws.case_update(viewer, case, CaseChange(
        title, _severity(severity), priority, assignee, team, status, None, summary),
        restrict_to=tuple(restrict_to) if restrict_to else None, unrestrict=unrestrict)
    show_view(view, json, "Updated")


@app.command("note")
def note(ctx: typer.Context, case: CaseArg,
         text: Annotated[str | None, typer.Argument(help="The note (Markdown).")] = None,
         file: Annotated[Path | None, typer.Option(
             "--file", help="Read the note from this Markdown file.")] = None,
         template: Annotated[bool, typer.Option(
             "--template", help="Start from the root-cause template (summary, "
                                "timeline, root cause, impact, actions).")] = False,
         who: AsOpt = None, json: JsonOpt = False) -> None:
    """Add a Markdown note to a case.

    Example: watchkeeper -w ws cases note 1 "Called the manager; laptop collected."
      watchkeeper -w ws cases note 1 --template
    """
    body = _text_file(file, "--file") if file is not None else text
    if body is None and not template:
        raise ConfigError("cases note: give the note's TEXT, --file or --template")
    ws, viewer = _session(ctx, who)
    number = ws.case_note(viewer, case, body, template=template)
    _done(json, {"case": case, "note": number}, f"Case {case}: note {number} added")


@app.command("task")
def task(ctx: typer.Context, case: CaseArg,
         title: Annotated[str | None, typer.Argument(help="A new task's title.")] = None,
         assignee: Annotated[str | None, typer.Option(
             "--assignee", help="Account for the new task.")] = None,
         done: Annotated[int | None, typer.Option("--done", metavar="TASK",
                                                  help="Mark this task done.")] = None,
         reopen: Annotated[int | None, typer.Option("--reopen", metavar="TASK",
                                                    help="Open this task again.")] = None,
         who: AsOpt = None, json: JsonOpt = False) -> None:
    """Add a task to a case, or mark one done.

    Example: watchkeeper -w ws cases task 1 "Collect the laptop" --assignee alice
      watchkeeper -w ws cases task 1 --done 3
    """
    if title is None and done is None and reopen is None:
        raise ConfigError("cases task: give a TITLE, --done TASK or --reopen TASK")
    ws, viewer = _session(ctx, who)
    added = ws.case_task(viewer, case, title, assignee=assignee, done=done, reopen=reopen)
    _done(json, {"case": case, "task": added, "done": done, "reopened": reopen},
          f"Case {case}: " + (f"task {added} added" if added is not None
                              else f"task {done if done is not None else reopen} updated"))


@app.command("link")
def link(ctx: typer.Context, case: CaseArg, person: PersonOpt = None,
         host: HostOpt = None, observable: ObsOpt = None, alert: AlertOpt = None,
         remove: Annotated[bool, typer.Option(
             "--remove", help="Remove these people, hosts and observables.")] = False,
         who: AsOpt = None, json: JsonOpt = False) -> None:
    """Link people, hosts, observables and alerts to a case (or unlink them).

    Example: watchkeeper -w ws cases link 1 --person P-7KQ2-M9XD --host PC-6377
      watchkeeper -w ws cases link 1 --observable ip:10.0.0.9 --remove
    """
    links = _links(person, host, observable)
    if not links and not alert:
        raise ConfigError("cases link: give --person, --host, --observable or --alert")
    ws, viewer = _session(ctx, who)
    changed = ws.case_link(viewer, case, links, tuple(alert or ()), remove=remove)
    _done(json, {"case": case, "changed": changed}, f"Case {case}: {changed} link(s) "
          f"{'removed' if remove else 'added'}")


@app.command("resolve")
def resolve(ctx: typer.Context, case: CaseArg,
            verdict: Annotated[str | None, typer.Option(
                "--verdict", help="true_positive, false_positive, benign, suspicious, "
                                  "duplicate, … (OCSF).")] = None,
            text: Annotated[str | None, typer.Option(
                "--note", help="A closing note (Markdown).")] = None,
            who: AsOpt = None, json: JsonOpt = False) -> None:
    """Resolve a case with its verdict (required).

    Example: watchkeeper -w ws cases resolve 1 --verdict true_positive
      watchkeeper -w ws cases resolve 2 --verdict false_positive --note "Approved move"
    """
    ws, viewer = _session(ctx, who)
    view = ws.case_resolve(viewer, case, verdict or "", text)
    show_view(view, json, "Resolved")


@app.command("export")
def export(ctx: typer.Context, case: CaseArg,
           fmt: Annotated[str, typer.Option(
               "--format", help="markdown, json or ocsf (Incident Finding 2005).")
           ] = "markdown",
           output: Annotated[Path | None, typer.Option(
               "--output", "-o", help="File to write (default case-ID.md/.json/.ocsf.json).")
           ] = None,
           hours: HoursOpt = 24.0, who: AsOpt = None, json: JsonOpt = False) -> None:
    """Export a case (people as pseudonyms); its SHA-256 goes to the audit log.

    Example: watchkeeper -w ws cases export 1 --format ocsf
      watchkeeper -w ws cases export 1 --format markdown -o case-1.md --json
    """
    from watchkeeper.cases.export import SUFFIX, check_format
    kind = check_format(fmt)
    path = output or Path(f"case-{case}{SUFFIX[kind]}")
    ws, viewer = _session(ctx, who)
    done = ws.case_export(viewer, case, kind, path, hours=hours)
    _done(json, asdict(done), f"Case {case}: {done.format} export {done.path} "
          f"({done.bytes:,} bytes)\n  sha256 {done.sha256} (audit entry {done.audit_seq})")


def _done(json: bool, doc: dict[str, object], line: str) -> None:
    if json:
        emit_json(doc)
    else:
        out.print(line, markup=False, highlight=False)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="cases")
