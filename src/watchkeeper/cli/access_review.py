"""`watchkeeper access entitlements`, `access unused-grants`, `access review
start|list|show|decide|close` and `access report` (docs/access.md, "Entitlement
review", "Transparency report")."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from watchkeeper.cli.access import JsonOpt, _actor, _table
from watchkeeper.cli.render import emit_json, err, out, progress_bar

if TYPE_CHECKING:
    from watchkeeper.access.review_store import ReviewItem, ReviewSummary

review_app = typer.Typer(
    name="review",
    no_args_is_help=True,
    help="""\
Entitlement review campaigns: keep or revoke each entitlement.

A campaign snapshots who can reach which user data and through what (a policy
or a grant). Reviewers keep or revoke each item, never their own; revoking a
grant's item revokes the grant. Every step is audited.

Example: watchkeeper -w ws access review start "2026 Q2" --scope grants
  watchkeeper -w ws access review decide 1 4 revoke --as leo --reason "left team"
""",
)
RegionOpt = Annotated[str | None, typer.Option("--region", help="Only people of this region.")]


def entitlements(
    ctx: typer.Context,
    region: RegionOpt = None,
    principal: Annotated[
        str | None, typer.Option("--for", help="List this employee's entitlements.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=0, help="People shown (0: all).")] = 20,
    json: JsonOpt = False,
) -> None:
    """Who can reach which user data, through what; reach against peers; unused grants.

    Example: watchkeeper -w ws access entitlements
      watchkeeper -w ws access entitlements --for ana
      watchkeeper -w ws access entitlements --region EU --json
    """
    ws = ctx.obj.open(create=False)
    with progress_bar("entitlements", enabled=not json) as step:
        view = ws.access_entitlements(region=region, progress=step)
    if json:
        emit_json(asdict(view))
        return
    if principal is not None:
        table = _table(
            f"Entitlements of {escape(principal)}", ("action", "resource", "region", "via")
        )
        for e in view.entitlements:
            if e.principal == principal:
                via = (
                    f"grant {e.grant_id} ({e.purpose})"
                    if e.grant_id is not None
                    else ", ".join(e.policies)
                )
                table.add_row(e.action, escape(e.resource), e.resource_region, escape(via))
        out.print(table)
        return
    table = _table(
        "Reach (entitlements) against peers",
        ("who", "region", "reach", "grants", "median", "z", ""),
    )
    for r in view.reach[: limit or None]:
        table.add_row(
            escape(r.principal),
            r.region,
            str(r.entitlements),
            str(r.via_grant),
            f"{r.peer_median:g}",
            f"{r.z:.1f}",
            "[red]outlier[/]" if r.outlier else "",
        )
    out.print(table)
    unused = _table("Grants in force never used", ("grant", "for", "action", "resource", "since"))
    for u in view.unused:
        unused.add_row(
            str(u.grant_id),
            escape(u.principal),
            u.action,
            escape(u.resource),
            f"{u.start:%Y-%m-%d}",
        )
    out.print(unused)


def unused_grants(
    ctx: typer.Context,
    period: Annotated[
        str | None,
        typer.Option(
            "--period",
            metavar="PERIOD",
            help="Grants overlapping 2025-03, 2025-Q1 or FROM..TO (default: all).",
        ),
    ] = None,
    json: JsonOpt = False,
) -> None:
    """Grants never used: no allowing decision, no matching data-store event.

    Example: watchkeeper -w ws access unused-grants
      watchkeeper -w ws access unused-grants --period 2026-Q2 --json
    """
    from watchkeeper.ops.period import parse_period

    chosen = parse_period(period, "--period")
    ws = ctx.obj.open(create=False)
    found = ws.access_unused_grants(chosen)
    if json:
        emit_json([asdict(u) for u in found])
        return
    table = _table("Grants never used", ("grant", "for", "action", "resource", "from", "to"))
    for u in found:
        table.add_row(
            str(u.grant_id),
            escape(u.principal),
            u.action,
            escape(u.resource),
            f"{u.start:%Y-%m-%d}",
            f"{u.end:%Y-%m-%d}" + (" (revoked)" if u.revoked else ""),
        )
    out.print(table)


@review_app.command("start")
def start(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The campaign's name.")],
    scope: Annotated[
        str, typer.Option("--scope", help="all (policies and grants) or grants.")
    ] = "all",
    region: RegionOpt = None,
    json: JsonOpt = False,
) -> None:
    """Start a campaign over today's entitlements; prints its id.

    Example: watchkeeper -w ws access review start "2026 Q2"
      watchkeeper -w ws access review start "EU grants" --scope grants --region EU
    """
    ws = ctx.obj.open(create=False)
    with progress_bar("entitlements", enabled=not json) as step:
        made = ws.access_review_start(
            name, actor=_actor(), scope=scope, region=region, progress=step
        )
    if json:
        emit_json(asdict(made))
        return
    out.print(str(made.id))
    err.print(f"review {made.id} open: {made.items} entitlement(s) to review")


@review_app.command("list")
def list_(
    ctx: typer.Context,
    status: Annotated[str, typer.Option("--status", help="open, closed or all.")] = "all",
    json: JsonOpt = False,
) -> None:
    """Review campaigns and their progress.

    Example: watchkeeper -w ws access review list --status open
    """
    ws = ctx.obj.open(create=False)
    found = ws.access_reviews(None if status == "all" else status)
    if json:
        emit_json([asdict(r) for r in found])
        return
    table = _table(
        "Access reviews", ("id", "name", "scope", "kept", "revoked", "pending", "status")
    )
    for r in found:
        table.add_row(
            str(r.id),
            escape(r.name),
            escape(r.scope),
            str(r.kept),
            str(r.revoked),
            str(r.pending),
            r.status,
        )
    out.print(table)


@review_app.command("show")
def show(
    ctx: typer.Context,
    review: Annotated[int, typer.Argument(metavar="ID")],
    pending: Annotated[
        bool, typer.Option("--pending", help="Only items without an outcome.")
    ] = False,
    json: JsonOpt = False,
) -> None:
    """One campaign's items: unused grants and people whose reach stands out flagged.

    Example: watchkeeper -w ws access review show 1 --pending
    """
    ws = ctx.obj.open(create=False)
    found = ws.access_review(review, pending=pending)
    if json:
        emit_json(asdict(found))
        return
    _summary(found.review)
    table = _table("Items", ("item", "who", "action", "resource", "via", "flags", "outcome"))
    for i in found.items:
        table.add_row(
            str(i.id),
            escape(i.principal),
            i.action,
            escape(i.resource),
            f"grant {i.grant_id}" if i.grant_id is not None else "policy",
            _flags(i),
            i.outcome or "",
        )
    out.print(table)


def _flags(i: ReviewItem) -> str:
    return " ".join(f for f, on in (("unused", i.unused), ("outlier", i.outlier)) if on)


def _summary(r: ReviewSummary) -> None:
    out.print(
        f"review {r.id} {escape(r.name)!r} ({escape(r.scope)}), {r.status}: "
        f"{r.kept} kept, {r.revoked} revoked, {r.pending} pending"
    )


@review_app.command("decide")
def decide(
    ctx: typer.Context,
    review: Annotated[int, typer.Argument(metavar="ID")],
    item: Annotated[int, typer.Argument(metavar="ITEM")],
    outcome: Annotated[str, typer.Argument(help="keep or revoke.")],
    reviewer: Annotated[
        str, typer.Option("--as", metavar="EMPLOYEE", help="The reviewing employee.")
    ],
    reason: Annotated[str, typer.Option("--reason", help="Why (needed to revoke).")] = "",
    json: JsonOpt = False,
) -> None:
    """Keep or revoke one entitlement; revoking a grant's revokes the grant.

    Example: watchkeeper -w ws access review decide 1 4 keep --as leo
      watchkeeper -w ws access review decide 1 5 revoke --as leo --reason "unused"
    """
    ws = ctx.obj.open(create=False)
    done = ws.access_review_decide(
        review, item, outcome, reviewer=reviewer, actor=_actor(), reason=reason
    )
    if json:
        emit_json(asdict(done))
        return
    out.print(
        f"item {done.id}: {done.outcome}" + (f" ({escape(done.effect)})" if done.effect else "")
    )


@review_app.command("close")
def close(
    ctx: typer.Context, review: Annotated[int, typer.Argument(metavar="ID")], json: JsonOpt = False
) -> None:
    """Close a campaign once every item has an outcome.

    Example: watchkeeper -w ws access review close 1
    """
    ws = ctx.obj.open(create=False)
    done = ws.access_review_close(review, actor=_actor())
    if json:
        emit_json(asdict(done))
    else:
        _summary(done)


def report(
    ctx: typer.Context,
    period: Annotated[
        str,
        typer.Option(
            "--period",
            metavar="PERIOD",
            help=("2025-03, 2025-Q1, 2025, or FROM..TO of these (UTC)."),
        ),
    ],
    html: Annotated[
        Path | None,
        typer.Option("--html", metavar="FILE", help="Write a page with a chart (works offline)."),
    ] = None,
    csv: Annotated[
        Path | None, typer.Option("--csv", metavar="FILE", help=("Write every figure as CSV."))
    ] = None,
    json: JsonOpt = False,
) -> None:
    """Transparency report per region pair: counts only, no person named.

    Example: watchkeeper -w ws access report --period 2026-Q2
      watchkeeper -w ws access report --period 2026-04..2026-06 --html r.html --csv r.csv
    """
    from watchkeeper.access.report_render import to_json
    from watchkeeper.ops.period import Period

    chosen = Period.parse(period, "--period")
    ws = ctx.obj.open(create=False)
    found = ws.access_report(chosen)
    written = ws.access_report_write(found, html=html, csv=csv)
    if json:
        emit_json(to_json(found))
        return
    out.print(
        f"Transparency report {escape(found.period)}: "
        f"{found.cross_region_employees} employee(s) reached another region's "
        "user data"
    )
    table = _table(
        "By region pair",
        ("from", "to", "people", "allowed", "approved", "denied", "expired", "viol.", "resolved"),
    )
    for p in found.pairs:
        table.add_row(
            p.from_region,
            p.to_region,
            str(p.employees),
            str(p.allowed),
            str(p.approved),
            str(p.requests_denied),
            str(p.grants_expired),
            str(p.violations),
            str(p.violations_resolved),
        )
    out.print(table)
    for path in written:
        err.print(f"wrote {escape(str(path))}")


def register(access: typer.Typer) -> None:
    """Add `entitlements`, `unused-grants`, `report` and the `review` group to
    `access`."""
    access.command("entitlements")(entitlements)
    access.command("report")(report)
    access.command("unused-grants")(unused_grants)
    access.add_typer(review_app)
