"""What every source yields, and the accounting rule it must keep.

A source reads one input file and yields `Parsed` chunks. Each chunk holds rows for one
target table (an event class such as ``"authentication"`` or an entity table such as
``"people_observations"``) as an Arrow table conforming to that table's schema, plus the
records it rejected. For every chunk ``read == rows.num_rows + len(rejects)`` (plus the
rows it did not keep because an earlier chunk of the run holds their key); the lake
later splits the rows into accepted and duplicates, so that for every file and run
``read = accepted + duplicates + quarantined``. A chunk marked `derived` holds rows made
from records another chunk already counted (normalized events of a raw Windows record);
its rows are stored but not counted again.

A record that cannot be parsed is never an exception: it becomes a `Reject` naming the
file, the line (or record number for binary formats), the reason and the raw text. A
file that cannot be read at all raises `watchkeeper.errors.InputError` naming it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import pyarrow as pa

RAW_TEXT_LIMIT = 4096  # longer raw records are cut in the quarantine, with a marker


@dataclass(frozen=True)
class Reject:
    """One input record that was not accepted."""

    file: str
    line: int | None
    reason: str
    raw: str

    @staticmethod
    def of(file: Path | str, line: int | None, reason: str, raw: str | bytes) -> Reject:
        text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
        if len(text) > RAW_TEXT_LIMIT:
            text = text[:RAW_TEXT_LIMIT] + f"…[{len(text) - RAW_TEXT_LIMIT} more chars]"
        return Reject(str(file), line, reason, text)


@dataclass
class Parsed:
    """Rows for one target table read from one file, plus that file's rejects."""

    table: str
    rows: pa.Table
    rejects: list[Reject] = field(default_factory=list)
    derived: bool = False  # rows made from records another chunk already counted
    # from a source that reads many files at once (`BatchSource`): each row's and each
    # reject's input-file number; None when the whole chunk is from one file
    files: pa.Array | None = None
    reject_files: tuple[int, ...] = ()
    # rows read but not kept because an earlier row of the same run has their key (a
    # copied log): input-file number -> count; they count as read, and as duplicates
    repeats: dict[int, int] = field(default_factory=dict)

    @property
    def read(self) -> int:
        return (0 if self.derived else int(self.rows.num_rows)) + len(self.rejects) \
            + sum(self.repeats.values())


@dataclass(frozen=True)
class SourceContext:
    """Settings a source needs to normalize: the workspace passes them in."""

    timezone: str = "UTC"  # for naive local times (CERT)
    company_domains: tuple[str, ...] = ("dtaa.com", "corp.example")
    workers: int = 1  # processes a source may read with (the lake's thread setting)

    def is_external(self, address: str) -> bool:
        """True when an email address is outside every company domain (or subdomain)."""
        domain = address.rpartition("@")[2].strip().lower()
        return not any(domain == d or domain.endswith("." + d) for d in self.company_domains)


class Source(Protocol):
    """A reader for one input format."""

    name: str

    def read(self, path: Path, ctx: SourceContext) -> Iterator[Parsed]:
        """Yield chunks for one file, in bounded memory."""
        ...


class BatchSource(Source, Protocol):
    """A reader that also reads many small files into shared chunks (per-file overhead
    would otherwise dominate: a folder of one-record EVTX logs)."""

    def read_files(self, files: list[tuple[int, Path]], ctx: SourceContext,
                   sizes: Sequence[int] | None = None) -> Iterator[Parsed]:
        """Yield chunks whose rows and rejects carry their file numbers (`sizes`: the
        files' sizes in bytes, when the caller knows them)."""
        ...


def content_id(source: str, *parts: str | bytes) -> str:
    """A stable event id for sources without one: a hash of the source and raw content."""
    h = hashlib.blake2b(digest_size=16)
    h.update(source.encode())
    for part in parts:
        h.update(b"\x1f")
        h.update(part if isinstance(part, bytes) else part.encode("utf-8", "surrogatepass"))
    return f"{source}:{h.hexdigest()}"
