"""`watchkeeper simulate`: write a synthetic enterprise's telemetry and answer key."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from watchkeeper.cli.render import emit_json, out, progress_bar


def register(app: typer.Typer) -> None:
    @app.command("simulate")
    def simulate(
        out_dir: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")],
        users: Annotated[int, typer.Option(help="People employed at the start.")] = 200,
        days: Annotated[int, typer.Option(help="Days simulated.")] = 90,
        seed: Annotated[int, typer.Option(help="Random seed; same seed, same files.")] = 7,
        start: Annotated[str, typer.Option(help="First day, YYYY-MM-DD.")] = "2025-01-06",
        json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """Simulate an enterprise in CERT format plus data-store and HR sources."""
        from watchkeeper.errors import SimulationError
        from watchkeeper.sim import SimConfig
        from watchkeeper.sim import simulate as run_simulation
        try:
            first = date.fromisoformat(start)
        except ValueError:
            raise SimulationError(f"--start: expected YYYY-MM-DD, got {start!r}") from None
        config = SimConfig(users=users, days=days, seed=seed, start=first)
        with progress_bar("simulate", enabled=not json, count=True) as progress:
            result = run_simulation(config, out_dir,
                                    progress=lambda d, t: progress(d, t, "days"))
        if json:
            emit_json({"out": str(result.out), "people": result.people,
                       "incidents": result.incidents, "files": result.files,
                       "events": sum(result.files.values())})
        else:
            out.print(f"Wrote {sum(result.files.values()):,} rows for {result.people:,} people "
                      f"and {result.incidents} incidents to {result.out}")
