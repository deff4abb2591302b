"""The `--period` option every reporting command shares, in the one period grammar of
`watchkeeper.ops.period` (``2025-03``, ``2025-Q1``, ``2025-01-01..2025-03-31``). A
command that also kept its older ``--since DAY``/``--until DAY`` takes either, not
both."""

from __future__ import annotations

from typing import Annotated

import typer

from watchkeeper.cli.render import parse_day
from watchkeeper.ops.period import Period

PeriodOpt = Annotated[str | None, typer.Option(
    "--period", metavar="PERIOD",
    help="2025, 2025-Q1, 2025-03, 2025-03-14, or FROM..TO of these (UTC; an end may "
         "be left open: 2025-01..).")]


def chosen(period: str | None, since: str | None = None,
           until: str | None = None) -> Period | None:
    """The period `--period` names, or the days `--since`/`--until` do (None: neither)."""
    if period is not None:
        if since is not None or until is not None:
            from watchkeeper.errors import ConfigError
            raise ConfigError("--period: give it or --since/--until, not both")
        return Period.parse(period, "--period")
    if since is None and until is None:
        return None
    return Period.days(parse_day(since, "--since") if since is not None else None,
                       parse_day(until, "--until") if until is not None else None,
                       "--until")
