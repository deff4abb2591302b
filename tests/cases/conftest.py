"""A small simulated enterprise, ingested, detected and analysed once per test session."""

from __future__ import annotations

import pytest

from cases.simlake import SimCase, build


@pytest.fixture(scope="session")
def sim_case(tmp_path_factory: pytest.TempPathFactory) -> SimCase:
    return build(tmp_path_factory.mktemp("cases"))
