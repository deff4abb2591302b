"""`watchkeeper simulate`: write a synthetic enterprise's telemetry and answer key."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from watchkeeper.cli.render import emit_json, out, parse_day, progress_bar


def register(app: typer.Typer) -> None:
    @app.command("simulate")
    def simulate(
        out_dir: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")],
        users: Annotated[int, typer.Option(help="People employed at the start.")] = 200,
        days: Annotated[int, typer.Option(help="Days simulated.")] = 90,
        seed: Annotated[int, typer.Option(help="Random seed; same seed, same files.")] = 7,
        start: Annotated[str, typer.Option(help="First day, YYYY-MM-DD.")] = "2025-01-06",
        profile: Annotated[str, typer.Option(
            help="Difficulty: realistic (default) or classic (the loud pre-2026-12 "
                 "simulator, byte-identical per seed).")] = "realistic",
        json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """Simulate an enterprise in CERT format plus data-store and HR sources.

        Example: watchkeeper simulate --users 200 --days 90 --out sim
          watchkeeper -w ws ingest auto sim
          watchkeeper simulate --profile classic --out sim-classic
        """
        from watchkeeper.sim import SimConfig
        from watchkeeper.sim import simulate as run_simulation
        first = parse_day(start, "--start")
        config = SimConfig(users=users, days=days, seed=seed, start=first, profile=profile)
        with progress_bar("simulate", enabled=not json, count=True) as progress:
            result = run_simulation(config, out_dir,
                                    progress=lambda d, t: progress(d, t, "days"))
        where = escape(str(result.out))
        if json:
            emit_json({"out": str(result.out), "profile": profile, "people": result.people,
                       "incidents": result.incidents, "files": result.files,
                       "events": sum(result.files.values())})
        else:
            out.print(f"Wrote {sum(result.files.values()):,} rows for {result.people:,} people "
                      f"and {result.incidents} incidents to {where}")
