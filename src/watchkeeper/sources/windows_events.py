"""Normalized events from raw Windows events: logons, removable storage, processes, files.

| Windows event | normalized class | activity |
|---|---|---|
| Security 4624 / 4625 | authentication | logon (success / failure) |
| Security 4634 / 4647 | authentication | logoff |
| Security 4648 | authentication | logon with explicit credentials (`target_user`) |
| Security 6416 | peripheral | connect (a new external device) |
| Security 4663, Removable Storage audit (task 12801) | file | read / write on removable media |
| Security 4688, Sysmon 1 | process | start |
| Sysmon 11 | file | create |

A normalized row keeps the raw row's ``event_id``, so the raw event is one lookup away.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.schema import class_spec

SECURITY = "Security"
SYSMON = "Microsoft-Windows-Sysmon/Operational"
REMOVABLE_STORAGE_TASK = "12801"
LOGON_TYPES = {"2": "interactive", "3": "network", "4": "batch", "5": "service",
               "7": "unlock", "8": "network_cleartext", "9": "new_credentials",
               "10": "remote_interactive", "11": "cached_interactive"}
Row = dict[str, Any]


def _blank(value: object) -> str | None:
    text = None if value is None else str(value).strip()
    return None if text in (None, "", "-") else text


def _account(value: object) -> str | None:
    """`DOMAIN\\user` or `user@domain` → `user`, as people are named elsewhere."""
    text = _blank(value)
    if text is None:
        return None
    return text.rsplit("\\", 1)[-1].split("@", 1)[0]


def _int(value: object) -> int | None:
    text = _blank(value)
    if text is None:
        return None
    try:
        return int(text, 16) if text.lower().startswith("0x") else int(text)
    except ValueError:
        return None


def _core(r: Row, cls: str, activity: str, user: object) -> Row:
    return {"event_id": r["event_id"], "time": r["time"], "source": "evtx", "class": cls,
            "activity": activity, "user": _account(user), "host": r.get("host"),
            "region": None}


def _auth(r: Row) -> Row:
    code = r["event_code"]
    explicit = code == 4648
    user = r.get("SubjectUserName") if explicit else r.get("TargetUserName")
    return {**_core(r, "authentication", "logoff" if code in (4634, 4647) else "logon", user),
            "status": "failure" if code == 4625 else "success",
            "logon_type": "explicit" if explicit else LOGON_TYPES.get(
                str(r.get("LogonType") or ""), _blank(r.get("LogonType"))),
            "src_host": _blank(r.get("IpAddress")) or _blank(r.get("WorkstationName")),
            "target_user": _account(r.get("TargetUserName")) if explicit else None}


def _device(r: Row) -> Row:
    kind = (_blank(r.get("ClassName")) or "").lower()
    return {**_core(r, "peripheral", "connect", r.get("SubjectUserName")),
            "device_kind": "removable_storage" if kind == "diskdrive" else kind or None,
            "device_name": _blank(r.get("DeviceDescription")) or _blank(r.get("FriendlyName")),
            "file_tree": []}


def _removable_file(r: Row) -> Row:
    access = f"{r.get('AccessList') or ''} {r.get('AccessMask') or ''}"
    write = "%%4417" in access or "0x2" in access
    read = "%%4416" in access or "0x1" in access
    path = _blank(r.get("ObjectName"))
    return {**_core(r, "file", "write" if write else "read" if read else "access",
                    r.get("SubjectUserName")),
            "path": path, "file_ext": _ext(path), "to_removable": write,
            "from_removable": read and not write, "size": None, "content": None}


def _process(r: Row) -> Row:
    sysmon = r["channel"] == SYSMON
    user = r.get("data_User") if sysmon else (_blank(r.get("TargetUserName"))
                                              or r.get("SubjectUserName"))
    return {**_core(r, "process", "start", user),
            "process_name": _blank(r.get("Image" if sysmon else "NewProcessName")),
            "command_line": _blank(r.get("CommandLine")),
            "parent_process": _blank(r.get("ParentImage" if sysmon else "ParentProcessName")),
            "pid": _int(r.get("ProcessId" if sysmon else "NewProcessId"))}


def _file_create(r: Row) -> Row:
    path = _blank(r.get("TargetFilename"))
    return {**_core(r, "file", "create", r.get("data_User")), "path": path,
            "file_ext": _ext(path), "to_removable": None, "from_removable": None,
            "size": None, "content": None}


def _ext(path: str | None) -> str | None:
    if not path or "." not in path.rsplit("\\", 1)[-1]:
        return None
    return path.rsplit(".", 1)[-1].lower()[:10] or None


# every column a builder reads (`r[...]`, `r.get(...)`), plus the input-file number
_READ = frozenset({
    "event_id", "time", "host", "channel", "event_code", "Task", "_file",
    "SubjectUserName", "TargetUserName", "LogonType", "IpAddress", "WorkstationName",
    "ClassName", "DeviceDescription", "FriendlyName", "AccessList", "AccessMask",
    "ObjectName", "data_User", "Image", "NewProcessName", "CommandLine", "ParentImage",
    "ParentProcessName", "ProcessId", "NewProcessId", "TargetFilename"})

Rule = tuple[str, str, tuple[int, ...], Callable[[Row], Row], Callable[[Row], bool] | None]
RULES: tuple[Rule, ...] = (
    ("authentication", SECURITY, (4624, 4625, 4634, 4647, 4648), _auth, None),
    ("peripheral", SECURITY, (6416,), _device, None),
    ("file", SECURITY, (4663,),
     _removable_file, lambda r: str(r.get("Task")) == REMOVABLE_STORAGE_TASK),
    ("process", SECURITY, (4688,), _process, None),
    ("process", SYSMON, (1,), _process, None),
    ("file", SYSMON, (11,), _file_create, None),
)


def normalize(raw: pa.Table) -> dict[str, pa.Table]:
    """Normalized rows per class for the raw Windows events that map to one."""
    return {cls: rows for cls, (rows, _) in normalize_files(raw, None).items()}


def normalize_files(raw: pa.Table, files: pa.Array | None
                    ) -> dict[str, tuple[pa.Table, pa.Array | None]]:
    """Like `normalize`, with each normalized row's input-file number when the raw rows
    carry one (`files`, one per raw row)."""
    out: dict[str, tuple[list[Row], list[int]]] = {}
    if files is not None:
        raw = raw.append_column("_file", files)
    # the builders read a few fields: a batch of many providers has hundreds of columns
    raw = raw.select([c for c in raw.column_names if c in _READ])
    for cls, channel, codes, build, keep in RULES:
        mask = pc.and_(pc.equal(raw["channel"], channel),
                       pc.is_in(raw["event_code"], pa.array(codes, pa.int32())))
        subset = raw.filter(pc.fill_null(mask, False))
        for row in subset.to_pylist():
            if keep is None or keep(row):
                rows, numbers = out.setdefault(cls, ([], []))
                rows.append(build(row))
                numbers.append(row.get("_file", 0))
    return {cls: (pa.Table.from_pylist(rows, schema=class_spec(cls).schema),
                  pa.array(numbers, pa.int32()) if files is not None else None)
            for cls, (rows, numbers) in out.items()}
