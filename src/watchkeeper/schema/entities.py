"""Entity tables: people with history, devices, data assets, psychometric scores.

People arrive as *observations* (one LDAP snapshot row, one HR feed row). Observations are
append-only; identical rows count once, and differing rows of one `observation_id` are all
kept. The `people` history table (one row per person per period in which their attributes
held, `valid_from` inclusive, `valid_to` exclusive) is derived from all observations in a
fixed order (`watchkeeper.lake.people`), so re-ingesting a snapshot changes nothing and the
order of ingests never matters.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from watchkeeper.schema.events import LIST_STR, STR, Column

DATE = pa.date32()


@dataclass(frozen=True)
class EntitySpec:
    """An entity table: its key, columns and meaning."""

    name: str
    key: str
    columns: tuple[Column, ...]
    doc: str

    @property
    def schema(self) -> pa.Schema:
        return pa.schema([c.field() for c in self.columns])

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


_PERSON_ATTRS: tuple[Column, ...] = (
    Column("user", STR, "User id.", nullable=False),
    Column("name", STR, "Display name."),
    Column("email", STR, "Work email address."),
    Column("department", STR, "Department."),
    Column("team", STR, "Team."),
    Column("role", STR, "Job role."),
    Column("manager", STR, "Manager's user id (resolved from the LDAP supervisor name)."),
    Column("region", STR, "Home region (US, EU, APAC…)."),
    Column("country", STR, "Country code."),
    Column("employment_start", DATE, "First day employed."),
    Column("notice_date", DATE, "Day the person gave or got notice; HR knew from then."),
    Column("end_date", DATE, "Last day employed."),
    Column("watchlists", LIST_STR, "Watchlist tags."),
)

PEOPLE_OBSERVATIONS = EntitySpec(
    "people_observations", "observation_id",
    (
        Column("observation_id", STR,
               "source + as_of + user (differing rows of one id are all kept).",
               nullable=False),
        Column("source", STR, "ldap, hr, …", nullable=False),
        Column("as_of", DATE, "Day the snapshot or feed row describes.", nullable=False),
        *_PERSON_ATTRS,
    ),
    "One person as one snapshot or feed row saw them.",
)

PEOPLE = EntitySpec(
    "people", "user",
    (*_PERSON_ATTRS,
     Column("valid_from", DATE, "First day these attributes held.", nullable=False),
     Column("valid_to", DATE, "Day they stopped holding (exclusive); null while current.")),
    "People history: one row per person per period of unchanged attributes.",
)

DEVICES = EntitySpec(
    "devices", "host",
    (
        Column("host", STR, "Machine name.", nullable=False),
        Column("owner", STR, "User the machine is assigned to; null when shared."),
        Column("shared", pa.bool_(), "Shared machine (kiosk, lab, meeting room)."),
        Column("region", STR, "Region of the office the machine is in."),
        Column("office", STR, "Office name."),
    ),
    "Machines, assigned or shared.",
)

DATA_ASSETS = EntitySpec(
    "data_assets", "dataset",
    (
        Column("dataset", STR, "Data store or table name.", nullable=False),
        Column("region", STR, "Region whose residency rules govern it."),
        Column("sensitivity", STR, "low, medium, high, restricted."),
        Column("owner_team", STR, "Team that owns it."),
        Column("description", STR, "What it holds."),
        Column("vip", pa.bool_(), "Holds records of VIPs (prominent users): any access "
               "needs a grant.", added=True),
    ),
    "Catalog of user-data stores.",
)

PSYCHOMETRIC = EntitySpec(
    "psychometric", "user",
    (
        Column("user", STR, "User id.", nullable=False),
        Column("name", STR, "Employee name."),
        *(Column(k, pa.int16(), f"Big-five score {k}.") for k in "OCEAN"),
    ),
    "CERT psychometric (big five) scores.",
)

ENTITIES: dict[str, EntitySpec] = {
    e.name: e for e in (PEOPLE_OBSERVATIONS, PEOPLE, DEVICES, DATA_ASSETS, PSYCHOMETRIC)
}
