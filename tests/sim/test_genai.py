"""Everyday generative-AI use (realistic profile): common, heavier by role; scenario 9."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from watchkeeper.sim import SimConfig, SimResult, vocab
from watchkeeper.sim.engine import build
from watchkeeper.sim.rhythm import GENAI_BY_ROLE


def test_genai_share_of_browsing_follows_role() -> None:
    world, _, _ = build(SimConfig(users=400, days=30, seed=23))
    cum = world.habits.web_cum
    at = vocab.CATEGORY["genai"]
    share = cum[:, at] - cum[:, at - 1]
    roles = np.array([p.role for p in world.org.people])
    heavy = np.isin(roles, [r for r, f in GENAI_BY_ROLE.items() if f >= 2.5])
    light = ~np.isin(roles, list(GENAI_BY_ROLE))
    assert heavy.sum() >= 30 and light.sum() >= 30
    assert np.median(share[heavy]) > 1.8 * np.median(share[light])
    assert (share > 0).all()     # everybody has some taste for it


def test_benign_genai_use_is_common_and_scenario_9_is_listed(full_run: SimResult) -> None:
    out = full_run.out
    if json.loads((out / "simulation.json").read_text())["profile"] != "realistic":
        pytest.skip("generative-AI sites are in the realistic profile only")
    assert "9." in (out / "answers" / "scenarios.txt").read_text()
    with (out / "answers" / "insiders.csv").open(newline="", encoding="utf-8") as fh:
        key = list(csv.DictReader(fh))
    assert any(r["scenario"] == "9" for r in key)
    insiders = {r["user"] for r in key}
    domains = tuple(f"//{d}/" for d in vocab.GENAI_DOMAINS)
    prompting: set[str] = set()
    people: set[str] = set()
    with (out / "http.csv").open(newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if r["user"] in insiders:
                continue
            people.add(r["user"])
            if r["activity"] == "WWW Upload" and any(d in r["url"] for d in domains):
                prompting.add(r["user"])
    # most people prompt an AI assistant within the 45 days
    assert len(prompting) >= 0.5 * len(people), (len(prompting), len(people))
