"""`watchkeeper rules validate|test|backtest`: check a rule pack and score rules."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from watchkeeper.cli.render import emit_json, error_line, out, progress_bar

app = typer.Typer(name="rules", no_args_is_help=True,
                  help="""Validate, test and backtest detection rules.

Example: watchkeeper rules validate my-rules/
  watchkeeper rules test
""")

PathArg = Annotated[Path | None, typer.Argument(help="Rule file or folder (default: the "
                                                     "shipped insider pack).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@app.command("validate")
def validate(path: PathArg = None, json: JsonOpt = False) -> None:
    """Parse and compile every rule; list errors with file and rule id; exit 1 if any.

    Example: watchkeeper rules validate
      watchkeeper rules validate my-rules/ --json
    """
    from watchkeeper.detect.ruleset import DEFAULT_RULES, load_pack
    pack = load_pack([path or DEFAULT_RULES])
    if json:
        emit_json({"rules": len(pack.rules), "errors": [str(e) for e in pack.errors]})
    else:
        for e in pack.errors:
            error_line(str(e))
        out.print(f"{len(pack.rules)} rules, {len(pack.errors)} errors")
    if pack.errors:
        raise typer.Exit(1)


@app.command("test")
def test(path: PathArg = None, json: JsonOpt = False) -> None:
    """Run every rule's golden positive and negative cases; exit 1 on any failure.

    Example: watchkeeper rules test
      watchkeeper rules test my-rules/insider.exfil.my_rule.yml --json
    """
    from watchkeeper.detect.backtest import run_golden_tests
    from watchkeeper.detect.ruleset import DEFAULT_RULES, load_pack
    pack = load_pack([path or DEFAULT_RULES])
    with progress_bar("Testing rules", enabled=not json, count=True) as progress:
        results = run_golden_tests(pack, progress)
    failed = [r for r in results if not r.passed]
    if json:
        emit_json({"rules": len(pack.rules), "cases": len(results), "failed": [
            {"rule_id": r.rule_id, "case": r.case, "positive": r.positive,
             "matches": r.matches, "error": r.error} for r in failed],
            "errors": [str(e) for e in pack.errors]})
    else:
        for e in pack.errors:
            error_line(str(e))
        for r in failed:
            want = "a match" if r.positive else "no match"
            error_line(f"{r.rule_id}: case {r.case!r} wanted {want}, got {r.matches}"
                       + (f" ({r.error})" if r.error else ""))
        out.print(f"{len(pack.rules)} rules, {len(results)} cases, {len(failed)} failed")
    if failed or pack.errors:
        raise typer.Exit(1)


@app.command("backtest")
def backtest_cmd(
    ctx: typer.Context,
    rule: Annotated[str, typer.Argument(help="Rule id, e.g. insider.exfil.leak_site_upload.")],
    answers: Annotated[Path, typer.Option("--answers", help="Folder with insiders.csv.")],
    json: JsonOpt = False,
) -> None:
    """Matches per day and true/false positives of a rule's stored findings.

    Example: watchkeeper -w ws rules backtest insider.exfil.first_usb_use --answers a/
      watchkeeper -w ws rules backtest insider.recon.leak_site_visit --answers a/ --json
    """
    from watchkeeper.detect.backtest import backtest
    result = backtest(ctx.obj.open(create=False).lake, rule, answers)
    if json:
        emit_json(result)
        return
    table = Table(title=f"Backtest {escape(rule)}")
    for col in ("matches", "true positives", "false positives", "precision", "detected"):
        table.add_column(col)
    table.add_row(str(result["matches"]), str(result["true_positives"]),
                  str(result["false_positives"]), str(result["precision"]),
                  escape(", ".join(result["detected"])))
    out.print(table)


def register(app_: typer.Typer) -> None:
    """Add the `rules` group to the main app."""
    app_.add_typer(app, name="rules")
