"""What every command shares, applied once to the built command tree.

- The global options (`-w/--workspace`, `--debug`, `--json`) are accepted before or after
  the sub-command: each sub-command gets copies that write into the same `Globals`, and
  a global `--json` turns on the `--json` of a command that has one (`--database-url`
  travels the same way).
- Boolean flags show no `<bool>` type in `--help`.
- Usage errors (unknown option, missing argument, bad value) are one `error:` line and
  exit code 1, like every other error; Ctrl-C is one line and exit code 130.

Commands are plain Typer commands; `build` runs over whatever `main.py` registered, so a
new command gets all of this without doing anything.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer._click.core import Command, Context
from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError
from typer._click.globals import get_current_context
from typer.core import TyperOption
from typer.main import get_command

if TYPE_CHECKING:
    from watchkeeper.cli.main import Globals

INTERRUPTED = "interrupted; nothing was changed"
STORED = "interrupted after the job had stored its results (they are complete)"


def _set_workspace(ctx: typer.Context, value: Path | None) -> None:
    if value is not None and not ctx.resilient_parsing:
        _globals(ctx).workspace = value


def _set_debug(ctx: typer.Context, value: bool) -> None:
    if value:
        _globals(ctx).debug = True


def _set_json(ctx: typer.Context, value: bool) -> None:
    if value:
        _globals(ctx).json = True


def _set_database_url(ctx: typer.Context, value: str | None) -> None:
    if value is not None and not ctx.resilient_parsing:
        _globals(ctx).database_url = value


def _globals(ctx: typer.Context) -> Globals:
    from watchkeeper.cli.main import Globals
    if not isinstance(ctx.obj, Globals):   # the root callback sets it before any child
        raise RuntimeError("global options used outside the watchkeeper command")
    return ctx.obj


_carrier = typer.Typer(add_completion=False)


@_carrier.command()
def _global_options(
    workspace: Annotated[Path | None, typer.Option(
        "--workspace", "-w", help="Workspace directory (also accepted before the command).",
        callback=_set_workspace, expose_value=False)] = None,
    debug: Annotated[bool, typer.Option(
        "--debug", help="Show tracebacks on errors.", callback=_set_debug,
        expose_value=False)] = False,
    json: Annotated[bool, typer.Option(
        "--json", help="Print one JSON document.", callback=_set_json,
        expose_value=False)] = False,
    database_url: Annotated[str | None, typer.Option(
        "--database-url", metavar="URL", help="State store URL (also accepted before "
        "the command).", callback=_set_database_url, expose_value=False)] = None,
) -> None:
    """Carries the global options copied onto every sub-command."""


def _shared() -> list[TyperOption]:
    return [p for p in get_command(_carrier).params if isinstance(p, TyperOption)]


def walk(command: Command, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...],
                                                                         Command]]:
    """Every command of the tree with its path of names, the root first."""
    yield path, command
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from walk(sub, (*path, name))


def build(app: typer.Typer) -> Command:
    """The click command of `app`, with the shared behaviour above applied."""
    root = get_command(app)
    shared = _shared()  # built once: building a Typer command is the costly part
    for path, command in walk(root):
        if path:
            _adopt_globals(command, shared)
        _hide_bool_types(command)
    return root


def _adopt_globals(command: Command, shared: list[TyperOption]) -> None:
    taken = {opt for p in command.params for opt in (*p.opts, *p.secondary_opts)}
    json_param = next((p for p in command.params if p.name == "json"), None)
    for option in shared:
        if not set(option.opts) & taken:
            command.params.append(copy.copy(option))
    if json_param is not None and command.callback is not None:
        command.callback = _with_global_json(command.callback)


def _with_global_json(callback: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(callback)
    def run(*args: Any, **kwargs: Any) -> Any:
        obj = get_current_context().obj
        if getattr(obj, "json", False):
            kwargs["json"] = True
        return callback(*args, **kwargs)
    return run


def _hide_bool_types(command: Command) -> None:
    help_option = command.get_help_option(Context(command))
    for param in [*command.params, *([help_option] if help_option else [])]:
        if isinstance(param, TyperOption) and param.is_bool_flag:
            param.metavar = ""


def usage_error_line(exc: ClickException) -> str | None:
    """The one line a usage error becomes; None for "no arguments, so help was shown"."""
    if isinstance(exc, NoArgsIsHelpError):
        return None
    message = " ".join(exc.format_message().split())
    if isinstance(exc, UsageError) and exc.ctx is not None:
        path = exc.ctx.command_path
        return f"{path}: {message} (see `{path} --help`)"
    return message
