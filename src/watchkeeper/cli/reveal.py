"""`watchkeeper reveal PSEUDONYM --reason TEXT`: who is behind a pseudonym, audited."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer
from rich.text import Text

from watchkeeper.cli.render import emit_json, out


def reveal(ctx: typer.Context,
           pseudonym: Annotated[str, typer.Argument(
               metavar="PSEUDONYM", help="The pseudonym (P-XXXX-XXXX), also in its "
                                         "email or host form.")],
           reason: Annotated[str, typer.Option(
               "--reason", metavar="TEXT",
               help="Why: at least 3 words and 15 characters (recorded).")],
           who: Annotated[str | None, typer.Option(
               "--as", metavar="NAME", envvar="WATCHKEEPER_ACCOUNT",
               help="Act as this account (else the one named like your login).")] = None,
           json: Annotated[bool, typer.Option("--json",
                                              help="Print one JSON document.")] = False,
           ) -> None:
    """Show who is behind a pseudonym: user id, name, email and region.

    Takes a role that may reveal (a lead) and a stated reason. A person outside
    your teams' regions, or one you are recused from (yourself, your management
    chain, a direct report), is refused. The reveal and its reason are recorded
    in the audit log (person.reveal) before anything is shown.

    Example: watchkeeper -w ws reveal P-7KQ2-M9XD --reason "case 12 HR call"
      watchkeeper reveal P-7KQ2-M9XD --as lee --reason "case 12 HR call" --json
    """
    ws = ctx.obj.open(create=False)
    found = ws.reveal(ws.case_viewer(who), pseudonym, reason)
    if json:
        emit_json(asdict(found))
        return
    out.print(Text.assemble((found.pseudonym, "bold"), " is ", (found.user, "bold"),
                            f": {found.name or '(no name)'}",
                            f" <{found.email}>" if found.email else "",
                            f", region {found.region}" if found.region else ""))
    out.print(Text(f"Recorded: reveal {found.reveal_id} by {found.revealed_by} "
                   f"(audit entry {found.audit_seq}), reason: {found.reason}"))


def register(root: typer.Typer) -> None:
    root.command("reveal")(reveal)
