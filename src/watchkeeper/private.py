"""Workspace files are private: readable and writable by their owner only.

A workspace holds names, email addresses, mail recipients and psychometric scores, so
everything under it is created 0600 (files) and 0700 (directories), as are the files the
CLI writes on request (``risk history --csv``, ``quarantine export``).

Most of those files are not created by our code but by DuckDB (spill files, Parquet),
pyarrow (Parquet, Arrow IPC) and SQLite, which create them with the process umask. So the
reliable way is the umask itself: `restrict_umask` adds 0o077 to it when a workspace is
opened. That is process-wide on purpose; a program embedding Watchkeeper keeps whatever
stricter bits its own umask had.

A workspace made before this rule (or copied with looser modes) is tightened when opened:
when its root is reachable by group or others, every file and directory under it loses
its group and other bits. Once the root is 0700 nothing under it can be reached by anyone
else, so later opens check only the root.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from watchkeeper.errors import OutputError

PRIVATE_UMASK = 0o077
FILE_MODE = 0o600
DIR_MODE = 0o700


def restrict_umask() -> int:
    """Add group and other bits to the process umask; returns the previous umask."""
    previous = os.umask(PRIVATE_UMASK)
    os.umask(previous | PRIVATE_UMASK)
    return previous


def is_private(mode: int) -> bool:
    return stat.S_IMODE(mode) & 0o077 == 0


def tighten(root: Path) -> list[Path]:
    """Remove group and other permissions under `root` (itself included) when the root
    has any; returns the paths changed. Symbolic links are left alone (not followed)."""
    if not root.is_dir() or is_private(root.stat().st_mode):
        return []
    changed = [root] if _tighten_one(root) else []
    for folder, dirs, files in os.walk(root):
        for name in (*dirs, *files):
            path = Path(folder) / name
            if _tighten_one(path):
                changed.append(path)
    return changed


def _tighten_one(path: Path) -> bool:
    mode = path.lstat().st_mode
    if stat.S_ISLNK(mode) or is_private(mode):
        return False
    os.chmod(path, stat.S_IMODE(mode) & 0o700)
    return True


def open_private(path: Path) -> tuple[Path, int]:
    """A new temporary file next to `path`, created 0600 whatever the umask; write it,
    then `os.replace` it onto `path` (readers never see half a file)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    except OSError as exc:
        raise OutputError(path, exc.strerror or type(exc).__name__) from None
    os.fchmod(fd, FILE_MODE)  # an older file of that name kept its mode through O_TRUNC
    return tmp, fd
