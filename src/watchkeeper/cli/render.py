"""Rendering for the CLI: JSON documents, Rich tables, progress bars, error lines.

Core code never prints; commands hand their results here.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from watchkeeper.errors import ConfigError

out = Console()
err = Console(stderr=True)


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def emit_json(doc: Any) -> None:
    """One JSON document on stdout."""
    sys.stdout.write(json.dumps(doc, default=_default, indent=2) + "\n")
    sys.stdout.flush()


def error_line(message: str) -> None:
    """One red line; the message is escaped, so `[...]` in it (regexes, YAML) survives."""
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, markup=True,
              soft_wrap=True)


def warning_line(message: str) -> None:
    """One yellow line on stderr (JSON on stdout stays clean); the message is escaped."""
    err.print(f"[bold yellow]warning:[/] {escape(message)}", highlight=False, markup=True,
              soft_wrap=True)


def parse_day(value: str, option: str) -> date:
    """A calendar day given as YYYY-MM-DD on the command line, checked strictly: a day
    that does not exist or trailing characters are an error naming the option."""
    try:
        if len(value) != 10:
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{option} {value!r}: not a day (expected YYYY-MM-DD)") from None


@contextmanager
def progress_bar(label: str, enabled: bool = True,
                 count: bool = False) -> Iterator[Callable[[int, int, str], None]]:
    """A progress callback ``(done, total, detail)`` drawing a bar on stderr (when it is
    a terminal), for every job that may take more than a second."""
    from rich.progress import (  # loaded by the commands that draw one, not by --help
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    columns = [TextColumn("[bold]{task.description}"), BarColumn(),
               MofNCompleteColumn() if count else TextColumn("{task.percentage:>3.0f}%"),
               TimeElapsedColumn(), TimeRemainingColumn(), TextColumn("{task.fields[detail]}")]
    with Progress(*columns, console=err, transient=True,
                  disable=not enabled or not err.is_terminal) as bar:
        task = bar.add_task(label, total=None, detail="")

        def update(done: int, total: int, detail: str = "") -> None:
            bar.update(task, completed=done, total=total, detail=detail)

        yield update

