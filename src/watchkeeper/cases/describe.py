"""One plain line per lake event, built from its class's columns, for timelines.

``copied report.xlsx to removable media``, ``emailed 3 recipients (2 external) with 1
attachment``, ``read 12,000 records from user_profiles_eu (region EU, restricted)``.
Every word comes from the row; a column the source left empty is left out, never guessed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Row = Mapping[str, Any]

WIDTH = 160  # a summary is one line; longer ones end in "…"

_PAST = {"open": "opened", "copy": "copied", "write": "wrote", "delete": "deleted",
         "create": "created", "read": "read", "export": "exported", "query": "queried",
         "send": "sent", "view": "viewed", "visit": "visited", "upload": "uploaded to",
         "download": "downloaded from", "connect": "connected", "disconnect": "disconnected",
         "update": "updated", "modify": "modified", "rename": "renamed", "move": "moved",
         "start": "started", "launch": "started"}


def describe(cls: str, row: Row) -> str:
    """The one-line description of an event of class `cls` (``windows``: raw Windows)."""
    text = _DESCRIBERS.get(cls, _generic)(row)
    line = " ".join(text.split())
    return line if len(line) <= WIDTH else line[:WIDTH - 1] + "…"


def _verb(row: Row) -> str:
    activity = str(row.get("activity") or "acted")
    return _PAST.get(activity, activity)


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def _basename(path: str) -> str:
    return path.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1] or path


def _authentication(row: Row) -> str:
    parts = [str(row.get("activity") or "logon")]
    if row.get("status") == "failure":
        parts.append("failed")
    if row.get("logon_type"):
        parts.append(f"({row['logon_type']})")
    target = row.get("target_user")
    if target and target != row.get("user"):
        parts.append(f"as {target}")
    if row.get("src_host"):
        parts.append(f"from {row['src_host']}")
    return " ".join(parts)


def _peripheral(row: Row) -> str:
    kind = str(row.get("device_kind") or "device")
    name = f" {row['device_name']}" if row.get("device_name") else ""
    tree = row.get("file_tree") or []
    shown = f" showing {_count(len(tree), 'path')}" if tree else ""
    return f"{_verb(row)} {kind} device{name}{shown}"


def _file(row: Row) -> str:
    name = _basename(str(row.get("path") or "a file"))
    where = (" to removable media" if row.get("to_removable")
             else " from removable media" if row.get("from_removable") else "")
    size = f" ({row['size']:,} bytes)" if row.get("size") is not None else ""
    return f"{_verb(row)} {name}{where}{size}"


def _email(row: Row) -> str:
    attachments = int(row.get("attachment_count") or 0)
    with_att = f" with {_count(attachments, 'attachment')}" if attachments else ""
    if row.get("activity") == "send":
        n = int(row.get("recipient_count") or len(row.get("recipients") or []))
        ext = row.get("external_recipient_count")
        external = f" ({ext:,} external)" if ext else ""
        return f"emailed {_count(n, 'recipient')}{external}{with_att}"
    sender = f" from {row['sender']}" if row.get("sender") else ""
    return f"{_verb(row)} an email{sender}{with_att}"


def _web(row: Row) -> str:
    domain = row.get("domain") or row.get("url") or "a web site"
    method = f" ({row['http_method']})" if row.get("http_method") else ""
    return f"{_verb(row)} {domain}{method}"


def _datastore(row: Row) -> str:
    n = row.get("record_count")
    records = f"{_count(int(n), 'record')} from " if n is not None else ""
    detail = [f"region {row['data_region']}"] if row.get("data_region") else []
    detail += [str(row["sensitivity"])] if row.get("sensitivity") else []
    bracket = f" ({', '.join(detail)})" if detail else ""
    ticket = f", ticket {row['ticket']}" if row.get("ticket") else ", no ticket"
    return f"{_verb(row)} {records}{row.get('dataset') or 'a data store'}{bracket}{ticket}"


def _process(row: Row) -> str:
    name = _basename(str(row.get("process_name") or "a process"))
    parent = f" from {_basename(str(row['parent_process']))}" if row.get("parent_process") else ""
    command = f": {row['command_line']}" if row.get("command_line") else ""
    return f"started {name}{parent}{command}"


def _finding(row: Row) -> str:
    severity = f" ({row['severity']})" if row.get("severity") else ""
    title = row.get("title") or row.get("rule_id") or "a finding"
    return f"finding: {title}{severity}"


def _windows(row: Row) -> str:
    channel = f" in {row['channel']}" if row.get("channel") else ""
    provider = f" from {row['provider']}" if row.get("provider") else ""
    code = f" {row['event_code']}" if row.get("event_code") is not None else ""
    return f"Windows event{code}{channel}{provider}"


def _generic(row: Row) -> str:
    return str(row.get("activity") or "event")


#: The columns each class's description reads (besides ``activity`` and ``user``).
COLUMNS: dict[str, tuple[str, ...]] = {
    "authentication": ("status", "logon_type", "target_user", "src_host"),
    "peripheral": ("device_kind", "device_name", "file_tree"),
    "file": ("path", "to_removable", "from_removable", "size"),
    "email": ("sender", "recipients", "recipient_count", "external_recipient_count",
              "attachment_count"),
    "web": ("domain", "url", "http_method"),
    "datastore": ("dataset", "record_count", "data_region", "sensitivity", "ticket"),
    "process": ("process_name", "parent_process", "command_line"),
    "finding": ("title", "rule_id", "severity"),
    "windows": ("event_code", "channel", "provider"),
}

_DESCRIBERS: dict[str, Callable[[Row], str]] = {
    "authentication": _authentication, "peripheral": _peripheral, "file": _file,
    "email": _email, "web": _web, "datastore": _datastore, "process": _process,
    "finding": _finding, "windows": _windows,
}
