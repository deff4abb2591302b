"""`watchkeeper access violations` and `access detect-violations`: violations of the
access rules found in data-store events (docs/access.md, "Violations")."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from watchkeeper.cli.render import emit_json, out, parse_day, progress_bar

if TYPE_CHECKING:
    from watchkeeper.access.violations_store import Violation

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]


def violations(ctx: typer.Context,
               kind: Annotated[str | None, typer.Option(
                   "--kind", help="no_grant, expired_grant, cross_region, volume, leaver "
                                  "or movement.")] = None,
               user: Annotated[str | None, typer.Option("--user", help="Only this person.")
                               ] = None,
               since: Annotated[str | None, typer.Option(
                   "--since", help="First day (YYYY-MM-DD, UTC).")] = None,
               limit: Annotated[int, typer.Option("--limit", min=0, help="0: all.")] = 50,
               json: JsonOpt = False) -> None:
    """Stored access violations, newest first.

    Example: watchkeeper -w ws access violations
      watchkeeper -w ws access violations --kind cross_region --json
    """
    found = ctx.obj.open(create=False).violations(
        kind=kind, user=user, since=parse_day(since, "--since") if since else None,
        limit=limit)
    if json:
        emit_json([asdict(v) for v in found])
    else:
        show(found)


def detect_violations(ctx: typer.Context,
                      first: Annotated[str | None, typer.Option(
                          "--from", help="First day checked (YYYY-MM-DD, UTC).")] = None,
                      last: Annotated[str | None, typer.Option(
                          "--to", help="Last day checked, inclusive.")] = None,
                      dry_run: Annotated[bool, typer.Option(
                          "--dry-run", help="Find, but store nothing.")] = False,
                      wait: Annotated[float, typer.Option(
                          "--wait", min=0, metavar="SECONDS",
                          help="Wait this long for another process writing the lake.")
                                      ] = 0.0,
                      json: JsonOpt = False) -> None:
    """Check data-store access events for violations and store them.

    Each violation is stored once, as an OCSF Data Security Finding (2006)
    with the events behind it; the next `analyze` scores it as a risk signal.

    Example: watchkeeper -w ws access detect-violations
      watchkeeper -w ws access detect-violations --from 2025-01-01 --dry-run --json
    """
    ws = ctx.obj.open(create=False)
    with progress_bar("Checking access", enabled=not json):
        run = ws.violations_detect(first=parse_day(first, "--from") if first else None,
                                   last=parse_day(last, "--to") if last else None,
                                   dry_run=dry_run, wait=wait)
    if json:
        emit_json({"counts": run.counts, "stored": run.stored, "commit": run.commit,
                   "grants_checked": run.grants_checked, "dry_run": run.dry_run,
                   "found": [asdict(v) for v in run.found]})
        return
    total = sum(run.counts.values())
    out.print(f"Found {total:,} violation(s): " + ", ".join(
        f"{k} {n}" for k, n in run.counts.items() if n) if total else "Found no violations.")
    if not run.grants_checked:
        out.print("Grants not checked: no allowing windows in this workspace yet.")
    if not run.dry_run:
        out.print(f"Stored {run.stored:,} new" + (f" (commit {run.commit})."
                                                   if run.commit else "."))


def show(found: tuple[Violation, ...]) -> None:
    if not found:
        out.print("No violations stored.")
        return
    out.print(f"{'day':<10} {'kind':<13} {'user':<10} {'store':<24} {'events':>7} sev")
    for v in found:
        store = (v.dataset or "-")[:24]
        out.print(escape(f"{v.day} {v.kind:<13} {v.user[:10]:<10} {store:<24} "
                         f"{v.events:>7} {v.severity}"), highlight=False)


def register(access: typer.Typer) -> None:
    """Add `violations` and `detect-violations` to the `access` group."""
    access.command("violations")(violations)
    access.command("detect-violations")(detect_violations)

