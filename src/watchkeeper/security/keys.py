"""Per-workspace secrets, kept outside the state database.

``<workspace>/keys/<name>.key`` holds 32 random bytes, created on first use: the
directory 0700, the file 0600, whatever the process umask. A database dump or a copy of
``state.db`` therefore carries neither the audit chain's key nor the pseudonym key, so
whoever holds only the database can neither re-hash the audit chain nor reverse a
pseudonym by hashing candidate ids.

Creation is race-free: the bytes go to a private temporary file which is then hard-linked
onto the final name; `os.link` fails when another process won, and both then read the
winner's key. A key file that is not a regular file, not 32 bytes, or readable by group
or others is refused in one line (a key that others could read may have leaked: rotate
it).

Key bytes are never logged or printed: `Keys` has no method that returns them as text,
and its repr names the directory only.

Rotation (not built): write the new key as ``<name>.key`` after moving the old one to
``<name>.<n>.key``. For the pseudonym key every pseudonym changes, so exports made before
the rotation are revealed with the old key (the reveal flow tries the retired keys). For
the audit key the chain is continued, not re-hashed: the last entry under the old key is a
``key.rotated`` entry naming the new key's number, and `verify` checks each span with the
key in force for it.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat
from pathlib import Path

from watchkeeper.errors import WorkspaceError

KEY_BYTES = 32
KEYS_DIR = "keys"
_NAME = re.compile(r"[a-z][a-z0-9_-]{0,31}")


class Keys:
    """The secrets of one workspace: ``Keys(root).get("audit")``."""

    def __init__(self, root: Path | str) -> None:
        self.directory = Path(root) / KEYS_DIR
        self._cache: dict[str, bytes] = {}

    def __repr__(self) -> str:
        return f"Keys({str(self.directory)!r})"

    def path(self, name: str) -> Path:
        """Where the key `name` lives (``keys/<name>.key``)."""
        if not _NAME.fullmatch(name):
            raise ValueError(f"key name {name!r}: use lowercase letters, digits, - and _")
        return self.directory / f"{name}.key"

    def get(self, name: str) -> bytes:
        """The key `name`, created (32 random bytes, 0600) the first time it is asked for."""
        cached = self._cache.get(name)
        if cached is not None:
            return cached
        path = self.path(name)
        self.ensure_directory()
        if not path.exists() and not path.is_symlink():
            _create(path)
        key = _read(path)
        self._cache[name] = key
        return key

    def ensure_directory(self) -> Path:
        """The keys directory, created 0700 (and tightened to 0700 if it was looser)."""
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            mode = self.directory.lstat().st_mode
            if not stat.S_ISDIR(mode):
                raise WorkspaceError(f"{self.directory}: not a directory")
            if stat.S_IMODE(mode) != 0o700:
                os.chmod(self.directory, 0o700)
        except OSError as exc:
            raise WorkspaceError(f"{self.directory}: {exc.strerror or exc}") from None
        return self.directory


def _create(path: Path) -> None:
    """Write a new key under a temporary name, then link it onto `path` unless another
    process linked its own first (then that one is the key)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, secrets.token_bytes(KEY_BYTES))
            os.fsync(fd)
        finally:
            os.close(fd)
        with contextlib.suppress(FileExistsError):  # another process made it first
            os.link(tmp, path)
        _fsync_directory(path.parent)
    except OSError as exc:
        raise WorkspaceError(f"{path}: cannot create key: {exc.strerror or exc}") from None
    finally:
        tmp.unlink(missing_ok=True)


def _read(path: Path) -> bytes:
    try:
        st = path.lstat()
        if not stat.S_ISREG(st.st_mode):
            raise WorkspaceError(f"{path}: not a regular file; a key must be one")
        if stat.S_IMODE(st.st_mode) & 0o077:
            raise WorkspaceError(
                f"{path}: readable by group or others; chmod 600 it and rotate the key")
        key = path.read_bytes()
    except OSError as exc:
        raise WorkspaceError(f"{path}: cannot read key: {exc.strerror or exc}") from None
    if len(key) != KEY_BYTES:
        raise WorkspaceError(f"{path}: holds {len(key)} bytes, a key has {KEY_BYTES}")
    return key


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
