"""What a simulation run is asked to do, and what it reports back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from watchkeeper.errors import SimulationError
from watchkeeper.sim.profile import DEFAULT_PROFILE, PROFILES, Profile

SCENARIOS: dict[str, int] = {
    "leak-site": 1,
    "job-hunt-thumb-drive": 2,
    "sysadmin-keylogger": 3,
    "colleague-pc-snooping": 4,
    "layoff-cloud-upload": 5,
    "cross-region-export": 6,
    "privileged-no-ticket-reads": 7,
    "departing-exfiltration": 8,
    "genai-record-paste": 9,
}
"""Scenario names accepted in `SimConfig.scenarios`, and their CERT-style numbers."""

MIN_USERS = 10
MIN_DAYS = 14
MAX_USERS = 20_000
MAX_DAYS = 3 * 366


@dataclass(frozen=True)
class SimConfig:
    """Parameters of one synthetic enterprise; `validate` refuses inconsistent ones."""

    users: int = 200
    days: int = 90
    seed: int = 7
    start: date = date(2025, 1, 6)
    scenarios: tuple[str, ...] | None = None
    incident_count: int | None = None
    profile: str = DEFAULT_PROFILE

    def difficulty(self) -> Profile:
        """The difficulty profile (`realistic` unless asked otherwise)."""
        found = PROFILES.get(self.profile)
        if found is None:
            raise SimulationError(
                f"unknown profile {self.profile!r}; known: {', '.join(PROFILES)}")
        return found

    def scenario_numbers(self) -> tuple[int, ...]:
        """The scenario numbers to inject, sorted; names or numbers are accepted."""
        offered = self.difficulty().scenarios
        if self.scenarios is None:
            return offered
        numbers: list[int] = []
        for name in self.scenarios:
            number = SCENARIOS.get(name) or (int(name) if name.isdigit() else 0)
            if number not in SCENARIOS.values():
                known = ", ".join(SCENARIOS)
                raise SimulationError(f"unknown scenario {name!r}; known: {known} or 1-9")
            if number not in offered:
                raise SimulationError(f"scenario {name!r} needs another profile than "
                                      f"{self.profile!r} (it offers {offered})")
            numbers.append(number)
        return tuple(sorted(dict.fromkeys(numbers)))

    def incidents(self) -> int:
        """How many incidents to inject: given, or about one per 40 users."""
        if self.incident_count is not None:
            return self.incident_count
        kinds = len(self.scenario_numbers())
        scaled = max(1, round(self.users / 40))
        return max(scaled, kinds) if self.users >= 100 else min(scaled, kinds)

    def validate(self) -> None:
        """Raise `SimulationError` naming the first inconsistent parameter."""
        if not MIN_USERS <= self.users <= MAX_USERS:
            raise SimulationError(f"users must be {MIN_USERS}..{MAX_USERS}, got {self.users}")
        if not MIN_DAYS <= self.days <= MAX_DAYS:
            raise SimulationError(f"days must be {MIN_DAYS}..{MAX_DAYS}, got {self.days}")
        if not 0 <= self.seed < 2**63:
            raise SimulationError(f"seed must be 0..2**63-1, got {self.seed}")
        if not 1990 <= self.start.year <= 2090:
            raise SimulationError(f"start must be between 1990 and 2090, got {self.start}")
        if self.scenarios is not None and not self.scenarios:
            raise SimulationError("scenarios is empty; pass None for all scenarios")
        self.difficulty()
        self.scenario_numbers()
        count = self.incidents()
        if count < 0:
            raise SimulationError(f"incident_count must be >= 0, got {count}")
        if count > self.users // 4:
            raise SimulationError(
                f"incident_count {count} too large for {self.users} users (max users/4)")


@dataclass(frozen=True)
class SimResult:
    """Where the files went and how many rows each holds."""

    out: Path
    files: dict[str, int]
    people: int
    incidents: int
