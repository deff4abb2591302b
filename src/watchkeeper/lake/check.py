"""`lake check`: is every listed file whole, and is every data file accounted for?

Problems (check fails): the manifest is missing; a listed file is missing, unreadable or
truncated, has another row count or lacks a column of its table; a committed file is not
listed (a lost or damaged manifest no longer names it); commit records are missing.
Notes (check passes): files a crashed writer left (their commit never completed; the next
writer deletes them, as it always has), and files a later commit superseded that wait
for the readers that may still use them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from watchkeeper.errors import LakeError
from watchkeeper.lake import records
from watchkeeper.lake.files import data_files, has_data, inspect, table_of, txn_of
from watchkeeper.lake.manifest import Manifest

if TYPE_CHECKING:
    from pathlib import Path

    from watchkeeper.lake.store import Lake

PROBLEMS = ("manifest", "records", "missing", "damaged", "rows", "schema", "lost")


@dataclass(frozen=True)
class Issue:
    """One finding of `check`: a problem, or a note about a file that is being cleaned."""

    kind: str  # one of PROBLEMS, or "leftover" / "superseded" / "crashed"
    path: str | None
    detail: str

    @property
    def problem(self) -> bool:
        return self.kind in PROBLEMS


@dataclass(frozen=True)
class CheckReport:
    """What `check` found."""

    lake: str
    manifest_missing: bool
    seq: int
    files: int
    rows: int
    issues: tuple[Issue, ...] = ()

    @property
    def ok(self) -> bool:
        return not any(i.problem for i in self.issues)

    def to_dict(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["ok"] = self.ok
        doc["issues"] = [{**asdict(i), "problem": i.problem} for i in self.issues]
        return doc


@dataclass
class Unlisted:
    """Data files no manifest lists, by why."""

    leftover: list[str] = field(default_factory=list)    # their commit never completed
    superseded: list[str] = field(default_factory=list)  # replaced by a later commit
    lost: dict[str, tuple[int, int]] = field(default_factory=dict)  # path: (seq, rows)


def classify(root: Path, manifest: Manifest) -> Unlisted:
    """Sort the files `manifest` does not list: leftovers, superseded, lost."""
    listed = manifest.paths()
    unlisted = [p for p in data_files(root) if p not in listed]
    out = Unlisted()
    if not unlisted:
        return out
    committed = {t: s for t, s in records.txns(root).items() if s <= manifest.seq}
    candidates = [p for p in unlisted if txn_of(p) in committed]
    out.leftover = [p for p in unlisted if txn_of(p) not in committed]
    if not candidates:
        return out
    first = min(committed[txn_of(p)] for p in candidates)
    later = [r for r in records.load_all(root, first - 1) if r.seq <= manifest.seq]
    gone = {p for r in later for ps in r.superseded.values() for p in ps}
    added = {p: (r.seq, n) for r in later for fs in r.added.values() for p, n in fs}
    for path in candidates:
        if path in gone:
            out.superseded.append(path)
        elif path in added:
            out.lost[path] = added[path]
        else:
            out.leftover.append(path)
    return out


def listed_issues(root: Path, manifest: Manifest, deep: bool) -> list[Issue]:
    """A problem for each listed file that is not whole."""
    issues = []
    for table, files in sorted(manifest.tables.items()):
        for f in files:
            spec = table_of(f.path)
            defect = inspect(root / f.path, spec if spec and spec.name == table else None,
                             f.rows, deep)
            if defect is not None:
                issues.append(Issue(defect.kind, f.path, defect.detail))
    return issues


def unlisted_issues(unlisted: Unlisted) -> list[Issue]:
    issues = [Issue("lost", p, f"written by commit {seq} ({rows} rows) but not listed by "
                    "the manifest; `watchkeeper lake repair` lists it again")
              for p, (seq, rows) in sorted(unlisted.lost.items())]
    issues += [Issue("leftover", p, "left by a writer that crashed before its commit "
                     "completed; the next writer removes it") for p in unlisted.leftover]
    issues += [Issue("superseded", p, "replaced by a later commit; removed once no reader "
                     "may still use it") for p in unlisted.superseded]
    return issues


def check(lake: Lake, deep: bool = False) -> CheckReport:
    """Check the lake's files against its manifest (or, when it is missing, its records)."""
    lake.reading()
    issues: list[Issue] = []
    try:
        manifest, state = lake.manifest_file(), "missing"
    except LakeError as exc:
        manifest, state = None, f"damaged ({exc})"
    if manifest is None and not records.listing(lake.root) and not has_data(lake.root):
        manifest, state = Manifest(), "fresh"  # nothing stored yet: nothing to lose
    missing = manifest is None
    if manifest is None:
        folded = records.fold(records.load_all(lake.root))
        manifest = folded.manifest
        issues.append(Issue("manifest", "manifest.json", f"{state}; `watchkeeper lake "
                            f"repair` rebuilds it from {len(manifest.commits)} commit "
                            "records"))
        issues += [Issue("records", None, f"no record of commit {seq}: its files cannot "
                         "be listed again") for seq in folded.gaps]
    else:
        issues += [Issue("crashed", str(p.relative_to(lake.root)), "record of a commit that "
                         "crashed before its manifest step; the next writer rolls it back")
                   for s, p in sorted(records.listing(lake.root).items()) if s > manifest.seq]
    issues += listed_issues(lake.root, manifest, deep)
    issues += unlisted_issues(classify(lake.root, manifest))
    n_files = sum(len(fs) for fs in manifest.tables.values())
    n_rows = sum(f.rows for fs in manifest.tables.values() for f in fs)
    return CheckReport(str(lake.root), missing, manifest.seq, n_files, n_rows, tuple(issues))
