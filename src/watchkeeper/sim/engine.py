"""`simulate`: build the enterprise, then write it day by day."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa

from watchkeeper.errors import SimulationError
from watchkeeper.sim import comms, datastore, endpoint, vocab
from watchkeeper.sim.answers import write_answers
from watchkeeper.sim.builder import Builder, Injection
from watchkeeper.sim.config import SimConfig, SimResult
from watchkeeper.sim.directory import write_directory
from watchkeeper.sim.incidents import Incident, plan_incidents
from watchkeeper.sim.layout import FILE_NAMES, SOURCES
from watchkeeper.sim.lookalikes import add_lookalikes
from watchkeeper.sim.org import build_org
from watchkeeper.sim.realism import add_hr_noise, add_realistic
from watchkeeper.sim.rhythm import build_calendar, draw_habits, draw_presence
from watchkeeper.sim.staffing import add_joiners, add_leavers
from watchkeeper.sim.strings import IdMint
from watchkeeper.sim.today import Today, build_today
from watchkeeper.sim.world import World, build_world, payroll
from watchkeeper.sim.writer import JsonSink, Observed, Sink

Progress = Callable[[int, int], None]
MARKER = "simulation.json"
_OWNED = (*FILE_NAMES.values(), "hr_feed.csv", "psychometric.csv", "assets.csv",
          "devices.csv", MARKER)
_SAFE_LAG = 14 * 3600  # no office is more than 14 h ahead of UTC


def _stream(config: SimConfig, part: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(config.seed,
                                                                      spawn_key=(part,))))


def prepare_out(out: Path) -> None:
    """Create `out`, or clear a previous run in it; refuse any other non-empty directory."""
    if out.exists() and not out.is_dir():
        raise SimulationError(f"{out}: exists and is not a directory")
    if out.exists() and any(out.iterdir()):
        if not (out / MARKER).is_file():
            raise SimulationError(f"{out}: directory is not empty and holds no {MARKER}; "
                                  "refusing to write a simulation into it")
        for name in _OWNED:
            (out / name).unlink(missing_ok=True)
        for sub in ("LDAP", "answers"):
            shutil.rmtree(out / sub, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)


def build(config: SimConfig) -> tuple[World, Injection, list[Incident]]:
    """The enterprise, its incidents and the look-alikes, before any day is written."""
    rng = _stream(config, 0)
    profile = config.difficulty()
    org = build_org(rng, config.users, profile.own_pc_share, profile.shared_per_people)
    add_joiners(rng, org, config.days, profile.turnover)
    add_leavers(rng, org, config.days, profile.turnover)
    habits = draw_habits(rng, org, vocab.web_categories(profile.genai))
    calendar = build_calendar(config.start, config.days)
    world = build_world(rng, org, habits, calendar, draw_presence(rng, org, habits, calendar),
                        profile)
    injection = Injection()
    incidents = plan_incidents(world, _stream(config, 1), injection,
                               config.scenario_numbers(), config.incidents())
    insiders = frozenset(i.person for i in incidents)
    add_lookalikes(Builder(world, injection, _stream(config, 2)), insiders)
    if profile.lookalikes:
        add_realistic(Builder(world, injection, _stream(config, 4)), insiders)
    if profile.hr_noise:
        add_hr_noise(Builder(world, injection, _stream(config, 5)))
    return world, injection, incidents


def _day_batches(world: World, t: Today, injection: Injection) -> dict[str, list[pa.Table]]:
    dev, usb_files = endpoint.devices(world, t)
    batches = {"logon": [endpoint.logons(world, t)], "device": [dev],
               "file": [endpoint.files(world, t), usb_files],
               "email": [comms.mail(world, t)], "http": [comms.browsing(world, t)],
               "datastore": [datastore.access(world, t)]}
    for source in SOURCES:
        placed = injection.batch(t.day, source)
        if placed is not None:
            batches[source].append(placed)
    return batches


def simulate(config: SimConfig, out: Path, progress: Progress | None = None) -> SimResult:
    """Write a synthetic enterprise's logs, reference files and answer key into `out`."""
    config.validate()
    out = Path(out)
    prepare_out(out)
    _write_marker(out, config, {})  # claims the directory even if the run fails midway
    world, injection, incidents = build(config)
    mint = IdMint(_stream(config, 3))
    sinks = {s: (JsonSink if s == "datastore" else Sink)(out / FILE_NAMES[s], s, mint)
             for s in SOURCES}
    found: list[Observed] = []
    staff = payroll(world)
    try:
        for day in range(config.days):
            today = build_today(world, day, _stream(config, 100 + day), staff)
            cutoff = int(world.calendar.midnight[day]) + 86_400 - _SAFE_LAG
            for source, parts in _day_batches(world, today, injection).items():
                sinks[source].push(pa.concat_tables(parts), cutoff, found)
            if progress is not None:
                progress(day + 1, config.days)
    finally:
        counts = {FILE_NAMES[s]: sink.close(found) for s, sink in sinks.items()}
    counts |= write_directory(out, world)
    answer_files, written = write_answers(out, config.seed, world, incidents, found,
                                          config.difficulty().scenarios)
    counts |= answer_files
    _write_marker(out, config, counts)
    return SimResult(out, dict(sorted(counts.items())), len(world.org.people), written)


def _write_marker(out: Path, config: SimConfig, counts: dict[str, int]) -> None:
    meta = {"generator": "watchkeeper.sim", "users": config.users, "days": config.days,
            "seed": config.seed, "profile": config.profile,
            "profile_version": config.difficulty().version, "start": config.start.isoformat(),
            "scenarios": list(config.scenario_numbers()), "files": dict(sorted(counts.items()))}
    (out / MARKER).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
