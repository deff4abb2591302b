"""Events posted to the service (`POST /api/v1/events`): checked, spooled, committed.

A post is one OCSF event object or a JSON array of them. Every event is checked as
`watchkeeper ingest ocsf` would read it (`sources.ocsf.check_event`); the first one it
would quarantine refuses the whole post (`IntakeError` naming the field, such as
``events[3].time``), and nothing is kept. A post that passes is written to the spool,
``<workspace>/spool/events/<received>-<id>.jsonl`` (one event per line), durably: a
temporary file is written and fsync'd, renamed into place, and the folder fsync'd,
before the service answers 202.

The ``events`` job (`commit_spool`) then ingests the waiting spool files in micro-batches
through the workspace's `ingest` (format ``ocsf``): one lake commit per batch, with
ingest's accounting (``read = accepted + duplicates + quarantined``), and deletes them.
A crash between the commit and the deletion re-reads those files at the next run: their
events are then counted as duplicates, never stored twice.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from watchkeeper.errors import InputError, IntakeError
from watchkeeper.sources.base import SourceContext
from watchkeeper.sources.ocsf import check_event
from watchkeeper.sources.rows import FieldError, RecordError, parse_json_object

if TYPE_CHECKING:
    from watchkeeper.ingest import IngestReport
    from watchkeeper.workspace import Workspace

SPOOL = Path("spool") / "events"
REFUSED = "refused"        # spool files ingest refused, kept for a person to look at
PAYLOAD = "(payload)"
MAX_EVENTS = 10_000        # per post
MAX_BYTES = 32 * 1024 * 1024
MAX_BATCH_FILES = 2_000    # spool files per micro-batch (one lake commit)


@dataclass(frozen=True)
class EventsStaged:
    """A post taken in: its events per class, and the spool file that holds them."""

    accepted: int
    classes: dict[str, int]
    batch: str


@dataclass(frozen=True)
class SpoolCommit:
    """What one micro-batch did: spool files ingested and refused, ingest's report."""

    files: int
    refused: tuple[str, ...]
    report: IngestReport | None


def check_events(payload: bytes, ctx: SourceContext) -> tuple[list[bytes], dict[str, int]]:
    """The events of a post as JSON lines, and their count per class; `IntakeError`
    naming the field of the first event that ingest would quarantine."""
    if len(payload) > MAX_BYTES:
        raise IntakeError(PAYLOAD, f"{len(payload):,} bytes; at most {MAX_BYTES:,} per post")
    try:
        value = json.loads(payload.decode("utf-8").removeprefix("\ufeff"))
    except UnicodeDecodeError as exc:
        raise IntakeError(PAYLOAD, f"invalid UTF-8 at byte {exc.start}") from None
    except json.JSONDecodeError as exc:
        raise IntakeError(PAYLOAD, f"invalid JSON at line {exc.lineno} column "
                                   f"{exc.colno}: {exc.msg}") from None
    except (ValueError, RecursionError):
        raise IntakeError(PAYLOAD, "invalid JSON: too deeply nested") from None
    items = value if isinstance(value, list) else [value]
    if not items:
        raise IntakeError(PAYLOAD, "an empty array: send one event or a list of them")
    if len(items) > MAX_EVENTS:
        raise IntakeError(PAYLOAD, f"{len(items):,} events; at most {MAX_EVENTS:,} per post")
    lines: list[bytes] = []
    classes: dict[str, int] = {}
    for n, item in enumerate(items):
        where = f"events[{n}]" if isinstance(value, list) else ""
        line, cls = _check_one(item, where, ctx)
        lines.append(line)
        classes[cls] = classes.get(cls, 0) + 1
    return lines, classes


def _check_one(item: object, where: str, ctx: SourceContext) -> tuple[bytes, str]:
    if not isinstance(item, dict):
        kind = "array" if isinstance(item, list) else type(item).__name__
        raise IntakeError(where or PAYLOAD, f"expected an OCSF event object, got {kind}")
    try:
        line = json.dumps(item, ensure_ascii=False, allow_nan=False,
                          separators=(",", ":")).encode("utf-8")
    except (ValueError, UnicodeEncodeError):   # NaN, Infinity, a lone surrogate
        raise IntakeError(where or PAYLOAD, "not valid JSON text (NaN, Infinity or a "
                                            "lone surrogate escape)") from None
    try:
        cls = check_event(parse_json_object(line), ctx)   # as ingest reads the line
    except FieldError as exc:
        field = f"{where}.{exc.field}" if where else exc.field
        raise IntakeError(field, str(exc).split(": ", 1)[-1]) from None
    except RecordError as exc:
        raise IntakeError(where or PAYLOAD, str(exc)) from None
    return line, cls.value


def stage(root: Path, lines: list[bytes], received: datetime) -> str:
    """Write `lines` to a new spool file, durably; its name."""
    folder = root / SPOOL
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{received:%Y%m%dT%H%M%S%f}Z-{uuid.uuid4().hex[:12]}.jsonl"
    temporary = folder / f".{name}.tmp"
    with temporary.open("wb") as fh:
        fh.write(b"\n".join(lines) + b"\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.rename(temporary, folder / name)
    _sync_folder(folder)
    return name


def receive(root: Path, payload: bytes, ctx: SourceContext,
            received: datetime) -> EventsStaged:
    """Check a post and spool it (see the module docstring)."""
    lines, classes = check_events(payload, ctx)
    return EventsStaged(len(lines), classes, stage(root, lines, received))


def waiting(root: Path) -> list[Path]:
    """Spool files not committed yet, oldest first."""
    folder = root / SPOOL
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and p.suffix == ".jsonl" and not p.name.startswith("."))


def commit_spool(workspace: Workspace, wait: timedelta,
                 limit: int = MAX_BATCH_FILES) -> SpoolCommit:
    """Ingest up to `limit` waiting spool files in one commit and delete them; a file
    ingest refuses whole is moved to ``spool/events/refused/`` and the rest go on."""
    files = waiting(workspace.root)[:limit]
    refused: list[str] = []
    report = None
    while files:
        try:
            report = workspace.ingest(files, "ocsf", wait=wait.total_seconds())
        except InputError as exc:
            bad = next((f for f in files if str(f) == exc.path), None)
            if bad is None:
                raise
            refused.append(f"{bad.name}: {exc.reason}")
            _refuse(bad)
            files.remove(bad)
            continue
        break
    for path in files:
        path.unlink(missing_ok=True)
    if files:
        _sync_folder(workspace.root / SPOOL)
    return SpoolCommit(len(files), tuple(refused), report)


def _refuse(path: Path) -> None:
    folder = path.parent / REFUSED
    folder.mkdir(exist_ok=True)
    os.rename(path, folder / path.name)


def _sync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
