"""Everything fixed for a run: org, habits, calendar, presence and the text pools."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from watchkeeper.sim import vocab
from watchkeeper.sim.clock import REGIONS
from watchkeeper.sim.org import LEADER_ROLES, Org
from watchkeeper.sim.profile import CLASSIC, Profile
from watchkeeper.sim.rhythm import Calendar, Habits

I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Pool:
    """Strings grouped by category, with offsets, so draws can be vectorized."""

    text: pa.Array
    offset: I64
    size: I64

    def draw(self, rng: np.random.Generator, category: I64) -> I64:
        return np.asarray(self.offset[category] + (rng.random(len(category)) *
                          self.size[category]).astype(np.int64), dtype=np.int64)


def _pool(groups: list[list[str]]) -> Pool:
    size = np.array([len(g) for g in groups], dtype=np.int64)
    offset = np.concatenate([[0], np.cumsum(size)[:-1]]).astype(np.int64)
    return Pool(pa.array([s for g in groups for s in g], pa.string()), offset, size)


def _bag(rng: np.random.Generator, words: tuple[str, ...], lo: int, hi: int) -> str:
    k = int(rng.integers(lo, hi + 1))
    return " ".join(words[int(i)] for i in rng.integers(0, len(words), k))


def _urls(rng: np.random.Generator, web: tuple[vocab.WebCategory, ...]) -> tuple[Pool, Pool]:
    urls, bags = [], []
    for cat in web:
        group = []
        for domain in cat.domains:
            for _ in range(24):
                a, b = (cat.words[int(i)] for i in rng.integers(0, len(cat.words), 2))
                group.append(f"http://{domain}/{a}/{b}{int(rng.integers(1, 999))}.html")
        urls.append(group)
        if cat.name == "genai":
            bags.append(_prompts(rng, cat.words))
        else:
            bags.append([_bag(rng, cat.words, 3, 8) for _ in range(120)])
    return _pool(urls), _pool(bags)


def _prompts(rng: np.random.Generator, words: tuple[str, ...]) -> list[str]:
    """What people type or paste into an AI assistant: mostly short prompts, some long
    pasted documents or tables (the content's length is the size of the post)."""
    mix = words + vocab.MAIL_WORDS
    lengths = np.clip(rng.lognormal(np.log(14), 1.1, 160), 3, 900).astype(int)
    return [_bag(rng, mix, int(k), int(k)) for k in lengths]


def _docs(rng: np.random.Generator) -> tuple[pa.Array, pa.Array, I64]:
    names, bags = [], []
    for topic, words in vocab.DOC_TOPICS:
        for k in range(30):
            ext = vocab.DOC_EXTENSIONS[int(rng.integers(len(vocab.DOC_EXTENSIONS)))]
            names.append(f"{topic}_{2020 + k % 6}_{k:02d}.{ext}")
            bags.append(_bag(rng, words + vocab.MAIL_WORDS[:6], 3, 9))
    sizes = rng.lognormal(11.5, 1.0, len(names)).astype(np.int64) + 1000
    return pa.array(names), pa.array(bags), sizes


def _contacts(rng: np.random.Generator, org: Org, width: int = 10) -> I64:
    """Each person's usual correspondents: mostly team, then manager, then anyone."""
    teams: dict[str, list[int]] = {}
    for p in org.people:
        teams.setdefault(p.team, []).append(p.index)
    n = len(org.people)
    out = np.empty((n, width), dtype=np.int64)
    for p in org.people:
        mates = [i for i in teams[p.team] if i != p.index] + ([p.manager] if p.manager else [])
        for k in range(width):
            near = mates and rng.random() < 0.7
            pick = mates[int(rng.integers(len(mates)))] if near else int(rng.integers(n))
            out[p.index, k] = pick if pick != p.index else (p.index + 1) % n
    return out


@dataclass(frozen=True)
class World:
    """The fixed part of a run, shared by every day and by the scenario builders."""

    org: Org
    habits: Habits
    calendar: Calendar
    presence: npt.NDArray[np.bool_]
    region: I64
    roles: npt.NDArray[np.str_]
    user_ids: pa.Array
    emails: pa.Array
    personal_emails: pa.Array
    host_names: pa.Array
    host_ips: pa.Array
    own_host: I64
    shared_hosts: tuple[I64, ...]
    file_prefix: pa.Array
    urls: Pool
    web_content: Pool
    doc_names: pa.Array
    doc_content: pa.Array
    doc_sizes: I64
    mail_content: pa.Array
    partners: pa.Array
    contacts: I64
    datasets: tuple[vocab.Dataset, ...]
    team_sizes: dict[str, int]
    no_purpose: npt.NDArray[np.float64]
    profile: Profile = CLASSIC

    def utc(self, person: int, day: int, minute: float) -> int:
        """UTC seconds of a local minute (may exceed 24h) of `day` in the person's office."""
        local_midnight = self.calendar.midnight[day] - self.calendar.offset_sec[
            day, self.region[person]]
        return int(local_midnight + round(minute * 60))

    def host_of(self, person: int) -> int:
        own = int(self.own_host[person])
        return own if own >= 0 else int(self.shared_hosts[self.region[person]][0])


def _team_sizes(org: Org) -> dict[str, int]:
    """Members of each team, leaders excluded."""
    sizes: dict[str, int] = {}
    for p in org.people:
        if p.role not in LEADER_ROLES:
            sizes[p.team] = sizes.get(p.team, 0) + 1
    return sizes


def payroll(world: World) -> tuple[I64, I64]:
    """Hire and end day of everyone, once incidents have set their dates."""
    people = world.org.people
    return (np.array([p.hire_day for p in people], dtype=np.int64),
            np.array([p.end_day for p in people], dtype=np.int64))


def build_world(rng: np.random.Generator, org: Org, habits: Habits, calendar: Calendar,
                presence: npt.NDArray[np.bool_], profile: Profile = CLASSIC) -> World:
    urls, web_content = _urls(rng, vocab.web_categories(profile.genai))
    doc_names, doc_content, doc_sizes = _docs(rng)
    people = org.people
    partners = [f"{n.split()[0].lower()}.{n.split()[-1].lower()}@{d}"
                for n, d in zip(["Ann Lee", "Bo Chan", "Cy Ford", "Di Moss", "Ed Park",
                                 "Flo Hart", "Gus Bell", "Hal Ng"] * 4,
                                vocab.PARTNER_DOMAINS * 5, strict=False)]
    return World(
        org=org, habits=habits, calendar=calendar, presence=presence,
        region=org.region_index(), roles=np.array([p.role for p in people]),
        user_ids=pa.array([p.user_id for p in people]),
        emails=pa.array([p.email for p in people]),
        personal_emails=pa.array([p.personal_email for p in people]),
        host_names=pa.array([h.name for h in org.hosts]),
        host_ips=pa.array([h.ip for h in org.hosts]),
        own_host=np.array([p.host for p in people], dtype=np.int64),
        shared_hosts=tuple(np.array(org.shared_hosts[r], dtype=np.int64) for r in REGIONS),
        file_prefix=pa.array([f"C:\\Users\\{p.user_id}\\Documents\\" for p in people]),
        urls=urls, web_content=web_content, doc_names=doc_names, doc_content=doc_content,
        doc_sizes=doc_sizes,
        mail_content=pa.array([_bag(rng, vocab.MAIL_WORDS, 3, 10) for _ in range(400)]),
        partners=pa.array(partners), contacts=_contacts(rng, org),
        datasets=vocab.datasets(REGIONS), team_sizes=_team_sizes(org),
        no_purpose=_no_purpose_shares(rng, org), profile=profile)


AD_HOC_ROLES = {"DataEngineer": 0.04, "SystemAdministrator": 0.05, "Analyst": 0.02}
HABITUAL_SHARE = 0.04  # of the people with data-store habits


def _no_purpose_shares(rng: np.random.Generator, org: Org) -> npt.NDArray[np.float64]:
    """Each person's share of data-store access without a declared purpose.

    Ad-hoc console work by data roles leaves the purpose empty a few percent of the time;
    a few people (any data role) habitually leave it empty for a large part of their work.
    """
    share = np.array([AD_HOC_ROLES.get(p.role, 0.0) for p in org.people])
    habitual = rng.random(len(share)) < HABITUAL_SHARE
    return np.where(habitual, rng.uniform(0.25, 0.9, len(share)), share)
