"""Difficulty profiles: versioned sets of realism knobs, so a tuned figure names its data.

`classic` is the simulator as it was before the profiles (byte-identical output for the
same seed): loud, short incidents and few look-alikes. `realistic` (the default) spreads
each insider's signals over weeks, gives the benign population every indicator the
scenarios use, adds noise to the HR data and makes other people's PCs ordinary.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    """Knobs that differ between profiles; everything else is shared code."""

    name: str
    version: int
    scenarios: tuple[int, ...]
    """Scenarios injected when `SimConfig.scenarios` is None."""
    subtle: bool
    """Incidents spread thin over weeks instead of a few loud days."""
    turnover: float
    """Share of the people who give notice in a year (benign leavers)."""
    own_pc_share: float
    """Share of ordinary staff with a PC of their own (the rest use shared PCs)."""
    shared_per_people: int
    """One shared PC per this many people of an office."""
    borrow_day_prob: float
    """Chance a person with a PC spends a workday at a colleague's PC."""
    visit_rate: float
    """Daily short logons on another person's or a shared PC, per non-admin."""
    genai: bool
    """Generative-AI sites in the web mix (everyday prompts and uploads)."""
    lookalikes: bool
    """The realistic look-alike population (`sim.realism`)."""
    hr_noise: bool
    """Late notice dates, missing managers and team moves in the HR data."""


CLASSIC = Profile(name="classic", version=1, scenarios=(1, 2, 3, 4, 5, 6, 7, 8), subtle=False,
                  turnover=0.12, own_pc_share=0.93, shared_per_people=30,
                  borrow_day_prob=0.0, visit_rate=0.0, genai=False, lookalikes=False,
                  hr_noise=False)
REALISTIC = Profile(name="realistic", version=2, scenarios=(1, 2, 3, 4, 5, 6, 7, 8, 9),
                    subtle=True, turnover=0.22, own_pc_share=0.8, shared_per_people=12,
                    borrow_day_prob=0.03, visit_rate=0.06, genai=True, lookalikes=True,
                    hr_noise=True)
PROFILES: dict[str, Profile] = {p.name: p for p in (REALISTIC, CLASSIC)}
DEFAULT_PROFILE = REALISTIC.name
