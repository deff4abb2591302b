"""Parameter validation, the output-directory guard and the public API."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

import watchkeeper.sim as sim
from watchkeeper.errors import SimulationError
from watchkeeper.sim import SimConfig, simulate


def test_public_names() -> None:
    assert sorted(sim.__all__) == ["SCENARIOS", "SimConfig", "SimResult", "simulate"]


@pytest.mark.parametrize("config", [
    SimConfig(users=9),
    SimConfig(users=-5),
    SimConfig(days=13),
    SimConfig(days=0),
    SimConfig(seed=-1),
    SimConfig(start=date(1900, 1, 1)),
    SimConfig(scenarios=("no-such-scenario",)),
    SimConfig(scenarios=("10",)),
    SimConfig(scenarios=("genai-record-paste",), profile="classic"),
    SimConfig(profile="hard"),
    SimConfig(scenarios=()),
    SimConfig(incident_count=-1),
    SimConfig(users=40, incident_count=11),
])
def test_bad_parameters_are_refused(config: SimConfig, tmp_path: Path) -> None:
    with pytest.raises(SimulationError):
        simulate(config, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_default_incident_count_scales_with_users() -> None:
    assert SimConfig(users=100).incidents() == 9  # realistic: nine scenarios
    assert SimConfig(users=100, profile="classic").incidents() == 8
    assert SimConfig(users=1000).incidents() == 25
    assert SimConfig(users=60).incidents() == 2
    assert SimConfig(users=100, scenarios=("6", "leak-site")).scenario_numbers() == (1, 6)


def test_refuses_foreign_non_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(SimulationError, match="not empty"):
        simulate(SimConfig(users=10, days=14), tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_refuses_a_file_as_output(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(SimulationError):
        simulate(SimConfig(users=10, days=14), target)


def test_overwrites_a_previous_run(tmp_path: Path) -> None:
    first = simulate(SimConfig(users=10, days=40, seed=1), tmp_path)
    second = simulate(SimConfig(users=10, days=14, seed=2), tmp_path)
    assert "LDAP/2025-02.csv" in first.files
    assert not (tmp_path / "LDAP" / "2025-02.csv").exists()
    assert second.people == 10


def test_progress_reports_every_day(tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    simulate(SimConfig(users=10, days=14), tmp_path, lambda done, total: seen.append((done,
                                                                                        total)))
    assert seen == [(d, 14) for d in range(1, 15)]


def test_no_incidents_when_asked(tmp_path: Path) -> None:
    result = simulate(SimConfig(users=20, days=14, incident_count=0), tmp_path)
    assert result.incidents == 0
    assert result.files["answers/insiders.csv"] == 0


def test_chosen_scenarios_only(tmp_path: Path) -> None:
    config = SimConfig(users=60, days=30, seed=3, scenarios=("cross-region-export", "7"),
                       incident_count=4)
    result = simulate(config, tmp_path)
    assert result.incidents == 4
    lines = (tmp_path / "answers" / "insiders.csv").read_text().splitlines()[1:]
    assert sorted(line.split(",")[1] for line in lines) == ["6", "6", "7", "7"]
