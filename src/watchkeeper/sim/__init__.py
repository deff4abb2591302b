"""Synthetic enterprise simulator: CERT-format logs plus data-store, HR and asset files,
with injected insider incidents and a CERT-style answer key.

    >>> from watchkeeper.sim import SimConfig, simulate
    >>> result = simulate(SimConfig(users=200, days=90, seed=7), Path("out"))
"""

from watchkeeper.sim.config import SCENARIOS, SimConfig, SimResult
from watchkeeper.sim.engine import simulate

__all__ = ["SCENARIOS", "SimConfig", "SimResult", "simulate"]
