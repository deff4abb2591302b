"""The workspace's key files as backup sees them: ``<workspace>/keys/<name>``, 0600.

The security package owns what the keys mean (pseudonyms, the audit log's HMAC); this
module only copies the files: it reads every regular file in the folder and writes them
back private, each replaced in one rename so a key is never half-written.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from watchkeeper.errors import StoreError
from watchkeeper.private import DIR_MODE, open_private

NAME = re.compile(r"[A-Za-z0-9._-]+")


def read(folder: Path) -> dict[str, Path]:
    """The key files in `folder` by name (none when it does not exist)."""
    if not folder.is_dir():
        return {}
    found = {p.name: p for p in sorted(folder.iterdir())
             if p.is_file() and not p.is_symlink() and NAME.fullmatch(p.name)
             and not p.name.startswith(".")}
    return found


def differing(folder: Path, incoming: dict[str, Path]) -> list[str]:
    """Names of keys present in both `folder` and `incoming` whose bytes differ."""
    mine = read(folder)
    return sorted(n for n, p in incoming.items()
                  if n in mine and mine[n].read_bytes() != p.read_bytes())


def write(folder: Path, incoming: dict[str, Path]) -> tuple[str, ...]:
    """Copy `incoming` into `folder` (created 0700), each file 0600; returns the names."""
    try:
        folder.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"{folder}: cannot create the keys folder: {exc.strerror}") from None
    for name, src in sorted(incoming.items()):
        target = folder / name
        tmp, fd = open_private(target)
        with os.fdopen(fd, "wb") as out:
            out.write(src.read_bytes())
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    return tuple(sorted(incoming))
