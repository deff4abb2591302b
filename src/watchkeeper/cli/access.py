"""`watchkeeper access …`: authorization checks, the decision log, access requests,
approvals and grants (docs/access.md).

Requesters and approvers are employees (HR user ids of the people history): `--as`
names the employee acting, and the OS user running the command is recorded beside it
(``cli:<login>``) in the request, the approval and the audit log.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, time
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from watchkeeper.cli.render import emit_json, err, out, parse_day
from watchkeeper.errors import ConfigError

if TYPE_CHECKING:
    from watchkeeper.access.decide import Decision
    from watchkeeper.access.grants import GrantInfo
    from watchkeeper.access.requests import RequestInfo

app = typer.Typer(name="access", no_args_is_help=True, help="""\
Access to user data: check, request, approve and revoke; the decision log.

Cedar policies decide (docs/access.md): same-region reads for roles that need
them; anything cross-region, every export and delete, and VIP records need an
approved, unexpired grant for the stated purpose; nobody who has left.

Example: watchkeeper -w ws access check ana read eu-users --purpose investigation
  watchkeeper -w ws access request --for ana --action export --resource eu-users \\
    --purpose investigation --justification "case 12" --duration 8h
  watchkeeper -w ws access approve 1 --as leo
""")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]
PurposeOpt = Annotated[str, typer.Option("--purpose", help="A purpose code "
                                         "(docs/access.md; e.g. investigation).")]
TicketOpt = Annotated[str | None, typer.Option("--ticket", help="The ticket or case "
                                               "the access serves.")]
ApproverOpt = Annotated[str, typer.Option("--as", metavar="EMPLOYEE",
                                          help="The approving employee (HR user id).")]


def _actor() -> str:
    from watchkeeper.facade.state import local_actor
    return local_actor()


def _when(value: str | None) -> datetime | None:
    """``YYYY-MM-DD`` (midnight UTC) or an ISO 8601 time."""
    if value is None:
        return None
    if len(value) == 10:
        return datetime.combine(parse_day(value, "--since"), time(), UTC)
    try:
        found = datetime.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"--since {value!r}: expected YYYY-MM-DD or an ISO 8601 "
                          "time") from None
    return found if found.tzinfo is not None else found.replace(tzinfo=UTC)


@app.command("check")
def check(ctx: typer.Context,
          principal: Annotated[str, typer.Argument(help="The employee (HR user id).")],
          action: Annotated[str, typer.Argument(help="read, export or delete.")],
          resource: Annotated[str, typer.Argument(help="A data asset of the catalogue.")],
          purpose: Annotated[str, typer.Option("--purpose", help="A purpose code.")] = "",
          ticket: TicketOpt = None, json: JsonOpt = False) -> None:
    """Would this access be allowed now? Answers with the deciding policies; logged.

    Example: watchkeeper -w ws access check ana read eu-users
      watchkeeper -w ws access check ana export eu-users --purpose investigation --json
    """
    ws = ctx.obj.open(create=False)
    found = ws.authorize(principal, action, resource, purpose=purpose,
                         ticket=ticket or "", caller=_actor())
    if json:
        emit_json(asdict(found))
    else:
        _show_decision(found)


def _show_decision(d: Decision) -> None:
    colour = "green" if d.allowed else "red"
    out.print(f"[{colour}]{d.decision}[/]: {escape(d.principal)} {d.action} "
              f"{escape(d.resource)} (risk {d.risk})")
    named = (*d.policies, *("",) * max(0, len(d.reasons) - len(d.policies)))
    for policy, reason in zip(named, d.reasons, strict=False):
        label = f"{escape(policy)}: " if policy else ""
        out.print(f"  {label}{escape(reason)}")


@app.command("decisions")
def decisions(ctx: typer.Context,
              principal: Annotated[str | None, typer.Option(
                  "--principal", help="Only this employee's.")] = None,
              resource: Annotated[str | None, typer.Option(
                  "--resource", help="Only this asset's.")] = None,
              since: Annotated[str | None, typer.Option(
                  "--since", help="From this day (YYYY-MM-DD, UTC) or time.")] = None,
              limit: Annotated[int, typer.Option("--limit", min=0,
                                                 help="At most this many (0: all).")] = 50,
              json: JsonOpt = False) -> None:
    """The decision log: what authorize answered, newest first.

    Example: watchkeeper -w ws access decisions --principal ana
      watchkeeper -w ws access decisions --since 2026-06-01 --json
    """
    ws = ctx.obj.open(create=False)
    found = ws.access_decisions(principal=principal, resource=resource,
                                since=_when(since), limit=limit)
    if json:
        emit_json([asdict(d) for d in found])
        return
    table = _table("Decisions", ("at", "who", "action", "resource", "", "why"))
    for d in found:
        table.add_row(f"{d.at:%m-%d %H:%M:%S}", escape(d.principal), d.action,
                      escape(d.resource), d.decision,
                      escape(", ".join(d.policies) or (d.reasons[0] if d.reasons else "")))
    out.print(table)


@app.command("request")
def request(ctx: typer.Context,
            principal: Annotated[str, typer.Option("--for", help="Who the grant is for "
                                                   "(HR user id).")],
            action: Annotated[str, typer.Option("--action", help="read, export or "
                                                "delete.")],
            resource: Annotated[str, typer.Option("--resource", help="A data asset.")],
            purpose: PurposeOpt,
            justification: Annotated[str, typer.Option("--justification",
                                                       help="Why, in words.")],
            duration: Annotated[str, typer.Option(
                "--duration", help="30m, 8h, 7d or ISO 8601 (PT20S).")],
            ticket: TicketOpt = None,
            requester: Annotated[str | None, typer.Option(
                "--as", metavar="EMPLOYEE",
                help="The employee asking (default: the one it is for).")] = None,
            json: JsonOpt = False) -> None:
    """Ask for access to user data; prints the request id.

    Example: watchkeeper -w ws access request --for ana --action export \\
        --resource eu-users --purpose investigation --justification "case 12" \\
        --duration 8h
    """
    from watchkeeper.access.requests import RequestNew, parse_duration
    ws = ctx.obj.open(create=False)
    made = ws.access_request(RequestNew(principal, action, resource, purpose,
                                        justification, parse_duration(duration), ticket),
                             requester=requester or principal, actor=_actor())
    if json:
        emit_json(asdict(made))
        return
    out.print(str(made.id))
    err.print(f"request {made.id} pending: needs {made.approvals_needed} approval(s) "
              f"({escape(made.needs_why)})")


@app.command("approve")
def approve(ctx: typer.Context, ident: Annotated[int, typer.Argument(metavar="ID")],
            approver: ApproverOpt, json: JsonOpt = False) -> None:
    """Approve a pending request as an employee other than its requester.

    Example: watchkeeper -w ws access approve 3 --as leo
    """
    ws = ctx.obj.open(create=False)
    _show_request(ws.access_approve(ident, approver=approver, actor=_actor()), json)


@app.command("deny")
def deny(ctx: typer.Context, ident: Annotated[int, typer.Argument(metavar="ID")],
         approver: ApproverOpt,
         reason: Annotated[str, typer.Option("--reason", help="Why not (recorded).")],
         json: JsonOpt = False) -> None:
    """Deny a pending request, saying why.

    Example: watchkeeper -w ws access deny 3 --as leo --reason "no ticket"
    """
    ws = ctx.obj.open(create=False)
    _show_request(ws.access_deny(ident, approver=approver, reason=reason, actor=_actor()),
                  json)


def _show_request(r: RequestInfo, json: bool) -> None:
    if json:
        emit_json(asdict(r))
        return
    given = f"{len(r.approvers)} of {r.approvals_needed} approval(s)"
    if r.grant_id is not None:
        out.print(f"request {r.id} approved ({given}): grant {r.grant_id}")
    else:
        out.print(f"request {r.id} {r.status} ({given})")


@app.command("revoke")
def revoke(ctx: typer.Context, grant: Annotated[int, typer.Argument(metavar="GRANT_ID")],
           reason: Annotated[str, typer.Option("--reason", help="Why (recorded).")] =
           "revoked on demand", json: JsonOpt = False) -> None:
    """End a grant now.

    Example: watchkeeper -w ws access revoke 2 --reason "case closed"
    """
    ws = ctx.obj.open(create=False)
    done = ws.access_revoke(grant, actor=_actor(), reason=reason)
    if json:
        emit_json(asdict(done))
    else:
        out.print(f"grant {done.id} revoked")


@app.command("grants")
def grants(ctx: typer.Context,
           principal: Annotated[str | None, typer.Option("--for", help="Only this "
                                                         "employee's.")] = None,
           ended: Annotated[bool, typer.Option("--all", help="Also expired and revoked "
                                               "ones.")] = False,
           json: JsonOpt = False) -> None:
    """Grants in force (--all: also expired and revoked ones).

    Example: watchkeeper -w ws access grants
      watchkeeper -w ws access grants --all --json
    """
    ws = ctx.obj.open(create=False)
    found = ws.access_grants(principal=principal, ended=ended)
    if json:
        emit_json([asdict(g) for g in found])
    else:
        _grant_table(found)


def _grant_table(found: tuple[GrantInfo, ...]) -> None:
    table = _table("Grants", ("id", "for", "action", "resource", "purpose", "until",
                              "state"))
    for g in found:
        until = g.revoked_at or g.expires_at
        table.add_row(str(g.id), escape(g.principal), g.action, escape(g.resource),
                      escape(g.purpose), f"{until:%Y-%m-%d %H:%M}", g.state)
    out.print(table)


@app.command("requests")
def requests(ctx: typer.Context, status: Annotated[str, typer.Option(
        "--status", help="pending, approved, denied or all.")] = "pending",
        json: JsonOpt = False) -> None:
    """Access requests (default: those pending), oldest first.

    Example: watchkeeper -w ws access requests
      watchkeeper -w ws access requests --status all --json
    """
    ws = ctx.obj.open(create=False)
    found = ws.access_requests(None if status == "all" else status)
    if json:
        emit_json([asdict(r) for r in found])
        return
    table = _table("Access requests", ("id", "for", "action", "resource", "purpose",
                                       "approvals", "status"))
    for r in found:
        table.add_row(str(r.id), escape(r.principal), r.action, escape(r.resource),
                      escape(r.purpose), f"{len(r.approvers)}/{r.approvals_needed}",
                      r.status)
    out.print(table)


def _table(title: str, heads: tuple[str, ...]) -> Table:
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False,
                  show_edge=False, collapse_padding=True)
    for head in heads:
        table.add_column(head, overflow="fold")
    return table


def register(app_: typer.Typer) -> None:
    """Add the `access` group."""
    app_.add_typer(app)
