"""Which team a case goes to: data residency first, then the shift.

1. Only teams allowed to see every region the case's alerts name may take it (a team
   holding ``*`` sees every region; a case whose alerts name none, any team).
2. Of those with shift hours, the team on shift at that moment; when several are,
   the one whose shift runs longest from then (the case is not handed off at once);
   a tie goes to the first by name.
3. No team on shift: the one whose next shift starts first.

Teams without shift hours are not routed to; when no allowed team has shift hours,
the case keeps the team it was given (or none). Pure over `TeamPlan`s.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from watchkeeper.ops.shifts import TeamPlan


@dataclass(frozen=True)
class Route:
    """The team chosen (None: none may take it by shift) and why, in words."""

    team: TeamPlan | None
    reason: str

    @property
    def name(self) -> str | None:
        return self.team.name if self.team is not None else None


def choose(teams: Sequence[TeamPlan], regions: Iterable[str | None], at: datetime,
           exclude: int | None = None) -> Route:
    """The team for a case with alert `regions` created `at` (`exclude`: a team id that
    may not take it, the one handing it off)."""
    wanted = sorted({r.strip().casefold() for r in regions if r is not None and r.strip()})
    allowed = [t for t in teams if t.sees(wanted) and t.id != exclude]
    where = f"region {', '.join(wanted)}" if wanted else "no region"
    if not allowed:
        return Route(None, f"no team may see {where}")
    scheduled = [t for t in allowed if t.scheduled]
    if not scheduled:
        return Route(None, f"no team that may see {where} has shift hours")
    on: list[tuple[datetime, TeamPlan]] = []
    for t in scheduled:
        window = t.calendar.shift_at(at) if t.calendar is not None else None
        if window is not None:
            on.append((window.end, t))
    if on:
        end = max(e for e, _ in on)
        team = min((t for e, t in on if e == end), key=lambda t: t.name)
        return Route(team, f"on shift until {end:%Y-%m-%d %H:%M} UTC ({where})")
    upcoming: list[tuple[datetime, TeamPlan]] = []
    for t in scheduled:
        start = t.calendar.next_start(at) if t.calendar is not None else None
        if start is not None:
            upcoming.append((start, t))
    if not upcoming:
        return Route(None, f"no team that may see {where} has a shift ahead")
    start = min(s for s, _ in upcoming)
    team = min((t for s, t in upcoming if s == start), key=lambda t: t.name)
    return Route(team, f"next on shift, at {start:%Y-%m-%d %H:%M} UTC ({where})")


__all__ = ["Route", "choose"]
