"""Export a case as Markdown, JSON or OCSF Incident Finding (2005), with custody.

Each export is rendered from the *pseudonymized* `CaseDetail` (the caller redacts it:
`Pseudonymizer.redact`), as bytes that depend on the case alone (sorted keys, fixed
order, no clock), written to its file (0600, replaced in one rename), and its SHA-256
recorded in the audit log (`case.export`, object ``case``/id, detail: format, sha256,
bytes) before the export is reported done: if the audit entry cannot be written the
file is removed again, so no export leaves without its hash in the chain of custody.
The audit log is a parameter, so the JSON-lines and the SQL audit stores both serve.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from watchkeeper.cases.detail import CaseDetail
from watchkeeper.cases.export_ocsf import incident_finding
from watchkeeper.cases.summary import md
from watchkeeper.errors import CaseError, OutputError
from watchkeeper.security.audit import AuditLog

FORMATS = ("markdown", "json", "ocsf")
SUFFIX = {"markdown": ".md", "json": ".json", "ocsf": ".ocsf.json"}


@dataclass(frozen=True)
class CaseExport:
    """One export: where it went, its format, size and SHA-256, and its audit entry."""

    case_id: int
    format: str
    path: str
    bytes: int
    sha256: str
    audit_seq: int


def check_format(fmt: str) -> str:
    key = fmt.strip().lower()
    if key in ("md", "markdown"):
        return "markdown"
    if key not in FORMATS:
        raise CaseError(f"export format {fmt!r}: expected one of {', '.join(FORMATS)}")
    return key


def render(detail: CaseDetail, fmt: str) -> bytes:
    """The export's bytes."""
    fmt = check_format(fmt)
    if fmt == "markdown":
        return markdown(detail).encode("utf-8")
    doc = incident_finding(detail) if fmt == "ocsf" else case_document(detail)
    return (json.dumps(doc, default=_json_default, sort_keys=True, indent=2,
                       ensure_ascii=False) + "\n").encode("utf-8")


def export_case(detail: CaseDetail, fmt: str, path: Path, audit: AuditLog,
                actor: str) -> CaseExport:
    """Render, write to `path`, and record the SHA-256 in `audit` (see the docstring)."""
    fmt = check_format(fmt)
    content = render(detail, fmt)
    digest = hashlib.sha256(content).hexdigest()
    _write(path, content)
    try:
        entry = audit.append(actor, "case.export", "case", str(detail.case.id),
                             {"format": fmt, "sha256": digest, "bytes": len(content)})
        audit.checkpoint()
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return CaseExport(detail.case.id, fmt, str(path), len(content), digest, entry.seq)


def _write(path: Path, content: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, content)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputError(path, exc.strerror or str(exc)) from None


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def case_document(detail: CaseDetail) -> dict[str, Any]:
    """The JSON export: the detail's fields, the case's severity name and people."""
    doc = dataclasses.asdict(detail)
    doc["case"]["severity_name"] = detail.case.severity_name
    doc["people"], doc["hosts"] = list(detail.people), list(detail.hosts)
    doc["format"] = "watchkeeper.case.v1"
    return doc


def markdown(detail: CaseDetail) -> str:
    """The Markdown export: facts, summary, alerts, timeline, tasks, notes, history."""
    c = detail.case
    out = [f"# Case {c.id}: {md(c.title)}", "",
           "| field | value |", "|---|---|",
           f"| status | {c.status} |", f"| severity | {c.severity_name} |",
           f"| priority | {c.priority or '-'} |", f"| verdict | {c.verdict or '-'} |",
           f"| assignee | {md(c.assignee or '-')} |", f"| team | {md(c.team or '-')} |",
           f"| restricted | {'yes' if c.restricted else 'no'} |",
           f"| created | {_t(c.created_at)} |", f"| updated | {_t(c.updated_at)} |",
           f"| people | {md(', '.join(detail.people) or '-')} |",
           f"| hosts | {md(', '.join(detail.hosts) or '-')} |", "",
           "## Summary", "", detail.summary.strip(), ""]
    out += _section("Alerts", [f"- {_t(a.event_time)} [{a.severity}] {md(a.title)} "
                               f"({md(a.rule or a.source)}, {md(a.source_ref)})"
                               for a in detail.alerts])
    out += _timeline(detail)
    out += _section("Tasks", [f"- [{'x' if t.done else ' '}] {md(t.title)}"
                              + (f" ({md(t.assignee)})" if t.assignee else "")
                              for t in detail.tasks])
    out += _section("Links", [f"- {k.kind}: {md(k.value)}" for k in detail.links])
    for note in detail.notes:
        out += [f"## Note {note.id} by {md(note.author)}, {_t(note.created_at)}", "",
                note.body.strip(), ""]
    out += _section("History", [f"- {_t(e.at)} {md(e.actor)} {e.action}"
                                f"{_change(e.before, e.after)}" for e in detail.events])
    return "\n".join(out).rstrip() + "\n"


def _timeline(detail: CaseDetail) -> list[str]:
    tl = detail.timeline
    head = (f"{tl.total:,} events between {_t(tl.start)} and {_t(tl.end)}"
            f"{f', {len(tl.events):,} shown' if tl.truncated else ''}; "
            "marked (*) are behind the alerts.")
    lines = [f"- {'*' if e.marked else ' '} {_t(e.time)} {e.cls} "
             f"{md(e.user or e.host or '')}: {md(e.summary)}" for e in tl.events]
    return ["## Timeline", "", head, "", *lines, ""]


def _section(title: str, lines: list[str]) -> list[str]:
    return [f"## {title}", "", *(lines or ["(none)"]), ""]


def _change(before: object, after: object) -> str:
    parts = []
    if before:
        parts.append(f" from {md(json.dumps(before, sort_keys=True, ensure_ascii=False))}")
    if after:
        parts.append(f" to {md(json.dumps(after, sort_keys=True, ensure_ascii=False))}")
    return "".join(parts)


def _t(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


__all__ = ["FORMATS", "SUFFIX", "CaseExport", "case_document", "check_format",
           "export_case", "markdown", "render"]
