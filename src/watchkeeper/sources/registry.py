"""Which reader handles which input: by the format the user named, or recognized (``auto``).

``auto`` recognizes CERT files by name, the simulator's extra sources by name or header,
OCSF JSON lines by content and EVTX by signature; everything else is reported as
skipped with the reason, never guessed at. Answer keys (``answers/``) are not telemetry
and are skipped.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from watchkeeper.errors import InputError
from watchkeeper.sources.cert import CertSource, cert_kind

FORMATS = ("auto", "cert", "ocsf", "mapped", "hr", "evtx", "assets")
SIM_DATASTORE = "datastore_access.jsonl"


@dataclass(frozen=True)
class Plan:
    """One input file and the reader for it."""

    path: Path
    format: str
    source: Any  # a `Source`, or the DuckDB-backed `CertSource`
    size: int


def _plan(path: Path, fmt: str, source: Any) -> Plan:
    return Plan(path, fmt, source, max(1, path.stat().st_size))


def _files(inputs: list[Path], recurse: bool) -> list[Path]:
    out: list[Path] = []
    for item in inputs:
        if not item.exists():
            raise InputError(item, "no such file or directory")
        if item.is_dir():
            if not recurse:
                raise InputError(item, "is a directory; name the files to ingest")
            found = sorted(_walk(str(item)), key=lambda p: p.split(os.sep))
            out += map(Path, found)
        else:
            out.append(item)
    return out


def _walk(folder: str) -> Iterator[str]:
    """The files under a folder, as ``Path.rglob("*")`` and ``is_file`` find them (links
    to files count, links to folders are not followed), from the directory entries
    alone: a folder of 20,000 logs costs no stat per file."""
    try:
        with os.scandir(folder) as entries:
            found = list(entries)
    except PermissionError:
        return
    for entry in found:
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(entry.path)
        elif entry.is_file():
            yield entry.path


def _single(fmt: str, mapping: Path | None) -> Callable[[Path], Plan]:
    if fmt == "cert":
        cert = CertSource()
        return lambda p: _plan(p, "cert", cert)
    if fmt == "ocsf":
        from watchkeeper.sources.ocsf import OcsfSource
        ocsf = OcsfSource()
        return lambda p: _plan(p, "ocsf", ocsf)
    if fmt == "assets":
        from watchkeeper.sources.catalog import AssetsSource
        assets = AssetsSource()
        return lambda p: _plan(p, "assets", assets)
    if fmt == "hr":
        from watchkeeper.sources.hr import HrSource
        hr = HrSource()
        return lambda p: _plan(p, "hr", hr)
    if fmt == "mapped":
        from watchkeeper.sources.mapped import MappedSource, load_mapping
        if mapping is None:
            raise InputError("--mapping", "ingest mapped needs --mapping FILE.yaml")
        source = MappedSource(load_mapping(mapping))
        return lambda p: _plan(p, source.name, source)
    if fmt == "evtx":
        from watchkeeper.sources.evtx_source import EvtxSource
        evtx = EvtxSource()
        return lambda p: _plan(p, "evtx", evtx)
    raise InputError(fmt, f"unknown format (known: {', '.join(FORMATS)})")


def recognize(path: Path) -> tuple[str, Any] | str:
    """The (format, reader) for a file, or the reason it is not recognized."""
    if "answers" in path.parts:
        return "answer key, not telemetry"
    if path.name == "simulation.json":
        return "simulator run description, not telemetry"
    if cert_kind(path) is not None:
        return "cert", CertSource()
    from watchkeeper.sources import evtx_source
    if evtx_source.sniff(path):
        return "evtx", evtx_source.EvtxSource()
    if path.name == SIM_DATASTORE:
        from watchkeeper.sources.mapped import MappedSource, builtin_mapping
        return "watchkeeper_datastore", MappedSource(builtin_mapping("watchkeeper_datastore"))
    from watchkeeper.sources import catalog, hr, ocsf
    if hr.sniff(path):
        return "hr", hr.HrSource()
    if catalog.sniff_devices(path):
        return "devices", catalog.DevicesSource()
    if catalog.sniff_assets(path):
        return "assets", catalog.AssetsSource()
    if ocsf.sniff(path):
        return "ocsf", ocsf.OcsfSource()
    return "format not recognized"


def plan_inputs(inputs: list[Path], fmt: str, mapping: Path | None = None, *,
                check: bool = True) -> tuple[list[Plan], list[dict[str, str]]]:
    """Readers for every input file, and the files skipped with their reasons; a file
    not in the format asked for refuses the run (`check_plans`; `check=False`: the caller
    checks them)."""
    if fmt not in FORMATS:
        raise InputError(fmt, f"unknown format (known: {', '.join(FORMATS)})")
    files = _files(inputs, recurse=fmt in ("auto", "cert", "evtx"))
    if fmt != "auto":
        make = _single(fmt, mapping)
        if fmt == "cert" and any(p.is_dir() for p in inputs):
            files = [p for p in files if cert_kind(p) is not None]
        if fmt == "evtx" and any(p.is_dir() for p in inputs):
            files = [p for p in files if p.suffix.lower() == ".evtx"]
        chosen = [make(p) for p in files]
        if check:
            check_plans(chosen, fmt)
        return chosen, []
    plans: list[Plan] = []
    skipped: list[dict[str, str]] = []
    for path in files:
        found = recognize(path)
        if isinstance(found, str):
            skipped.append({"path": str(path), "reason": found})
        else:
            plans.append(_plan(path, *found))
    return plans, skipped


# ---------------------------------------------------------------------------- refusal

SAMPLE = 100  # records looked at to judge whether a file is in the format asked for
_VERBS = {"cert": "cert", "ocsf": "ocsf", "evtx": "evtx", "hr": "hr", "assets": "assets"}


def check_plans(plans: list[Plan], fmt: str) -> None:
    """Refuse the run if a file is not in the format asked for (``auto`` recognized every
    file already)."""
    if fmt != "auto":
        for plan in plans:
            check_fits(plan, fmt)


def check_fits(plan: Plan, fmt: str) -> None:
    """Refuse a file that is not in the format asked for: fewer than half of its first
    `SAMPLE` records (all of a shorter file) look like that format, or, for EVTX, it lacks
    the signature. Reads only the file's first records; an empty file fits."""
    sampled = _sample(plan, fmt)
    if sampled is None:
        return
    fit, seen = sampled
    if fit * 2 >= seen:
        return
    want = _describe(plan.format if fmt == "mapped" else fmt, plan.path, plan.source)
    found = recognize(plan.path)
    if isinstance(found, str) or found[0] == fmt:
        raise InputError(plan.path, f"not {want} ({_shortfall(plan, fmt, fit, seen)})")
    verb = _VERBS.get(found[0], "auto")
    raise InputError(plan.path, f"not {want} (looks like "
                                f"{_describe(found[0], plan.path, found[1])}); "
                                f"use `watchkeeper ingest {verb}`")


def _sample(plan: Plan, fmt: str) -> tuple[int, int] | None:
    """(records that look right, records looked at), or None when not checked here (CERT
    and HR files are judged by their header as they are read)."""
    if fmt == "evtx":
        from watchkeeper.sources.evtx_source import looks_like
        return int(looks_like(plan.path)), 1
    if fmt == "ocsf":
        from watchkeeper.sources.ocsf import looks_like as ocsf_like
        records = ocsf_like(plan.path)
    elif fmt == "mapped":
        records = plan.source.looks_like(plan.path)
    else:
        return None
    with closing(records):
        verdicts = list(itertools.islice(records, SAMPLE))
    return sum(verdicts), len(verdicts)


def _shortfall(plan: Plan, fmt: str, fit: int, seen: int) -> str:
    if fmt == "evtx":
        return "no EVTX signature"
    which = f"first {seen}" if seen == SAMPLE else str(seen)
    what = "are JSON objects with a class_uid" if fmt == "ocsf" else \
        f"have its time field {plan.source.mapping.time.field!r}"
    return f"{fit} of its {which} records {what}"


def _describe(fmt: str, path: Path, source: Any) -> str:
    if fmt == "cert":
        return f"CERT {cert_kind(path) or 'activity'} CSV"
    names = {"ocsf": "OCSF JSON lines", "evtx": "an EVTX event log", "hr": "an HR feed CSV",
             "devices": "a devices catalog CSV", "assets": "a data-assets catalog CSV"}
    return names.get(fmt) or f"input for mapping {getattr(source, 'name', fmt)}"
