"""Source families, a lake that hides some of them, and the runs `--by-source` compares.

A *source family* is what a team onboards in one go: one or a few lake tables. The
*base set* is logons plus the directory (LDAP snapshots and the HR feed: the people
table): the two sources nearly every organisation has first, and the ones the real-data
case of issue 18 had. `--by-source` runs the analysis on

- every family (the reference),
- every family but one, for each family present ("without"),
- the base set, and the base set plus one family, for each other family ("with").

Each run reads the workspace's own lake through a `FilteredLake`: the same files, with
the hidden tables' files left out of the manifest it reads, so nothing is copied.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field, replace
from enum import StrEnum

from watchkeeper.lake import Lake, Manifest
from watchkeeper.risk.sources import BASE, FAMILIES, LABELS


class RunKind(StrEnum):
    ALL = "all"  # every family present
    BASE = "base"  # the base set
    WITHOUT = "without"  # every family but `family`
    WITH = "with"  # the base set plus `family`


@dataclass(frozen=True)
class SourceRun:
    """One analysis run of `--by-source`: which families it reads."""

    kind: RunKind
    family: str | None
    families: tuple[str, ...]

    @property
    def label(self) -> str:
        if self.kind is RunKind.ALL:
            return "all sources"
        if self.kind is RunKind.BASE:
            return "base: " + " + ".join(LABELS[f] for f in BASE)
        sign = "-" if self.kind is RunKind.WITHOUT else "base +"
        return f"{sign} {LABELS.get(self.family or '', self.family)}"


def present_families(lake: Lake) -> tuple[str, ...]:
    """The families with at least one stored row, in `FAMILIES` order."""
    return tuple(f for f, tables in FAMILIES.items() if any(lake.rows(t) for t in tables))


def plan(present: Collection[str]) -> list[SourceRun]:
    """The runs to compare: all, each left out, the base set, each added to it."""
    have = tuple(f for f in FAMILIES if f in present)
    base = tuple(f for f in have if f in BASE)
    runs = [SourceRun(RunKind.ALL, None, have)]
    runs += [SourceRun(RunKind.WITHOUT, f, tuple(g for g in have if g != f)) for f in have]
    runs.append(SourceRun(RunKind.BASE, None, base))
    runs += [SourceRun(RunKind.WITH, f, (*base, f)) for f in have if f not in BASE]
    return runs


class FilteredLake(Lake):
    """A read-only view of a lake in which the tables of some families are empty.

    Every read of the lake (tables, day views, file lists, row counts) goes through
    `manifest()`, so leaving the hidden tables' files out of it hides them everywhere.
    Only for reading: the analysis runs on it store nothing in the lake.
    """

    def __init__(self, lake: Lake, families: Collection[str]) -> None:
        super().__init__(
            lake.root,
            memory_limit=lake.memory_limit,
            threads=lake.threads,
            engine=lake.engine,
            compression=lake.compression,
        )
        self.hidden = frozenset(
            t for f, tables in FAMILIES.items() if f not in families for t in tables
        )

    def manifest(self) -> Manifest:
        full = super().manifest()
        return replace(
            full, tables={t: fs for t, fs in full.tables.items() if t not in self.hidden}
        )


@dataclass(frozen=True)
class RunResult:
    """The headline metrics of one run, and their change against its reference (the
    all-sources run for "without", the base run for "with")."""

    run: str
    kind: RunKind
    family: str | None
    families: tuple[str, ...]
    metrics: dict[str, float | None]
    change: dict[str, float | None]
    cpu_seconds: float  # process CPU time of the run (analysis and scoring)


@dataclass(frozen=True)
class BySourceReport:
    """Every run of `evaluate --by-source`."""

    base: tuple[str, ...]
    runs: list[RunResult] = field(default_factory=list)
    answers: str = ""

    def to_dict(self) -> dict[str, object]:
        from dataclasses import asdict

        return asdict(self)

    def to_text(self) -> str:
        from watchkeeper.evaluate.render_sources import render_by_source

        return render_by_source(self)


def change(
    metrics: dict[str, float | None], reference: dict[str, float | None]
) -> dict[str, float | None]:
    """metric - reference metric, per metric (None when either is missing)."""
    out: dict[str, float | None] = {}
    for name, value in metrics.items():
        ref = reference.get(name)
        out[name] = value - ref if value is not None and ref is not None else None
    return out
