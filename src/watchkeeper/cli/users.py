"""`watchkeeper users|tokens|teams …`: accounts, their API tokens, teams and regions."""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from watchkeeper.cli.render import emit_json, out

if TYPE_CHECKING:  # the store loads SQLAlchemy: `--help` starts without it
    from watchkeeper.security.accounts import AccountInfo, Accounts
    from watchkeeper.security.teams import TeamInfo
    from watchkeeper.security.tokens import TokenInfo

users = typer.Typer(no_args_is_help=True, help="""Accounts: people and services with a role.

Roles: analyst, lead, admin, auditor, service. There are no default
passwords: an account without one uses API tokens only.

Example: watchkeeper -w ws users add alice --role admin --password-stdin
  watchkeeper -w ws users list
""")
tokens = typer.Typer(no_args_is_help=True, help="""API tokens, sent as
`Authorization: Bearer TOKEN`; shown once, stored hashed.

Example: watchkeeper -w ws tokens create alice --label laptop
  watchkeeper -w ws tokens revoke 3
""")
teams = typer.Typer(no_args_is_help=True, help="""Teams: members and the data regions
they see (shift hours: `watchkeeper shifts`).

Example: watchkeeper -w ws teams add soc-eu --region eu
  watchkeeper -w ws teams member add soc-eu alice
  watchkeeper -w ws teams seed teams.yml
""")
members = typer.Typer(no_args_is_help=True, help="""Who is in a team.

Example: watchkeeper -w ws teams member add soc-eu alice
  watchkeeper -w ws teams member remove soc-eu alice
""")
teams.add_typer(members, name="member")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]
UserArg = Annotated[str, typer.Argument(metavar="USER", help="The account's name.")]
TeamArg = Annotated[str, typer.Argument(metavar="TEAM", help="The team's name.")]


def _accounts(ctx: typer.Context) -> Accounts:
    return ctx.obj.open(create=False).accounts()  # type: ignore[no-any-return]


def _doc(info: Any) -> dict[str, Any]:
    return asdict(info)


@users.command("add")
def users_add(ctx: typer.Context, name: UserArg,
              role: Annotated[str, typer.Option(
                  "--role", metavar="ROLE",
                  help="analyst, lead, admin, auditor or service.")],
              team: Annotated[list[str] | None, typer.Option(
                  "--team", metavar="TEAM", help="A team to join (repeatable).")] = None,
              password_stdin: Annotated[bool, typer.Option(
                  "--password-stdin",
                  help="Read a password (12+ characters) from standard input.")] = False,
              json: JsonOpt = False) -> None:
    """Add an account with a role, in teams, with a password or none.

    The password is read from standard input (one line), never from the command
    line, and is stored as a salted scrypt hash.

    Example: watchkeeper -w ws users add alice --role admin --password-stdin
      watchkeeper -w ws users add bob --role analyst --team soc-eu
      watchkeeper -w ws users add splunk --role service --json
    """
    password = _read_password() if password_stdin else None
    info = _accounts(ctx).users.add(name, role, team or (), password)
    if json:
        emit_json(_doc(info))
        return
    out.print(Text.assemble(("Added ", "bold"), f"account {info.name} ({info.role.value})",
                            f", teams: {', '.join(info.teams)}" if info.teams else ""))
    if not info.has_password:
        out.print(Text(f"No password: it calls the API with a token "
                       f"(watchkeeper tokens create {info.name})."))


@users.command("list")
def users_list(ctx: typer.Context, json: JsonOpt = False) -> None:
    """List accounts: name, role, teams, password or not, disabled or not.

    Example: watchkeeper -w ws users list --json
    """
    found = _accounts(ctx).users.list()
    if json:
        emit_json([_doc(i) for i in found])
        return
    _show_users(found)


@users.command("disable")
def users_disable(ctx: typer.Context, name: UserArg, json: JsonOpt = False) -> None:
    """Disable an account: its tokens stop working and its sessions end.

    Example: watchkeeper -w ws users disable bob
    """
    info = _accounts(ctx).users.set_disabled(name, True)
    _done(info, json, "Disabled")


@users.command("enable")
def users_enable(ctx: typer.Context, name: UserArg, json: JsonOpt = False) -> None:
    """Enable a disabled account again (its tokens that were not revoked work again).

    Example: watchkeeper -w ws users enable bob
    """
    info = _accounts(ctx).users.set_disabled(name, False)
    _done(info, json, "Enabled")


@users.command("person")
def users_person(ctx: typer.Context, name: UserArg,
                 person: Annotated[str | None, typer.Argument(
                     metavar="PERSON", help="The employee (HR user id or pseudonym); "
                     "leave out to unlink.")] = None,
                 json: JsonOpt = False) -> None:
    """Link an account to the employee behind it (recusal, access requests).

    Through the API the account then requests and approves access as that
    employee and no other (docs/access.md). Audited.

    Example: watchkeeper -w ws users person bob ana
      watchkeeper -w ws users person bob
    """
    ctx.obj.open(create=False).set_account_person(name, person)
    if json:
        emit_json({"account": name, "person": person})
    else:
        out.print(f"{name}: " + (f"linked to {person}" if person else "linked to nobody"),
                  markup=False)


@tokens.command("create")
def tokens_create(ctx: typer.Context, user: UserArg,
                  label: Annotated[str, typer.Option(
                      "--label", metavar="LABEL", help="What the token is for.")] = "",
                  json: JsonOpt = False) -> None:
    """Create an API token for an account; it is shown once, here.

    Only its SHA-256 is stored: keep the token now, it cannot be shown again.

    Example: watchkeeper -w ws tokens create alice --label laptop
      watchkeeper -w ws tokens create splunk --label webhook --json
    """
    issued = _accounts(ctx).tokens.create(user, label)
    if json:
        emit_json({**_doc(issued.info), "token": issued.token})
        return
    out.print(Text(f"Token {issued.info.id} for {issued.info.user}: shown once, "
                   "store it now (only its hash is kept)."))
    out.print(issued.token, markup=False, highlight=False, soft_wrap=True)


@tokens.command("list")
def tokens_list(ctx: typer.Context, user: Annotated[str | None, typer.Option(
                    "--user", metavar="USER", help="Only this account's tokens.")] = None,
                json: JsonOpt = False) -> None:
    """List API tokens: id, account, label, created, last used, revoked.

    Example: watchkeeper -w ws tokens list --user alice
    """
    found = _accounts(ctx).tokens.list(user)
    if json:
        emit_json([_doc(t) for t in found])
        return
    _show_tokens(found)


@tokens.command("revoke")
def tokens_revoke(ctx: typer.Context, token_id: Annotated[int, typer.Argument(
                      metavar="ID", help="The token's id (see `tokens list`).")],
                  json: JsonOpt = False) -> None:
    """Revoke an API token for good.

    Example: watchkeeper -w ws tokens revoke 3
    """
    info = _accounts(ctx).tokens.revoke(token_id)
    if json:
        emit_json(_doc(info))
        return
    out.print(Text(f"Revoked token {info.id} of {info.user}"
                   + (f" ({info.label})" if info.label else "")))


@teams.command("add")
def teams_add(ctx: typer.Context, name: TeamArg,
              region: Annotated[list[str], typer.Option(
                  "--region", metavar="REGION",
                  help="A data region the team sees (repeatable; * for all).")],
              json: JsonOpt = False) -> None:
    """Add a team that sees the given data regions.

    Example: watchkeeper -w ws teams add soc-eu --region eu
      watchkeeper -w ws teams add global --region '*'
    """
    info = _accounts(ctx).teams.add(name, region)
    if json:
        emit_json(_doc(info))
        return
    out.print(Text(f"Added team {info.name}, regions: {', '.join(info.regions)}"))


@teams.command("list")
def teams_list(ctx: typer.Context, json: JsonOpt = False) -> None:
    """List teams with their regions and members.

    Example: watchkeeper -w ws teams list --json
    """
    found = _accounts(ctx).teams.list()
    if json:
        emit_json([_doc(t) for t in found])
        return
    _show_teams(found)


@teams.command("seed")
def teams_seed(ctx: typer.Context,
               path: Annotated[Path, typer.Argument(metavar="FILE",
                                                    help="A teams.yml (docs/operations.md).")],
               replace: Annotated[bool, typer.Option(
                   "--replace", help="Overwrite the calendars, holidays and SLA policies "
                                     "the store has.")] = False,
               json: JsonOpt = False) -> None:
    """Seed teams, their time zones, shift hours, holidays and SLA policies from a
    teams.yml. What the store has is kept (the store is the truth) unless --replace;
    a team's regions are never changed. All or nothing.

    Example: watchkeeper -w ws teams seed teams.yml
      watchkeeper -w ws teams seed teams.yml --replace --json
    """
    from watchkeeper.cli import ops_render
    report = ctx.obj.open(create=False).teams_seed(path, replace=replace)
    if json:
        ops_render.emit(report)
        return
    ops_render.show_seed(report)


@members.command("add")
def member_add(ctx: typer.Context, team: TeamArg, user: UserArg,
               json: JsonOpt = False) -> None:
    """Put an account in a team (already in it: nothing changes).

    Example: watchkeeper -w ws teams member add soc-eu alice
    """
    _team_done(_accounts(ctx).teams.add_member(team, user), json)


@members.command("remove")
def member_remove(ctx: typer.Context, team: TeamArg, user: UserArg,
                  json: JsonOpt = False) -> None:
    """Take an account out of a team.

    Example: watchkeeper -w ws teams member remove soc-eu alice
    """
    _team_done(_accounts(ctx).teams.remove_member(team, user), json)


def register(root: typer.Typer) -> None:
    root.add_typer(users, name="users")
    root.add_typer(tokens, name="tokens")
    root.add_typer(teams, name="teams")


def _read_password() -> str:
    """One line from standard input (a prompt without echo on a terminal)."""
    if sys.stdin.isatty():
        import getpass
        return getpass.getpass("Password: ")
    return sys.stdin.readline().rstrip("\r\n")


def _done(info: AccountInfo, json: bool, verb: str) -> None:
    if json:
        emit_json(_doc(info))
    else:
        out.print(Text(f"{verb} account {info.name}"))


def _team_done(info: TeamInfo, json: bool) -> None:
    if json:
        emit_json(_doc(info))
    else:
        out.print(Text(f"Team {info.name}: {', '.join(info.members) or 'no members'}"))


def _table(*columns: str) -> Table:
    table = Table(box=None, pad_edge=False, header_style="bold")
    for name in columns:
        table.add_column(name, overflow="fold")
    return table


def _show_users(found: tuple[AccountInfo, ...]) -> None:
    if not found:
        out.print("No accounts yet (watchkeeper users add NAME --role admin).", markup=False)
        return
    table = _table("name", "role", "teams", "password", "state")
    for i in found:
        table.add_row(Text(i.name), i.role.value, Text(", ".join(i.teams)),
                      "yes" if i.has_password else "no",
                      "disabled" if i.disabled else "enabled")
    out.print(table)


def _show_tokens(found: tuple[TokenInfo, ...]) -> None:
    if not found:
        out.print("No tokens.", markup=False)
        return
    table = _table("id", "user", "label", "created", "last used", "state")
    for t in found:
        table.add_row(str(t.id), Text(t.user), Text(t.label),
                      t.created_at.strftime("%Y-%m-%d %H:%M"),
                      t.last_used.strftime("%Y-%m-%d %H:%M") if t.last_used else "never",
                      "revoked" if t.revoked else "active")
    out.print(table)


def _show_teams(found: tuple[TeamInfo, ...]) -> None:
    if not found:
        out.print("No teams.", markup=False)
        return
    table = _table("team", "regions", "members")
    for t in found:
        table.add_row(Text(t.name), Text(", ".join(t.regions)), Text(", ".join(t.members)))
    out.print(table)
