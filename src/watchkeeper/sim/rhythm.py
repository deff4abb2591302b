"""Personal work rhythms: hours, vacations, presence per day, sessions and event times."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt

from watchkeeper.sim import vocab
from watchkeeper.sim.clock import REGIONS, epoch_seconds, is_workday, utc_offset_minutes
from watchkeeper.sim.org import Org

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Habits:
    """Per-person daily habits, one array entry per person."""

    start_min: F64
    length_min: F64
    weekend_worker: B
    web_rate: F64
    mail_rate: F64
    file_rate: F64
    usb_daily_prob: F64
    web_cum: F64
    personal_mail_prob: F64


GENAI_BY_ROLE: dict[str, float] = {
    "SoftwareEngineer": 3.0, "DataEngineer": 3.0, "Analyst": 2.5, "FraudAnalyst": 2.0,
    "MarketingSpecialist": 2.5, "ProductManager": 2.5, "SalesRepresentative": 1.5,
    "SupportAgent": 1.5, "LegalCounsel": 1.5, "HRSpecialist": 1.5, "SystemAdministrator": 1.5,
    "ITAdmin": 1.5,
}
"""How much more of a person's browsing goes to AI assistants than their drawn taste says,
by role (realistic profile): writing, code and analysis roles use them most, as workplace
surveys report; other roles keep their drawn share (1)."""


def draw_habits(rng: np.random.Generator, org: Org,
                web: tuple[vocab.WebCategory, ...] = vocab.WEB[:-1]) -> Habits:
    """Start hour, day length, activity rates, USB habit and favourite web categories."""
    n = len(org.people)
    start = np.clip(rng.normal(8.6 * 60, 45, n), 6 * 60, 11 * 60)
    length = np.clip(rng.normal(8.7 * 60, 35, n), 6 * 60, 11 * 60)
    late = rng.random(n) < 0.06
    length[late] += rng.uniform(120, 240, int(late.sum()))
    early = rng.random(n) < 0.05
    start[early] -= 90
    roles = [p.role for p in org.people]
    admin = np.array([r in ("SystemAdministrator", "ITAdmin") for r in roles])
    usb = np.where(rng.random(n) < np.where(admin, 0.5, 0.08), rng.uniform(0.2, 0.95, n), 0.0)
    weights = np.array([c.weight for c in web])
    prefs = rng.dirichlet(weights + 0.05, n) * (weights > 0)
    names = [c.name for c in web]
    if "genai" in names:   # no draw: the classic web mix is left as it was
        prefs[:, names.index("genai")] *= [GENAI_BY_ROLE.get(r, 1.0) for r in roles]
    prefs /= prefs.sum(axis=1, keepdims=True)
    personal = np.where(rng.random(n) < 0.07, rng.uniform(0.02, 0.15, n), 0.0)
    return Habits(start, length, rng.random(n) < 0.03, rng.lognormal(np.log(20.5), 0.3, n),
                  rng.lognormal(np.log(6.3), 0.3, n), rng.lognormal(np.log(4.5), 0.35, n),
                  usb, np.cumsum(prefs, axis=1), personal)


@dataclass(frozen=True)
class Calendar:
    """Per day of the run: UTC midnight, each region's offset and whether it is a workday."""

    start: date
    days: int
    midnight: I64
    offset_sec: I64
    workday: B

    def date(self, day: int) -> date:
        return self.start + timedelta(days=day)


def build_calendar(start: date, days: int) -> Calendar:
    dates = [start + timedelta(days=d) for d in range(days)]
    midnight = np.array([epoch_seconds(d) for d in dates], dtype=np.int64)
    offsets = np.array([[utc_offset_minutes(r, d) * 60 for r in REGIONS] for d in dates],
                       dtype=np.int64)
    work = np.array([[is_workday(r, d) for r in REGIONS] for d in dates], dtype=bool)
    return Calendar(start, days, midnight, offsets, work)


def draw_presence(rng: np.random.Generator, org: Org, habits: Habits, cal: Calendar) -> B:
    """Planned presence (days x people): workdays minus vacations and sick days."""
    n = len(org.people)
    region = org.region_index()
    present = cal.workday[:, region].copy()
    weekend = (~present) & habits.weekend_worker[None, :] & (rng.random((cal.days, n)) < 0.4)
    present &= rng.random((cal.days, n)) >= 0.015
    blocks = rng.poisson(3.0 * cal.days / 365, n)
    for person in np.flatnonzero(blocks):
        for _ in range(int(blocks[person])):
            first = int(rng.integers(0, cal.days))
            present[first:first + int(rng.integers(3, 12)), person] = False
    return present | weekend


@dataclass(frozen=True)
class Sessions:
    """Today's logon sessions of the present people, in UTC seconds (up to 3 each)."""

    people: I64
    starts: I64
    ends: I64
    valid: B


def day_sessions(rng: np.random.Generator, habits: Habits, people: I64, midnight_local: I64,
                 short: B) -> Sessions:
    """Draw start, end and breaks; `midnight_local` is each person's local midnight in UTC."""
    n = len(people)
    start = habits.start_min[people] + rng.normal(0, 15, n)
    length = habits.length_min[people] * np.where(short, 0.45, 1.0) + rng.normal(0, 25, n)
    end = start + np.maximum(length, 180)
    breaks = rng.choice(3, n, p=[0.3, 0.5, 0.2])
    centers = np.sort(rng.uniform(start + 60, end - 60, (2, n)).T, axis=1)
    half = rng.uniform(5, 30, (n, 2))
    starts = np.stack([start, centers[:, 0] + half[:, 0], centers[:, 1] + half[:, 1]], axis=1)
    ends = np.stack([np.where(breaks >= 1, centers[:, 0] - half[:, 0], end),
                     np.where(breaks >= 2, centers[:, 1] - half[:, 1], end), end], axis=1)
    ends[:, 1] = np.maximum(ends[:, 1], starts[:, 1] + 5)
    starts[:, 2] = np.maximum(starts[:, 2], ends[:, 1] + 5)
    ends[:, 2] = np.maximum(ends[:, 2], starts[:, 2] + 5)
    valid = np.stack([np.ones(n, bool), breaks >= 1, breaks >= 2], axis=1)
    secs = (np.stack([starts, ends]) * 60).astype(np.int64) + midnight_local[None, :, None]
    return Sessions(people, secs[0], secs[1], valid)


def sample_times(rng: np.random.Generator, s: Sessions, rows: I64) -> I64:
    """One UTC time inside a session for each entry of `rows` (indices into `s.people`)."""
    length = np.where(s.valid[rows], s.ends[rows] - s.starts[rows], 0)
    cum = np.cumsum(length, axis=1)
    u = (rng.random(len(rows)) * cum[:, 2]).astype(np.int64)
    which = (u >= cum[:, 0]).astype(np.int64) + (u >= cum[:, 1])
    before = np.where(which > 0, cum[np.arange(len(rows)), np.maximum(which - 1, 0)], 0)
    return np.asarray(s.starts[rows, which] + u - before, dtype=np.int64)
