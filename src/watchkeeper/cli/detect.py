"""`watchkeeper detect`: run rules over the lake, store findings (or only show them)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from watchkeeper.cli.alerts_view import queued_line
from watchkeeper.cli.audit import record_read
from watchkeeper.cli.render import emit_json, err, out, parse_day, progress_bar

if TYPE_CHECKING:  # the engine (Ibis, pySigma) loads only when a command needs it
    from watchkeeper.detect.engine import DetectReport
    from watchkeeper.detect.rejections import Rejection
    from watchkeeper.detect.review import FindingSummary

#: Findings a dry run prints (all of them are in its JSON).
DRY_RUN_SHOWN = 20
#: Rules with findings listed (most findings first; the JSON has every rule).
RULES_SHOWN = 25


def parse_since(value: str | None) -> date | None:
    """``all``/``beginning`` → everything; ``YYYY-MM-DD`` → from that day; None → incremental."""
    if value is None:
        return None
    if value.lower() in ("all", "beginning"):
        from watchkeeper.detect.engine import BEGINNING
        return BEGINNING
    return parse_day(value, "--since")


def register(app: typer.Typer) -> None:
    @app.command("detect")
    def detect_cmd(
        ctx: typer.Context,
        rules: Annotated[list[Path] | None, typer.Option(
            "--rules", help="Rule file or folder: plain Sigma (e.g. SigmaHQ) or a "
                            "Watchkeeper pack; repeatable; default: the shipped pack.")
        ] = None,
        since: Annotated[str | None, typer.Option(
            "--since", help="First day to scan (YYYY-MM-DD) or 'all'; default: since the "
                            "last run, minus one day of overlap.")] = None,
        dry_run: Annotated[bool, typer.Option(
            "--dry-run", help="Print the matches; store nothing.")] = False,
        strict: Annotated[bool, typer.Option(
            "--strict", help="Any rule that cannot run is an error (exit 1).")] = False,
        verbose: Annotated[bool, typer.Option(
            "--verbose", "-v", help="List each rule that cannot run, with file and line.")
        ] = False,
        json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
        wait: Annotated[float, typer.Option(
            "--wait", min=0, metavar="SECONDS",
            help="Wait this long for another process writing the lake.")] = 0.0,
    ) -> None:
        """Run detection rules over the lake and store their findings.

        Sigma (plain or pack), SQL and correlation rules; findings are never duplicated.
        Rules that cannot run are summed up on stderr; a run in which none can run exits 1.
        Matches allowed by a rule's `allow:` or the workspace's exceptions.yml are counted
        as suppressed.

        Example: watchkeeper -w ws detect
          watchkeeper -w ws detect --rules sigma/rules/windows --since all
          watchkeeper -w ws detect --rules my-rule.yml --dry-run
        """
        workspace = ctx.obj.open(create=False)
        with progress_bar("Detecting", enabled=not json, count=True) as progress:
            report = workspace.detect(rules or None, parse_since(since), progress=progress,
                                      dry_run=dry_run, strict=strict, wait=wait)
        if dry_run:
            record_read(workspace, "detect.dry_run", "rules", rules_label(rules),
                        {"since": report.since.isoformat(), "findings": report.total,
                         "rules": len(report.alerts)})
        show_rejected(report.rejected, verbose)
        if json:
            emit_json(report.to_dict())
        else:
            show(report)
            queued_line(workspace.last_sync)


def rules_label(rules: list[Path] | None) -> str:
    """The rules a dry run read with, for the audit log: file or folder names."""
    label = ", ".join(path.name for path in rules) if rules else "shipped pack"
    return label if len(label) <= 200 else label[:199] + "…"


def show_rejected(rejected: Sequence[Rejection], verbose: bool) -> None:
    """One summary line on stderr (count by reason); each rule with ``verbose``."""
    if not rejected:
        return
    from watchkeeper.detect.rejections import summary
    counts = ", ".join(f"{reason} {n:,}" for reason, n in summary(rejected).items())
    hint = "" if verbose else "; --verbose lists them"
    err.print(f"[yellow]warning:[/] {len(rejected):,} rule(s) cannot run ({counts}){hint}",
              highlight=False, soft_wrap=True)
    if verbose:
        for rejection in rejected:
            err.print(f"  {escape(str(rejection))}", highlight=False, soft_wrap=True)


def rule_label(rule_id: str, title: str) -> str:
    """A dotted pack id as it is; a plain Sigma rule (a UUID id) by its title."""
    return rule_id if "." in rule_id or not title else title


def show(report: DetectReport) -> None:
    ran = sum(1 for n in report.alerts.values() if n)
    what = "dry run" if report.dry_run else f"{report.stored:,} new"
    out.print(f"[bold]Detected[/] since {report.since}: {report.total:,} findings ({what}) "
              f"from {ran:,} of {len(report.alerts):,} rules, {report.seconds:.1f}s",
              highlight=False)
    rows = sorted((rid for rid, n in report.alerts.items()
                   if n or report.suppressed.get(rid)),
                  key=lambda rid: (-report.alerts[rid], rid))
    if rows:
        table = Table(title="Findings per rule", title_justify="left", box=box.SIMPLE_HEAD,
                      pad_edge=False)
        table.add_column("rule", overflow="ellipsis", no_wrap=True, max_width=56)
        table.add_column("findings", justify="right")
        table.add_column("suppr.", justify="right")
        for rid in rows[:RULES_SHOWN]:
            table.add_row(escape(rule_label(rid, report.titles.get(rid, ""))),
                          f"{report.alerts[rid]:,}", f"{report.suppressed.get(rid, 0):,}")
        out.print(table)
        if len(rows) > RULES_SHOWN:
            out.print(f"… and {len(rows) - RULES_SHOWN:,} more rules with findings "
                      "(--json lists all)")
    shown = report.findings[:DRY_RUN_SHOWN] if report.dry_run else report.findings
    if shown:
        label = "Matches (dry run, newest first)" if report.dry_run else "Newest findings"
        findings_table(shown, label)
        if len(report.findings) > len(shown):
            out.print(f"… and {len(report.findings) - len(shown):,} more (--json lists all)")


LEVEL_SHORT = {"informational": "info", "medium": "med", "critical": "crit"}


def findings_table(findings: Sequence[FindingSummary], title: str) -> None:
    """Findings in 80 columns: short id, time, level, rule, user, host."""
    table = Table(title=title, title_justify="left", box=None, padding=(0, 1, 0, 0),
                  header_style="bold")
    for name, width in (("id", 11), ("time (UTC)", 16), ("lvl", 4), ("rule", 20),
                        ("user", 12), ("host", 10)):  # 73 + one space each
        table.add_column(name, no_wrap=True, overflow="ellipsis", width=width)
    for f in findings:
        table.add_row(f.id[:11], f.time.strftime("%Y-%m-%d %H:%M"),
                      escape(LEVEL_SHORT.get(f.severity, f.severity)),
                      escape(rule_label(f.rule_id, f.title)), escape(f.user or ""),
                      escape(f.host or ""))
    out.print(table)
