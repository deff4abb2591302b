"""Shared simulation runs: small, built once per test session."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from watchkeeper.sim import SimConfig, SimResult, simulate

SMALL = SimConfig(users=60, days=30, seed=5)
FULL = {name: SimConfig(users=100, days=45, seed=11, profile=name)
        for name in ("realistic", "classic")}


@pytest.fixture(scope="session")
def small_config() -> SimConfig:
    return SMALL


@pytest.fixture(scope="session")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> SimResult:
    return simulate(SMALL, tmp_path_factory.mktemp("small"))


@pytest.fixture(scope="session", params=sorted(FULL))
def full_run(request: pytest.FixtureRequest,
             tmp_path_factory: pytest.TempPathFactory) -> SimResult:
    """Every scenario of the profile at least once (users >= 100), in each profile."""
    return simulate(FULL[request.param], tmp_path_factory.mktemp(f"full-{request.param}"))


CsvReader = Callable[[Path], list[dict[str, str]]]
JsonReader = Callable[[Path], list[dict[str, object]]]


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _read_jsonl(path: Path) -> list[dict[str, object]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


@pytest.fixture(scope="session")
def read_csv() -> CsvReader:
    return _read_csv


@pytest.fixture(scope="session")
def read_jsonl() -> JsonReader:
    return _read_jsonl


@pytest.fixture(scope="session")
def all_events() -> Callable[[Path], dict[str, list[dict[str, object]]]]:
    """Every event of a run, keyed by its answer-key event type."""

    def load(root: Path) -> dict[str, list[dict[str, object]]]:
        events: dict[str, list[dict[str, object]]] = {
            s: [dict[str, object](r) for r in _read_csv(root / f"{s}.csv")]
            for s in ("logon", "device", "file", "email", "http")}
        events["datastore"] = _read_jsonl(root / "datastore_access.jsonl")
        return events

    return load
