"""`watchkeeper rules validate|test|backtest`: check a rule pack and score rules."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from watchkeeper.cli.detect import show_rejected
from watchkeeper.cli.render import emit_json, err, error_line, out, progress_bar

if TYPE_CHECKING:
    from watchkeeper.detect.packtypes import Pack
    from watchkeeper.detect.rejections import Rejection

app = typer.Typer(name="rules", no_args_is_help=True,
                  help="""Validate, test and backtest detection rules.

Example: watchkeeper rules validate my-rules/
  watchkeeper rules test
""")

PathArg = Annotated[list[Path] | None, typer.Argument(
    help="Rule files or folders: plain Sigma (SigmaHQ or any layout) or a Watchkeeper "
         "pack (default: the shipped insider pack).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
StrictOpt = Annotated[bool, typer.Option(
    "--strict", help="Any rule that cannot run is an error (exit 1).")]
VerboseOpt = Annotated[bool, typer.Option(
    "--verbose", "-v", help="List each plain rule that cannot run, with file and line.")]


@dataclass(frozen=True)
class Checked:
    """A loaded rule set sorted for reporting: pack errors, plain rules left out."""

    pack: Pack
    errors: tuple[Rejection, ...]  # pack rules: always errors (exit 1)
    skipped: tuple[Rejection, ...]  # plain rules that cannot run: a summary

    @property
    def failed(self) -> bool:
        return bool(self.errors) or not self.pack.rules


def check(paths: list[Path] | None, strict: bool) -> Checked:
    from watchkeeper.detect.rejections import rejections
    from watchkeeper.detect.ruleset import DEFAULT_RULES, load_pack
    pack = load_pack(paths or [DEFAULT_RULES])
    found = rejections(pack.errors)
    fatal = tuple(r for r in found if strict or pack.is_fatal(r.path))
    return Checked(pack, fatal, tuple(r for r in found if r not in fatal))


def report_problems(checked: Checked, verbose: bool) -> None:
    for e in checked.errors:
        error_line(str(e))
    # when nothing can run, the reasons are the whole answer: list them without -v
    show_rejected(checked.skipped, verbose or not checked.pack.rules)
    if not checked.pack.rules:
        error_line("no rule can run")


def rejected_json(checked: Checked) -> dict[str, Any]:
    from watchkeeper.detect.rejections import summary
    every = (*checked.errors, *checked.skipped)
    return {"count": len(every), "by_reason": summary(every),
            "rules": [r.to_dict() for r in every]}


@app.command("validate")
def validate(paths: PathArg = None, strict: StrictOpt = False, verbose: VerboseOpt = False,
             json: JsonOpt = False) -> None:
    """Parse and compile every rule; warn about fields a log source never has.

    Pack errors name file, line and rule (exit 1); plain
    Sigma rules that cannot run are summed up (exit 1 with --strict or when none can
    run); fields a rule tests that its log source never has are warnings.

    Example: watchkeeper rules validate
      watchkeeper rules validate sigma/rules/windows --verbose --json
    """
    from watchkeeper.detect.fields import field_warnings
    checked = check(paths, strict)
    warnings = field_warnings(checked.pack.rules)
    if json:
        emit_json({"rules": len(checked.pack.rules), "errors": [str(e) for e in checked.errors],
                   "rejected": rejected_json(checked), "warnings": [str(w) for w in warnings],
                   "rule_cache": checked.pack.cache.to_dict()})
    else:
        report_problems(checked, verbose)
        for w in warnings:
            err.print(f"[yellow]warning:[/] {escape(str(w))}", highlight=False, soft_wrap=True)
        out.print(f"{len(checked.pack.rules)} rules can run, {len(checked.errors)} errors, "
                  f"{len(checked.skipped)} left out, {len(warnings)} warnings",
                  highlight=False)
    if checked.failed:
        raise typer.Exit(1)


@app.command("test")
def test(paths: PathArg = None, strict: StrictOpt = False, verbose: VerboseOpt = False,
         json: JsonOpt = False) -> None:
    """Run every pack rule's golden positive and negative cases; exit 1 on any failure.

    Plain Sigma rules have no golden cases: they are loaded and compiled only.

    Example: watchkeeper rules test
      watchkeeper rules test my-rules/insider.exfil.my_rule.yml --json
    """
    from watchkeeper.detect.backtest import run_golden_tests
    checked = check(paths, strict)
    with progress_bar("Testing rules", enabled=not json, count=True) as progress:
        results = run_golden_tests(checked.pack, progress)
    failed = [r for r in results if not r.passed]
    untested = sum(1 for r in checked.pack.rules if r.plain)
    if json:
        emit_json({"rules": len(checked.pack.rules), "cases": len(results), "failed": [
            {"rule_id": r.rule_id, "case": r.case, "positive": r.positive,
             "matches": r.matches, "error": r.error} for r in failed],
            "untested": untested, "errors": [str(e) for e in checked.errors],
            "rejected": rejected_json(checked)})
    else:
        report_problems(checked, verbose)
        for r in failed:
            want = "a match" if r.positive else "no match"
            error_line(f"{r.rule_id}: case {r.case!r} wanted {want}, got {r.matches}"
                       + (f" ({r.error})" if r.error else ""))
        out.print(f"{len(checked.pack.rules)} rules, {len(results)} cases, {len(failed)} "
                  f"failed; {untested} plain rules without golden cases", highlight=False)
    if failed or checked.failed:
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
