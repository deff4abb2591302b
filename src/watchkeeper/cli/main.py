"""The `watchkeeper` command: global options, error handling, sub-command groups.

Only Typer and Rich load at start: each command imports what it needs when it runs, so
`watchkeeper --help` stays fast (benchmarks/bench_cli_startup.py). Keep new command
modules that way: heavy imports (DuckDB, pyarrow, Ibis, numpy, the workspace) go inside
the command function or under `TYPE_CHECKING`.
"""

from __future__ import annotations

import gc
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from watchkeeper import __version__
from watchkeeper.cli import access as access_cmd
from watchkeeper.cli import access_review as access_review_cmd
from watchkeeper.cli import access_violations as access_violations_cmd
from watchkeeper.cli import alerts as alerts_cmd
from watchkeeper.cli import analyze as analyze_cmd
from watchkeeper.cli import audit as audit_cmd
from watchkeeper.cli import cases as cases_cmd
from watchkeeper.cli import db as db_cmd
from watchkeeper.cli import detect as detect_cmd
from watchkeeper.cli import feedback as feedback_cmd
from watchkeeper.cli import findings as findings_cmd
from watchkeeper.cli import holds as holds_cmd
from watchkeeper.cli import ingest as ingest_cmd
from watchkeeper.cli import lake as lake_cmd
from watchkeeper.cli import metrics as metrics_cmd
from watchkeeper.cli import playbooks as playbooks_cmd
from watchkeeper.cli import quarantine as quarantine_cmd
from watchkeeper.cli import query as query_cmd
from watchkeeper.cli import reveal as reveal_cmd
from watchkeeper.cli import rules as rules_cmd
from watchkeeper.cli import scheduler as scheduler_cmd
from watchkeeper.cli import serve as serve_cmd
from watchkeeper.cli import shifts as shifts_cmd
from watchkeeper.cli import simulate as simulate_cmd
from watchkeeper.cli import sla as sla_cmd
from watchkeeper.cli import sources as sources_cmd
from watchkeeper.cli import status as status_cmd
from watchkeeper.cli import users as users_cmd
from watchkeeper.cli.options import INTERRUPTED, STORED, build, usage_error_line
from watchkeeper.cli.render import error_line, warning_line
from watchkeeper.errors import WatchkeeperError
from watchkeeper.home import DEFAULT_HOME, HOME_ENV

if TYPE_CHECKING:
    from watchkeeper.workspace import Workspace



# What a job changes becomes visible in one rename of one of these files; comparing them
# before and after tells an interrupted job that stored nothing from one that finished.
COMMIT_POINTS = ("lake/manifest.json", "analytics/current.json")


@dataclass
class Globals:
    workspace: Path
    debug: bool
    json: bool = False
    opened: tuple[tuple[str, int, int], ...] | None = None
    workspaces: list[Workspace] = field(default_factory=list)
    database_url: str | None = None

    def open(self, create: bool = False) -> Workspace:
        """The workspace; only commands that load data (`ingest`) may pass create=True."""
        from watchkeeper.workspace import Workspace
        workspace = Workspace.open(self.workspace, create=create,
                                   database_url=self.database_url)
        self.opened = self.commit_points()
        OPENED.append(self)
        self.workspaces.append(workspace)
        return workspace

    def show_notices(self) -> None:
        """What the command's reads worked around (a damaged file skipped), one line each."""
        for workspace in self.workspaces:
            for line in workspace.notices():
                warning_line(line)

    def commit_points(self) -> tuple[tuple[str, int, int], ...]:
        found = []
        for name in COMMIT_POINTS:
            try:
                st = (self.workspace / name).stat()
            except OSError:
                continue
            found.append((name, st.st_mtime_ns, st.st_size))
        return tuple(found)

    def changed(self) -> bool:
        return self.opened is not None and self.opened != self.commit_points()


OPENED: list[Globals] = []   # the workspaces this run opened, for the Ctrl-C message


app = typer.Typer(
    name="watchkeeper", no_args_is_help=True, add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        print(f"watchkeeper {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    workspace: Annotated[Path, typer.Option(
        "--workspace", "-w", envvar=HOME_ENV, help="Workspace directory.",
        show_default=True)] = Path(DEFAULT_HOME),
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
    json: Annotated[bool, typer.Option(
        "--json", help="JSON output, for commands that have it.")] = False,
    version: Annotated[bool, typer.Option(
        "--version", help="Print the version and exit.", callback=_version,
        is_eager=True)] = False,
    database_url: Annotated[str | None, typer.Option(
        "--database-url", metavar="URL",
        help="State store URL (else WATCHKEEPER_DATABASE_URL, watchkeeper.toml, "
             "state.db).")] = None,
) -> None:
    """Insider-risk and data-protection operations: ingest, detect, analyze, respond.

    Global options (-w, --debug, --json) may also follow the command.

    Example: watchkeeper -w ws ingest auto data/
      watchkeeper -w ws analyze
      watchkeeper -w ws risk top
    """
    ctx.obj = Globals(workspace, debug, json, database_url=database_url)
    ctx.call_on_close(ctx.obj.show_notices)  # runs when the command ends, even on error


simulate_cmd.register(app)
status_cmd.register(app)
app.add_typer(ingest_cmd.app, name="ingest")
detect_cmd.register(app)
rules_cmd.register(app)
feedback_cmd.register(app)   # rules stats, rules proposals, watchlist
analyze_cmd.register(app)
app.add_typer(quarantine_cmd.app, name="quarantine")
app.add_typer(lake_cmd.app, name="lake")
app.add_typer(sources_cmd.app, name="sources")
findings_cmd.register(app)
query_cmd.register(app)
app.add_typer(db_cmd.app, name="db")
db_cmd.register(app)
audit_cmd.register(app)
cases_cmd.register(app)
reveal_cmd.register(app)
users_cmd.register(app)
serve_cmd.register(app)
app.add_typer(alerts_cmd.app, name="alerts")
app.add_typer(scheduler_cmd.app, name="scheduler")
shifts_cmd.register(app)
sla_cmd.register(app)
metrics_cmd.register(app)
access_cmd.register(app)
access_violations_cmd.register(access_cmd.app)   # access violations, detect-violations
access_review_cmd.register(access_cmd.app)   # access entitlements, report, review …
holds_cmd.register(app)    # holds add|list|release, lake purge
playbooks_cmd.register(app)


#: Allocations between young-generation collections (Python's default: 700). A command
#: allocates millions of acyclic objects (imports, rule sets, probes); collecting every 700
#: cost about a quarter of a warm `detect`'s CPU. Cycles are still collected.
GC_YOUNG = 50_000


def run() -> None:
    """Console-script entry point: expected errors become one red line and exit code 1."""
    gc.set_threshold(GC_YOUNG, *gc.get_threshold()[1:])
    debug = "--debug" in sys.argv[1:]
    try:
        code = _invoke()
    except WatchkeeperError as exc:
        if debug:
            traceback.print_exc()
        error_line(str(exc))
        code = 1
    except KeyboardInterrupt:
        code = 130
    except Exception as exc:
        if type(exc).__name__ == "InterruptException":   # DuckDB's, for Ctrl-C in a query
            code = 130
        elif debug:
            raise
        elif _engine_error(exc):  # engine messages run to many lines: the first one
            text = str(exc).strip()
            error_line(f"{type(exc).__name__}: {text.splitlines()[0] if text else ''} "
                       "(run `watchkeeper lake check`, or --debug for details)")
            code = 1
        else:
            error_line(f"unexpected {type(exc).__name__}: {exc} (run with --debug for details)")
            code = 1
    if code == 130:
        error_line(STORED if any(g.changed() for g in OPENED) else INTERRUPTED)
    _close_opened()
    # Everything else the command built goes with the process: spare the collector's last
    # pass at exit over it (after a warm `detect`, millions of objects: ~0.8 s of CPU and
    # wall time). Finalizers and atexit handlers run as before.
    gc.freeze()
    sys.exit(code)


def _close_opened() -> None:
    """Close the state stores the command opened (SQLite then folds its write-ahead log
    back into ``state.db``, as it did when the collector closed them at exit)."""
    for opened in OPENED:
        for workspace in opened.workspaces:
            try:
                workspace.close_state()
            except Exception:  # the command's result stands: exit with it anyway
                continue


def _engine_error(exc: Exception) -> bool:
    """An error raised by DuckDB or Arrow (checked without importing either)."""
    return any(c.__module__.split(".")[0] in ("duckdb", "_duckdb", "pyarrow")
               for c in type(exc).__mro__)


def _invoke() -> int:
    from typer._click.exceptions import ClickException
    try:
        code = build(app).main(args=sys.argv[1:], prog_name="watchkeeper",
                               standalone_mode=False)
    except ClickException as exc:
        line = usage_error_line(exc)
        if line is None:   # no arguments: the help was printed
            return 0
        error_line(line)
        return 1
    except typer.Abort:   # end of input at a prompt
        return 130
    return code if isinstance(code, int) else 0
