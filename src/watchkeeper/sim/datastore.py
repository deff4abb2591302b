"""Background data-store access by the roles that work with customer data."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.sim.clock import REGIONS
from watchkeeper.sim.layout import batch
from watchkeeper.sim.strings import strings_from_chars
from watchkeeper.sim.today import Today
from watchkeeper.sim.world import World

I64 = npt.NDArray[np.int64]
KINDS = ("user_profiles", "payments", "messages", "support_tickets", "analytics_events",
         "billing_invoices")
OPERATIONS = ("read", "query", "export", "delete")


@dataclass(frozen=True)
class Habit:
    """How one role uses the data stores."""

    rate: float
    kinds: tuple[float, ...]
    operations: tuple[float, ...]
    ticket: float
    purpose: str
    cross_region: float


HABITS: dict[str, Habit] = {
    "SupportAgent": Habit(14, (0.5, 0, 0, 0.5, 0, 0), (0.85, 0.15, 0, 0), 1.0, "support", 0.03),
    "FraudAnalyst": Habit(8, (0.3, 0.7, 0, 0, 0, 0), (0.4, 0.6, 0, 0), 0.6, "fraud", 0.05),
    "Analyst": Habit(4, (0, 0, 0, 0, 0.8, 0.2), (0, 0.92, 0.08, 0), 0.0, "analytics", 0.02),
    "DataEngineer": Habit(6, (0.15, 0.1, 0.15, 0.1, 0.4, 0.1), (0.25, 0.68, 0.02, 0.05), 0.5,
                          "engineering", 0.08),
    "SystemAdministrator": Habit(1.2, (0.2, 0.1, 0.3, 0.2, 0.2, 0), (0.2, 0.8, 0, 0), 0.7,
                                 "engineering", 0.1),
    "Accountant": Habit(2, (0, 0, 0, 0, 0, 1.0), (0.5, 0.5, 0, 0), 0.0, "finance", 0.1),
}
ROLE_NAMES = tuple(HABITS)


def ticket_ids(values: I64) -> pa.Array:
    """`TCK-` followed by six digits."""
    chars = np.empty((len(values), 10), dtype=np.uint8)
    chars[:, :4] = np.frombuffer(b"TCK-", dtype=np.uint8)
    for k in range(6):
        chars[:, 9 - k] = 48 + (values // 10**k) % 10
    return strings_from_chars(chars)


def records_for(rng: np.random.Generator, op: I64) -> I64:
    """How many records an operation touches: one for reads, thousands for exports."""
    lo = np.array([1, 5, 2000, 1])[op]
    spread = np.array([2.0, 6.0, 3.0, 1.0])[op] * rng.lognormal(0, 1.0, len(op))
    return np.asarray(lo + (lo * spread).astype(np.int64) * (op > 0), dtype=np.int64)


def _draw(rng: np.random.Generator, probs: tuple[float, ...], n: int) -> I64:
    p = np.array(probs)
    return np.asarray(rng.choice(len(p), n, p=p / p.sum()), dtype=np.int64)


def access(world: World, t: Today) -> pa.Table:
    """Each data role's daily reads, queries and exports, with tickets where usual."""
    roles = world.roles[t.people]
    parts = [_role_access(world, t, name, roles == name) for name in ROLE_NAMES]
    return pa.concat_tables(parts)


def _role_access(world: World, t: Today, role: str, mine: npt.NDArray[np.bool_]) -> pa.Table:
    h = HABITS[role]
    rows, ts = t.expand(t.rng.poisson(np.where(mine & ~t.short, h.rate, 0.0)).astype(np.int64))
    n, who = len(rows), t.people[rows]
    region = world.region[who].copy()
    cross = t.rng.random(n) < h.cross_region
    region[cross] = (region[cross] + t.rng.integers(1, 3, int(cross.sum()))) % 3
    kind = _draw(t.rng, h.kinds, n)
    op = _draw(t.rng, h.operations, n)
    ticket = (t.rng.random(n) < h.ticket) | (cross & (h.ticket > 0))
    no_purpose = t.rng.random(n) < world.no_purpose[who]
    return datastore_batch(world, ts, who, t.hosts[rows], kind, region, op, ticket, h.purpose,
                           t.rng, no_purpose=no_purpose)


def datastore_batch(world: World, ts: I64, who: I64, hosts: I64, kind: I64, region: I64,
                    op: I64, ticket: npt.NDArray[np.bool_], purpose: str | None,
                    rng: np.random.Generator, tag: int = -1,
                    no_purpose: npt.NDArray[np.bool_] | None = None) -> pa.Table:
    """Data-store events from index arrays; `no_purpose` marks rows with a null purpose."""
    n = len(ts)
    sets = {d.name: d for d in world.datasets}
    names = [f"{KINDS[k]}_{REGIONS[r].lower()}" for k, r in zip(kind, region, strict=True)]
    tickets = ticket_ids(rng.integers(100_000, 999_999, n))
    return batch("datastore", ts, {
        "user": world.user_ids.take(who), "host": world.host_names.take(hosts),
        "dataset": names, "data_region": [REGIONS[r] for r in region],
        "operation": [OPERATIONS[o] for o in op], "records": records_for(rng, op),
        "sensitivity": [sets[s].sensitivity for s in names],
        "ticket": pc.if_else(pa.array(ticket, pa.bool_()), tickets,
                             pa.scalar(None, pa.string())),
        "purpose": pa.array([purpose] * n, pa.string(), mask=no_purpose),
        "client_ip": world.host_ips.take(hosts),
    }, tag)
