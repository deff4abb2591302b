"""`watchkeeper audit verify|list`, and `record_read`: how the CLI's reads of people's
activity (`risk explain`, `findings show`, `query`, `detect --dry-run`) are audited.

The CLI's actor is ``cli:<login name>`` (`getpass.getuser()`: LOGNAME, USER, LNAME or
USERNAME, else the password database; ``cli:uid-<n>`` when none names the user). A read is
recorded, committed and checkpointed *before* anything of it is printed or written: when
the audit log cannot record it, the command prints nothing and exits 1 with one line.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from watchkeeper.cli.render import emit_json, error_line, out, parse_day

if TYPE_CHECKING:
    from watchkeeper.security import AuditEntry, VerifyReport
    from watchkeeper.security.audit_entry import DetailValue
    from watchkeeper.workspace import Workspace

app = typer.Typer(no_args_is_help=True, help="""Check and read the audit trail.

Every read of person-level data (risk explain, findings show, query, detect
--dry-run, case reads), every reveal and every account change is one entry
of a keyed hash chain in the state store.

Example: watchkeeper -w ws audit verify
  watchkeeper -w ws audit list --actor cli:alice --since 2025-03-01
""")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]
#: Characters of an object id shown in the table (the JSON has them whole).
OBJECT_WIDTH = 21


def cli_actor() -> str:
    """``cli:<login name>`` of whoever runs the command (`facade.state.local_actor`)."""
    from watchkeeper.facade.state import local_actor
    return local_actor()


def record_read(workspace: Workspace, action: str, object_type: str, object_id: str,
                detail: dict[str, DetailValue] | None = None) -> None:
    """Audit a read before its result is shown; an error stops the command first."""
    from watchkeeper.errors import AuditError, WatchkeeperError
    try:
        workspace.audited(cli_actor(), action, object_type, object_id, detail)
    except WatchkeeperError as exc:
        raise AuditError(f"{exc} (nothing shown: the audit log must record {action} "
                         "first)") from exc


@app.command("verify")
def verify(ctx: typer.Context, json: JsonOpt = False) -> None:
    """Check every entry, link and checkpoint of the audit trail.

    Exits 1 naming the first broken entry and why: edited, deleted, reordered,
    rehashed (recomputed without the workspace's key) or truncated (the log ends
    before a checkpoint in the store or in keys/audit.head).

    Example: watchkeeper -w ws audit verify
      watchkeeper -w ws audit verify --json
    """
    report = ctx.obj.open(create=False).audit_verify()
    if json:
        emit_json(_report_doc(report))
    elif report.ok:
        out.print(report.message, highlight=False)
    else:
        error_line(report.message)
    if not report.ok:
        raise typer.Exit(1)


@app.command("list")
def list_cmd(
    ctx: typer.Context,
    actor: Annotated[str | None, typer.Option(
        "--actor", help="Who (exactly as recorded, e.g. cli:alice).")] = None,
    action: Annotated[str | None, typer.Option(
        "--action", help="What: an action (risk.explain) or a prefix (risk).")] = None,
    since: Annotated[str | None, typer.Option(
        "--since", help="First day (YYYY-MM-DD, UTC).")] = None,
    limit: Annotated[int, typer.Option(
        "--limit", min=1, max=1000, help="Most entries shown, newest first.")] = 50,
    cursor: Annotated[str | None, typer.Option(
        "--cursor", help="Continue after a page (its next_cursor in --json).")] = None,
    json: JsonOpt = False,
) -> None:
    """List audit entries, newest first: who, when, what, on which object.

    Entries hold no case content, so an auditor can read them all.

    Example: watchkeeper -w ws audit list --action risk.explain --since 2025-03-01
      watchkeeper -w ws audit list --actor cli:alice --limit 200 --json
    """
    from watchkeeper.security.audit_sql import AuditFilter, AuditPageRequest
    day = parse_day(since, "--since") if since is not None else None
    start = datetime.combine(day, time(0), UTC) if day is not None else None
    found = ctx.obj.open(create=False).audit_entries(
        AuditFilter(actor=actor, action=action, since=start),
        AuditPageRequest(limit=limit, cursor=cursor))
    if json:
        emit_json({"entries": [_entry_doc(e) for e in found.items],
                   "next_cursor": found.next_cursor})
        return
    if not found.items:
        out.print("no audit entries match", highlight=False)
        return
    show(found.items)
    if found.next_cursor is not None:
        out.print(f"more: --cursor {found.next_cursor}", markup=False, highlight=False,
                  soft_wrap=True)


def show(entries: tuple[AuditEntry, ...]) -> None:
    """Entries in 80 columns: seq, time, actor, action, object."""
    table = Table(box=None, padding=(0, 1, 0, 0), header_style="bold")
    for name, width in (("seq", 7), ("time (UTC)", 19), ("actor", 14), ("action", 14),
                        ("object", OBJECT_WIDTH)):   # 80 with one space each
        table.add_column(name, no_wrap=True, overflow="ellipsis", width=width,
                         justify="right" if name == "seq" else "left")
    for e in entries:
        table.add_row(str(e.seq), e.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
                      escape(e.actor), escape(e.action),
                      escape(f"{e.object_type} {e.object_id}"))
    out.print(table)


def _entry_doc(e: AuditEntry) -> dict[str, object]:
    return {"seq": e.seq, "at": e.at.astimezone(UTC).isoformat(), "actor": e.actor,
            "action": e.action, "object_type": e.object_type, "object_id": e.object_id,
            "detail": dict(e.detail)}


def _report_doc(r: VerifyReport) -> dict[str, object]:
    return {"ok": r.ok, "checked": r.checked, "last_seq": r.last_seq,
            "checkpoint_seq": r.checkpoint_seq, "broken_seq": r.broken_seq,
            "reason": r.reason.value if r.reason is not None else None, "why": r.why,
            "message": r.message}


def register(root: typer.Typer) -> None:
    """Add the `audit` group to the main app."""
    root.add_typer(app, name="audit")
