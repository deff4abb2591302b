"""The org chart: people, departments, teams, managers, offices and machines."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from watchkeeper.sim import vocab
from watchkeeper.sim.clock import REGIONS

I64 = npt.NDArray[np.int64]
NEVER = 1_000_000
"""Day index meaning 'no such date' (no notice given, still employed)."""


@dataclass(frozen=True)
class Department:
    """A department: where it hangs in the org, its teams and its mix of roles."""

    business_unit: str
    functional_unit: str
    name: str
    teams: tuple[str, ...]
    roles: tuple[tuple[str, float], ...]
    weight: float


DEPARTMENTS: tuple[Department, ...] = (
    Department("Corporate", "Office of the CEO", "Executive Office", ("Executive",),
               (("ChiefExecutive", 1.0),), 0.0),
    Department("Technology", "IT Operations", "IT Operations", ("Service Desk", "Infrastructure"),
               (("SystemAdministrator", 0.5), ("ITAdmin", 0.5)), 0.08),
    Department("Technology", "Engineering", "Platform Engineering", ("Core Services",
               "Data Platform"), (("SoftwareEngineer", 0.6), ("DataEngineer", 0.4)), 0.14),
    Department("Technology", "Engineering", "Product Engineering", ("Web", "Mobile"),
               (("SoftwareEngineer", 0.8), ("ProductManager", 0.2)), 0.12),
    Department("Operations", "Customer Operations", "Customer Support", ("Tier 1", "Tier 2"),
               (("SupportAgent", 1.0),), 0.22),
    Department("Operations", "Risk", "Fraud and Risk", ("Payments Risk",),
               (("FraudAnalyst", 0.7), ("Analyst", 0.3)), 0.06),
    Department("Commercial", "Sales and Marketing", "Sales", ("Enterprise", "SMB"),
               (("SalesRepresentative", 1.0),), 0.12),
    Department("Commercial", "Sales and Marketing", "Marketing", ("Growth", "Brand"),
               (("MarketingSpecialist", 0.6), ("Analyst", 0.4)), 0.06),
    Department("Data", "Analytics", "Business Intelligence", ("Insights",),
               (("Analyst", 0.6), ("DataEngineer", 0.4)), 0.07),
    Department("Corporate", "Corporate Services", "Finance", ("Accounting",),
               (("Accountant", 0.7), ("Analyst", 0.3)), 0.05),
    Department("Corporate", "Corporate Services", "Human Resources", ("People Operations",),
               (("HRSpecialist", 1.0),), 0.05),
    Department("Corporate", "Corporate Services", "Legal", ("Legal",),
               (("LegalCounsel", 1.0),), 0.03),
)
DEPARTMENT = {d.name: i for i, d in enumerate(DEPARTMENTS)}
# (department, team, role) given to persons 1..4 so every run has these roles.
_FORCED = ((1, 1, "SystemAdministrator"), (2, 1, "DataEngineer"), (4, 0, "SupportAgent"),
           (8, 0, "Analyst"))
LEADER_ROLES = frozenset({"ChiefExecutive", "Director", "Manager"})
PRIVILEGED_ROLES = frozenset({"SystemAdministrator", "ITAdmin", "DataEngineer"})


@dataclass
class Person:
    """One employee. Employment dates are day indices relative to the simulation start."""

    index: int
    user_id: str
    name: str
    email: str
    personal_email: str
    role: str
    department: int
    team: str
    region: str
    projects: str
    traits: tuple[int, int, int, int, int]
    manager: int | None = None
    hire_day: int = -365
    notice_day: int = NEVER
    end_day: int = NEVER
    host: int = -1
    watchlists: list[str] = field(default_factory=list)
    hr_lag: int = 0
    """Days between giving notice and HR recording it (realistic profile)."""
    hr_no_manager: bool = False
    """The HR feed lacks this person's manager (realistic profile)."""
    previous_team: str | None = None
    move_day: int = NEVER
    """Moved from `previous_team` (same department) to `team` on this day."""

    @property
    def dept(self) -> Department:
        return DEPARTMENTS[self.department]


@dataclass(frozen=True)
class Host:
    """A workstation: assigned to one owner, or shared by an office."""

    name: str
    owner: int | None
    region: str
    ip: str


@dataclass
class Org:
    """Everyone ever employed during the run, and every machine."""

    people: list[Person]
    hosts: list[Host]
    shared_hosts: dict[str, list[int]]

    def region_index(self) -> I64:
        return np.array([REGIONS.index(p.region) for p in self.people], dtype=np.int64)


def _unique_id(rng: np.random.Generator, initials: str, taken: set[str]) -> str:
    while True:
        candidate = f"{initials}{int(rng.integers(0, 10_000)):04d}"
        if candidate not in taken:
            taken.add(candidate)
            return candidate


def _make_person(rng: np.random.Generator, index: int, dept: int, team: int, role: str,
                 region: str, taken: set[str]) -> Person:
    first = vocab.FIRST_NAMES[int(rng.integers(len(vocab.FIRST_NAMES)))]
    middle = vocab.MIDDLE_NAMES[int(rng.integers(len(vocab.MIDDLE_NAMES)))]
    last = vocab.LAST_NAMES[int(rng.integers(len(vocab.LAST_NAMES)))]
    user_id = _unique_id(rng, (first[0] + middle[0] + last[0]).upper(), taken)
    local = f"{first}.{middle[0]}.{last}.{user_id[3:]}".lower()
    domain = vocab.PERSONAL_DOMAINS[int(rng.integers(len(vocab.PERSONAL_DOMAINS)))]
    n_projects = int(rng.integers(0, 3))
    picks = sorted(rng.choice(len(vocab.PROJECTS), n_projects, replace=False).tolist())
    traits = np.clip(rng.normal(30, 7, 5).round(), 10, 50).astype(int)
    department = DEPARTMENTS[dept]
    return Person(
        index=index, user_id=user_id, name=f"{first} {middle} {last}",
        email=f"{local}@{vocab.COMPANY_DOMAIN}",
        personal_email=f"{first.lower()}{last.lower()}{int(rng.integers(10, 99))}@{domain}",
        role=role, department=dept, team=f"{department.teams[team]} {region}", region=region,
        projects=";".join(vocab.PROJECTS[i] for i in picks),
        traits=(int(traits[0]), int(traits[1]), int(traits[2]), int(traits[3]),
                int(traits[4])))


def _draw_placement(rng: np.random.Generator, index: int) -> tuple[int, int, str, str]:
    if index == 0:
        return 0, 0, "ChiefExecutive", "US"
    if index <= len(_FORCED):
        dept, team, role = _FORCED[index - 1]
        return dept, team, role, REGIONS[(index - 1) % len(REGIONS)]
    weights = np.array([d.weight for d in DEPARTMENTS])
    dept = int(rng.choice(len(DEPARTMENTS), p=weights / weights.sum()))
    department = DEPARTMENTS[dept]
    team = int(rng.integers(len(department.teams)))
    role_w = np.array([w for _, w in department.roles])
    role = department.roles[int(rng.choice(len(role_w), p=role_w / role_w.sum()))][0]
    region = REGIONS[int(rng.choice(3, p=[0.45, 0.35, 0.20]))]
    return dept, team, role, region


def _assign_leaders(people: list[Person]) -> None:
    """Directors head departments, managers head teams; everyone gets a supervisor."""
    forced = range(1, len(_FORCED) + 1)
    directors: dict[int, int] = {}
    for p in people[1:]:
        if p.index not in forced and p.department not in directors:
            directors[p.department] = p.index
            p.role, p.manager = "Director", 0
    teams: dict[str, list[int]] = {}
    for p in people[1:]:
        if p.role != "Director":
            teams.setdefault(f"{p.department}/{p.team}", []).append(p.index)
    for members in teams.values():
        head = directors.get(people[members[0]].department, 0)
        candidates = [i for i in members if i not in forced]
        lead = candidates[0] if len(members) >= 3 and candidates else None
        for i in members:
            people[i].manager = head if i == lead or lead is None else lead
        if lead is not None:
            people[lead].role = "Manager"


def _assign_hosts(rng: np.random.Generator, people: list[Person], own_share: float,
                  per_shared: int) -> tuple[list[Host], dict[str, list[int]]]:
    shared_count = {r: max(2, sum(p.region == r for p in people) // per_shared)
                    for r in REGIONS}
    total = len(people) + sum(shared_count.values())
    digits = max(4, len(str(total * 4)))
    numbers = rng.choice(10**digits - 10 ** (digits - 1), total, replace=False) + 10 ** (
        digits - 1)
    hosts: list[Host] = []
    shared: dict[str, list[int]] = {r: [] for r in REGIONS}

    def add(owner: int | None, region: str) -> int:
        octet = REGIONS.index(region) + 1
        k = len(hosts)
        hosts.append(Host(f"PC-{numbers[k]}", owner, region,
                          f"10.{octet}.{k // 250}.{k % 250 + 1}"))
        return k

    for p in people:
        if p.role in LEADER_ROLES or p.index <= len(_FORCED) or rng.random() < own_share:
            p.host = add(p.index, p.region)
    for region in REGIONS:
        shared[region] = [add(None, region) for _ in range(shared_count[region])]
    return hosts, shared


def build_org(rng: np.random.Generator, users: int, own_share: float = 0.93,
              per_shared: int = 30) -> Org:
    """Draw `users` people into departments, teams and offices, with machines."""
    taken: set[str] = set()
    people = []
    for index in range(users):
        dept, team, role, region = _draw_placement(rng, index)
        people.append(_make_person(rng, index, dept, team, role, region, taken))
    _assign_leaders(people)
    hosts, shared = _assign_hosts(rng, people, own_share, per_shared)
    for p in people:
        p.hire_day = -int(rng.integers(30, 4000))
        if p.role in PRIVILEGED_ROLES:
            p.watchlists.append("privileged-access")
        if p.role not in LEADER_ROLES and rng.random() < 0.02:
            p.watchlists.append("performance-improvement-plan")
    return Org(people, hosts, shared)
