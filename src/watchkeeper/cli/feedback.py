"""`watchkeeper rules stats`, `rules proposals list|add|accept|reject` and `watchlist
add|list|remove`: verdict feedback (docs/operations.md, "Feedback").

Commands act as an account: `--as NAME` (or WATCHKEEPER_ACCOUNT), else the one named like
the OS login; a state store without accounts has one local operator. People show as
pseudonyms and may be given as pseudonyms or user ids.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Annotated

import typer

from watchkeeper.cli import feedback_view as view
from watchkeeper.cli.period import PeriodOpt, chosen
from watchkeeper.cli.render import emit_json, parse_day
from watchkeeper.errors import ConfigError

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]
AsOpt = Annotated[str | None, typer.Option(
    "--as", metavar="NAME", envvar="WATCHKEEPER_ACCOUNT",
    help="Act as this account (else the one named like your login).")]
SinceOpt = Annotated[str | None, typer.Option(
    "--since", help="First day (YYYY-MM-DD, UTC).")]
UntilOpt = Annotated[str | None, typer.Option(
    "--until", help="Last day (YYYY-MM-DD, UTC), inclusive.")]
ReasonOpt = Annotated[str, typer.Option("--reason", help="Why (recorded).")]

proposals = typer.Typer(name="proposals", no_args_is_help=True, help="""\
Allow-list proposals of false-positive verdicts, reviewed by a lead.

A case resolved false_positive may propose to stop alerting on a rule for one
of its people or hosts. Nothing changes until a lead (not the proposer)
accepts it: it then becomes a suppression with an expiry.

Example: watchkeeper -w ws rules proposals add 12 --field host --reason lab
  watchkeeper -w ws rules proposals list
  watchkeeper -w ws rules proposals accept 3 --as lee
""")

watchlist = typer.Typer(name="watchlist", no_args_is_help=True, help="""\
Who is on a watchlist: HR's lists and the analysts', one notion.

Being on a watchlist multiplies a person's risk (docs/risk.md); the next
`analyze` applies an entry, and `risk explain` names it with its origin.

Example: watchkeeper -w ws watchlist add P-7KQ2-M9XD --reason "case 12"
  watchkeeper -w ws watchlist list
""")


def _day(value: str | None, option: str) -> date | None:
    return None if value is None else parse_day(value, option)


def stats_cmd(ctx: typer.Context, period: PeriodOpt = None, since: SinceOpt = None,
              until: UntilOpt = None, by: Annotated[str, typer.Option(
                  "--by", help="rule, source, or team (rule x team).")] = "rule",
              who: AsOpt = None, json: JsonOpt = False) -> None:
    """Rule precision from verdicts: volume, share suppressed, median time to verdict.

    Counts the alerts received in the period that the account's regions see;
    an alert's team is its case's. Verdicts count as docs/operations.md says.

    Example: watchkeeper -w ws rules stats
      watchkeeper -w ws rules stats --by team --period 2025-Q1
      watchkeeper -w ws rules stats --json
    """
    if by not in view.GROUPS:
        raise ConfigError(f"--by {by!r}: expected rule, source or team")
    asked = chosen(period, since, until)
    ws = ctx.obj.open(create=False)
    found = ws.rules_stats(ws.case_viewer(who), period=asked)
    if json:
        emit_json(asdict(found))
    else:
        view.stats_table(found, by)


@proposals.command("list")
def proposals_list(ctx: typer.Context, status: Annotated[str, typer.Option(
        "--status", help="pending, accepted, rejected or all.")] = "pending",
        who: AsOpt = None, json: JsonOpt = False) -> None:
    """Allow-list proposals (default: those pending review), oldest first.

    Example: watchkeeper -w ws rules proposals list
      watchkeeper -w ws rules proposals list --status all --json
    """
    ws = ctx.obj.open(create=False)
    found = ws.allow_proposals(ws.case_viewer(who), None if status == "all" else status)
    if json:
        emit_json([asdict(p) for p in found])
    else:
        view.proposal_table(found, f"Allow-list proposals ({status})")


@proposals.command("add")
def proposals_add(
        ctx: typer.Context,
        case: Annotated[int, typer.Argument(metavar="CASE", help="A case resolved "
                                                                 "false_positive.")],
        field: Annotated[str, typer.Option("--field", help="subject (a person) or host.")],
        reason: ReasonOpt,
        value: Annotated[str | None, typer.Option(
            "--value", help="The person (pseudonym) or host; needed when the case's "
                            "alerts have several.")] = None,
        rule: Annotated[str | None, typer.Option(
            "--rule", help="The rule id; needed when the case's alerts have several.")
        ] = None,
        who: AsOpt = None, json: JsonOpt = False) -> None:
    """Propose an allow-list entry from a case resolved as a false positive.

    Example: watchkeeper -w ws rules proposals add 12 --field subject --reason x
      watchkeeper -w ws rules proposals add 12 --field host --reason lab
    """
    ws = ctx.obj.open(create=False)
    made = ws.allow_propose(ws.case_viewer(who), case, field, reason, value=value, rule=rule)
    if json:
        emit_json(asdict(made))
    else:
        view.proposal_line(made)


@proposals.command("accept")
def proposals_accept(
        ctx: typer.Context, ident: Annotated[int, typer.Argument(metavar="ID")],
        expires: Annotated[str | None, typer.Option(
            "--expires", help="Last day of the suppression (YYYY-MM-DD, UTC; default: "
                              "feedback.allow_days from today).")] = None,
        note: Annotated[str | None, typer.Option("--note", help="Why (recorded).")] = None,
        who: AsOpt = None, json: JsonOpt = False) -> None:
    """Accept a proposal: it becomes a suppression until its expiry (a lead or admin).

    Example: watchkeeper -w ws rules proposals accept 3 --as lee
      watchkeeper -w ws rules proposals accept 3 --expires 2025-06-30
    """
    ws = ctx.obj.open(create=False)
    done = ws.allow_accept(ws.case_viewer(who), ident,
                           expires=parse_day(expires, "--expires") if expires else None,
                           note=note)
    if json:
        emit_json(asdict(done))
    else:
        view.proposal_line(done)


@proposals.command("reject")
def proposals_reject(
        ctx: typer.Context, ident: Annotated[int, typer.Argument(metavar="ID")],
        note: Annotated[str, typer.Option("--note", help="Why not (recorded).")],
        who: AsOpt = None, json: JsonOpt = False) -> None:
    """Reject a proposal, saying why (a lead or admin).

    Example: watchkeeper -w ws rules proposals reject 3 --note "shared host"
    """
    ws = ctx.obj.open(create=False)
    done = ws.allow_reject(ws.case_viewer(who), ident, note)
    if json:
        emit_json(asdict(done))
    else:
        view.proposal_line(done)


@watchlist.command("add")
def watchlist_add(
        ctx: typer.Context,
        person: Annotated[str, typer.Argument(help="Pseudonym or user id.")],
        reason: ReasonOpt,
        name: Annotated[str, typer.Option(
            "--list", help="The watchlist (its name picks the risk factor).")
        ] = "insider-watch",
        since: SinceOpt = None,
        until: Annotated[str | None, typer.Option(
            "--until", help="Last day on the list (default: feedback.watchlist_days "
                            "after today, or after --since if later).")] = None,
        origin: Annotated[str, typer.Option(
            "--origin", help="analyst, or hr for a list imported from HR.")] = "analyst",
        who: AsOpt = None, json: JsonOpt = False) -> None:
    """Put a person on a watchlist from a day (default today) to a day.

    Example: watchkeeper -w ws watchlist add P-7KQ2-M9XD --reason "case 12"
      watchkeeper -w ws watchlist add ACM2278 --list pip --reason "per HR"
    """
    ws = ctx.obj.open(create=False)
    actor = ws.case_worker(who).name
    made = ws.watchlist_add(person, reason=reason, actor=actor, watchlist=name,
                            since=_day(since, "--since"), until=_day(until, "--until"),
                            origin=origin)
    if json:
        emit_json(asdict(made))
    else:
        view.watch_line(made, "Put")


@watchlist.command("list")
def watchlist_list(
        ctx: typer.Context,
        person: Annotated[str | None, typer.Option(
            "--person", help="Only this person (pseudonym or user id).")] = None,
        everything: Annotated[bool, typer.Option(
            "--all", help="Also expired and removed entries.")] = False,
        who: AsOpt = None, json: JsonOpt = False) -> None:
    """Who is on which watchlist: the analysts' entries and HR's lists.

    Example: watchkeeper -w ws watchlist list
      watchkeeper -w ws watchlist list --person P-7KQ2-M9XD --all --json
    """
    ws = ctx.obj.open(create=False)
    ws.case_worker(who)
    found = ws.watchlists(person=person, ended=everything)
    if json:
        emit_json([asdict(w) for w in found])
    else:
        view.watch_table(found, "Watchlists" + (" (all)" if everything else ""))


@watchlist.command("remove")
def watchlist_remove(ctx: typer.Context,
                     ident: Annotated[int, typer.Argument(metavar="ID")],
                     who: AsOpt = None, json: JsonOpt = False) -> None:
    """Withdraw a watchlist entry: the next `analyze` counts it on no day.

    Example: watchkeeper -w ws watchlist remove 4
    """
    ws = ctx.obj.open(create=False)
    gone = ws.watchlist_remove(ident, actor=ws.case_worker(who).name)
    if json:
        emit_json(asdict(gone))
    else:
        view.watch_line(gone, "Withdrew")


def register(app_: typer.Typer) -> None:
    """Add `rules stats`, `rules proposals …` and the `watchlist` group."""
    from watchkeeper.cli.rules import app as rules
    rules.command("stats")(stats_cmd)
    rules.add_typer(proposals)
    app_.add_typer(watchlist)
