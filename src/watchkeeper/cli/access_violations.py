"""`watchkeeper access violations|violation|detect-violations|resolve-violation`:
violations of the access rules found in data-store events (docs/access.md,
"Violations")."""

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


def violation(ctx: typer.Context,
              ident: Annotated[str, typer.Argument(metavar="ID", help="A violation id.")],
              json: JsonOpt = False) -> None:
    """One violation end to end: its events, the finding, the person's risk.

    The risk is the person's score the day before the violation and on its day
    (once `analyze` ran over it), with the signal the violation added.

    Example: watchkeeper -w ws access violation wk:3f2a9c0d11e24b5f8a7c6d5e4f3a2b1c
      watchkeeper -w ws access violation wk:3f2a9c0d11e24b5f8a7c6d5e4f3a2b1c --json
    """
    trace = ctx.obj.open(create=False).violation_trace(ident)
    if json:
        emit_json(asdict(trace) | {"state": trace.view.state})
        return
    v = trace.view.violation
    out.print(escape(f"Violation {v.id} ({trace.view.state})"), highlight=False)
    out.print(escape(f"  {v.kind}, {v.severity}: {v.title}"), highlight=False)
    out.print(escape(f"  {v.user} on {v.day}, store {v.dataset or '-'}: {v.detail}"[:80]),
              highlight=False)
    out.print(f"Events behind it ({len(trace.events)}):")
    for e in trace.events[:10]:
        out.print(escape(f"  {e.time:%Y-%m-%d %H:%M} {e.operation:<7} {e.dataset[:28]:<28}"
                         f" {e.records:>9,} rec ticket {e.ticket or '-'}"), highlight=False)
    if len(trace.events) > 10:
        out.print(f"  ... {len(trace.events) - 10} more (--json for all)")
    out.print(f"Finding: OCSF Data Security Finding (2006), rule access.{v.kind}")
    out.print(f"Alert: #{trace.alert[0]} in the queue ({trace.alert[1]})" if trace.alert
              else "Alert: not queued yet (`watchkeeper alerts sync` queues it)")
    if trace.risk_on is None:
        out.print("Risk: the day is not analysed yet (run `watchkeeper analyze`).")
        return
    before = f"{trace.risk_before:.2f}" if trace.risk_before is not None else "-"
    out.print(escape(f"Risk of {v.user}: {before} the day before, {trace.risk_on:.2f} on "
                     f"{v.day} (alert at {trace.threshold:.2f})"[:80]), highlight=False)
    for line in trace.signals:
        out.print(escape(f"  {line}"[:80]), highlight=False)
    if trace.view.resolution is not None:
        r = trace.view.resolution
        out.print(escape(f"Resolved {r.resolved_at:%Y-%m-%d} by {r.resolved_by}: "
                         f"{r.resolution} ({r.note})"[:80]), highlight=False)


def resolve_violation(
        ctx: typer.Context,
        ident: Annotated[str, typer.Argument(metavar="ID", help="A violation id.")],
        resolution: Annotated[str, typer.Option(
            "--resolution", help="remediated, authorized or false_positive.")],
        note: Annotated[str, typer.Option("--note", help="What was done (recorded).")],
        who: Annotated[str | None, typer.Option(
            "--as", metavar="NAME", envvar="WATCHKEEPER_ACCOUNT",
            help="Act as this account (else the one named like your login).")] = None,
        json: JsonOpt = False) -> None:
    """Record how a violation was resolved (once; audited).

    Example: watchkeeper -w ws access resolve-violation wk:3f2a... --resolution
      remediated --note "export deleted, manager informed"
    """
    ws = ctx.obj.open(create=False)
    done = ws.violation_resolve(ident, resolution, note, actor=ws.case_viewer(who).name)
    if json:
        emit_json(asdict(done) | {"state": done.state})
        return
    r = done.resolution
    assert r is not None
    out.print(escape(f"Resolved {ident}: {r.resolution}"), highlight=False)


def register(access: typer.Typer) -> None:
    """Add `violations`, `violation`, `detect-violations` and `resolve-violation` to
    the `access` group."""
    access.command("violations")(violations)
    access.command("violation")(violation)
    access.command("detect-violations")(detect_violations)
    access.command("resolve-violation")(resolve_violation)

