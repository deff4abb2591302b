"""`watchkeeper holds add|list|release` (legal holds) and `lake purge --expired`
(retention): docs/access.md, "Retention and legal hold"."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from watchkeeper.cli.render import emit_json, out, parse_day

if TYPE_CHECKING:
    from watchkeeper.access.holds import Hold
    from watchkeeper.lake.retention import RetentionReport

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]
AsOpt = Annotated[str | None, typer.Option(
    "--as", metavar="NAME", envvar="WATCHKEEPER_ACCOUNT",
    help="Act as this account (else the one named like your login).")]

app = typer.Typer(name="holds", no_args_is_help=True, help="""\
Legal holds: people and days that retention purges must keep.

A hold keeps a person's lake rows from one day to another (or until it is
released) out of every `lake purge --expired`.

Example: watchkeeper -w ws holds add ACM2278 --since 2025-01-01 --reason "case 12"
  watchkeeper -w ws holds case 12 --reason "litigation notice"
  watchkeeper -w ws holds list
  watchkeeper -w ws holds release 3
""")


def _hold_dict(h: Hold) -> dict[str, object]:
    return {**asdict(h), "active": h.active}


def _hold_line(h: Hold, verb: str) -> None:
    span = f"{h.since} to {h.until or 'release'}"
    out.print(f"{verb} hold {h.id}: {escape(h.person)}, {span}"
              + (f" (case {escape(h.case_ref)})" if h.case_ref else ""), markup=True)


@app.command("add")
def add(ctx: typer.Context,
        person: Annotated[str, typer.Argument(help="User id, as the lake's events have it.")],
        since: Annotated[str, typer.Option("--since", help="First day held (YYYY-MM-DD).")],
        reason: Annotated[str, typer.Option("--reason", help="Why (recorded).")],
        until: Annotated[str | None, typer.Option(
            "--until", help="Last day held, inclusive (default: until released).")] = None,
        case: Annotated[str | None, typer.Option(
            "--case", help="The case that asks for the hold.")] = None,
        who: AsOpt = None, json: JsonOpt = False) -> None:
    """Place a legal hold on a person's data over a span of days.

    Example: watchkeeper -w ws holds add ACM2278 --since 2025-01-01 --reason "case 12"
      watchkeeper -w ws holds add ACM2278 --since 2025-01-01 --until 2025-06-30 --reason x
    """
    ws = ctx.obj.open(create=False)
    made = ws.hold_add(person, parse_day(since, "--since"), reason,
                       actor=ws.case_viewer(who).name,
                       until=parse_day(until, "--until") if until else None, case_ref=case)
    if json:
        emit_json(_hold_dict(made))
    else:
        _hold_line(made, "Placed")


@app.command("case")
def from_case(ctx: typer.Context,
              case_id: Annotated[int, typer.Argument(metavar="CASE", min=1,
                                                     help="A case you may open.")],
              reason: Annotated[str, typer.Option("--reason", help="Why (recorded).")],
              until: Annotated[str | None, typer.Option(
                  "--until", help="Last day held, inclusive (default: until released).")
              ] = None,
              who: AsOpt = None, json: JsonOpt = False) -> None:
    """Hold the data of a case's people, from the day of its first alert.

    One hold per person the case names (linked, or subject of its alerts).

    Example: watchkeeper -w ws holds case 12 --reason "litigation notice 2025-7"
      watchkeeper -w ws holds case 12 --reason "regulator request" --until 2025-12-31
    """
    ws = ctx.obj.open(create=False)
    made = ws.hold_from_case(ws.case_viewer(who), case_id, reason,
                             until=parse_day(until, "--until") if until else None)
    if json:
        emit_json([_hold_dict(h) for h in made])
        return
    for h in made:
        _hold_line(h, "Placed")


@app.command("list")
def list_(ctx: typer.Context,
          person: Annotated[str | None, typer.Option("--person", help="Only this person.")
                            ] = None,
          everything: Annotated[bool, typer.Option("--all", help="Also released holds.")
                                ] = False,
          json: JsonOpt = False) -> None:
    """The legal holds standing (with --all, released ones too).

    Example: watchkeeper -w ws holds list
      watchkeeper -w ws holds list --all --json
    """
    found = ctx.obj.open(create=False).holds(person=person, released=everything)
    if json:
        emit_json([_hold_dict(h) for h in found])
        return
    if not found:
        out.print("No legal holds.")
        return
    for h in found:
        state = "" if h.active else f"  released {h.released_at:%Y-%m-%d}"
        line = f"{h.id:>4}  {h.person[:20]:<20} {h.since} to {h.until or 'release'!s:<10}"
        out.print(escape(f"{line}{state}"[:80]))


@app.command("release")
def release_(ctx: typer.Context, ident: Annotated[int, typer.Argument(metavar="ID")],
             who: AsOpt = None, json: JsonOpt = False) -> None:
    """Release a legal hold: later purges may remove what it kept.

    Example: watchkeeper -w ws holds release 3
    """
    ws = ctx.obj.open(create=False)
    gone = ws.hold_release(ident, actor=ws.case_viewer(who).name)
    if json:
        emit_json(_hold_dict(gone))
    else:
        _hold_line(gone, "Released")


def purge(ctx: typer.Context,
          expired: Annotated[bool, typer.Option(
              "--expired", help="Remove event rows past [retention] (required).")] = False,
          dry_run: Annotated[bool, typer.Option(
              "--dry-run", help="Only count what would go.")] = False,
          wait: Annotated[float, typer.Option(
              "--wait", min=0, metavar="SECONDS",
              help="Wait this long for another process writing the lake.")] = 0.0,
          json: JsonOpt = False) -> None:
    """Remove day partitions past retention in one commit, sparing legal holds.

    Retention is set per region and event class under [retention] in the
    workspace's settings; rows of people under a standing hold on those days
    stay. Counts are reported per class.

    Example: watchkeeper -w ws lake purge --expired --dry-run
      watchkeeper -w ws lake purge --expired --json
    """
    if not expired:
        raise typer.BadParameter("say --expired (what to purge)", param_hint="--expired")
    report = ctx.obj.open(create=False).lake_purge(dry_run=dry_run, wait=wait)
    if json:
        emit_json(_report_dict(report))
    else:
        show_purge(report)


def _report_dict(r: RetentionReport) -> dict[str, object]:
    return {"today": r.today, "dry_run": r.dry_run, "commit": r.commit,
            "rows_removed": r.rows_removed, "rows_held": r.rows_held,
            "classes": [asdict(c) for c in r.classes], "files": list(r.files)}


def show_purge(r: RetentionReport) -> None:
    verb = "Would remove" if r.dry_run else "Removed"
    out.print(f"{verb} {r.rows_removed:,} rows past retention on {r.today}; "
              f"{r.rows_held:,} kept by legal holds.")
    for c in r.classes:
        out.print(f"  {c.table:<22} {c.rows_removed:>12,} rows  {c.files_removed:>6,} files "
                  f"gone  {c.files_rewritten:>5,} rewritten")
    if r.commit is not None:
        out.print(f"Commit {r.commit}.")


def register(app_: typer.Typer) -> None:
    """Add the `holds` group and `lake purge`."""
    from watchkeeper.cli.lake import app as lake
    lake.command("purge")(purge)
    app_.add_typer(app)
