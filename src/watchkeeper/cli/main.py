"""The `watchkeeper` command: global options, error handling, sub-command groups."""

from __future__ import annotations

import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from watchkeeper.cli import analyze as analyze_cmd
from watchkeeper.cli import detect as detect_cmd
from watchkeeper.cli import findings as findings_cmd
from watchkeeper.cli import ingest as ingest_cmd
from watchkeeper.cli import query as query_cmd
from watchkeeper.cli import rules as rules_cmd
from watchkeeper.cli import simulate as simulate_cmd
from watchkeeper.cli import status as status_cmd
from watchkeeper.cli.render import error_line
from watchkeeper.errors import WatchkeeperError
from watchkeeper.workspace import DEFAULT_HOME, HOME_ENV, Workspace


@dataclass
class Globals:
    workspace: Path
    debug: bool

    def open(self, create: bool = True) -> Workspace:
        return Workspace.open(self.workspace, create=create)


app = typer.Typer(
    name="watchkeeper", no_args_is_help=True, add_completion=False,
    help="Insider-risk and data-protection operations: ingest, detect, analyze, respond.",
    pretty_exceptions_enable=False,
)


@app.callback()
def main(
    ctx: typer.Context,
    workspace: Annotated[Path, typer.Option(
        "--workspace", "-w", envvar=HOME_ENV, help="Workspace directory.",
        show_default=True)] = Path(DEFAULT_HOME),
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
) -> None:
    ctx.obj = Globals(workspace, debug)


simulate_cmd.register(app)
status_cmd.register(app)
app.add_typer(ingest_cmd.app, name="ingest")
detect_cmd.register(app)
rules_cmd.register(app)
analyze_cmd.register(app)
findings_cmd.register(app)
query_cmd.register(app)


def run() -> None:
    """Console-script entry point: expected errors become one red line and exit code 1."""
    debug = "--debug" in sys.argv[1:]
    try:
        app()
    except WatchkeeperError as exc:
        if debug:
            traceback.print_exc()
        error_line(str(exc))
        sys.exit(1)
    except KeyboardInterrupt:
        error_line("interrupted; nothing partial was stored")
        sys.exit(130)
    except Exception as exc:
        if debug:
            raise
        error_line(f"unexpected {type(exc).__name__}: {exc} (run with --debug for details)")
        sys.exit(1)
