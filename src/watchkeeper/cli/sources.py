"""`watchkeeper sources …`: what each source family brings to the analysis."""

from __future__ import annotations

import typer

from watchkeeper.cli.render import emit_json, out
from watchkeeper.cli.risk import JsonOpt

app = typer.Typer(name="sources", no_args_is_help=True, help="""\
Source families: what each one brings to the analysis.

Example: watchkeeper -w ws sources value
""")


@app.command("value")
def value(ctx: typer.Context, json: JsonOpt = False) -> None:
    """Each source's share of the evidence behind risk alerts and of the deviating
    features, from the stored analysis (no answer key needed).

    Example: watchkeeper -w ws sources value
      watchkeeper -w ws sources value --json
    """
    from watchkeeper.evaluate.render_sources import render_value

    workspace = ctx.obj.open(create=False)
    report = workspace.sources_value()
    if json:
        emit_json(report.to_dict())
    else:
        out.print(render_value(report), markup=False, highlight=False)
