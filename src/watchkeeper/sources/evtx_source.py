"""`ingest evtx`: Windows event logs into the raw Windows table and normalized classes.

Every record goes to ``raw/windows`` (what Sigma rules scan); logons, removable storage,
process and file creation also become normalized events (`windows_events`), marked as
derived so the record is counted once. A file without the EVTX signature is refused
before the run (`registry.check_fits`); one that has it but cannot be opened becomes one
quarantined record naming the file, so the rest of the run still ingests.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from watchkeeper.errors import InputError
from watchkeeper.schema.windows import CORE_SCHEMA
from watchkeeper.sources import evtx
from watchkeeper.sources.base import Parsed, Reject, SourceContext
from watchkeeper.sources.rows import head
from watchkeeper.sources.windows_events import normalize

EVTX_MAGIC = b"ElfFile\x00"
RAW = "raw/windows"


def sniff(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(8) == EVTX_MAGIC
    except OSError:
        return False


def looks_like(path: Path) -> bool:
    """An EVTX file by its signature, or (by `.json` suffix) a JSON export of events."""
    if path.suffix.lower() != ".json":
        return sniff(path)
    start = head(path).lstrip()
    return start[:1] in (b"{", b"[") and b'"Event"' in start


class EvtxSource:
    """Reads .evtx files (and JSON exports of Windows events, by `.json` suffix)."""

    name = "evtx"

    def read(self, path: Path, ctx: SourceContext) -> Iterator[Parsed]:
        reader = evtx.read_event_json if path.suffix.lower() == ".json" else evtx.read_evtx
        try:
            for batch in reader(path):
                rejects = [Reject.of(r.path, r.record, r.reason, r.raw) for r in batch.rejects]
                yield Parsed(RAW, batch.table, rejects)
                for cls, rows in normalize(batch.table).items():
                    yield Parsed(cls, rows, derived=True)
        except InputError as exc:  # the whole file is unreadable: one quarantined record
            yield Parsed(RAW, CORE_SCHEMA.empty_table(), [Reject.of(path, None, exc.reason, "")])
