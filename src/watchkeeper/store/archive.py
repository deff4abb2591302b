"""The backup file: a gzipped tar holding ``manifest.json`` first, then its members.

The manifest lists every member with its SHA-256, so a damaged or edited backup is found
before anything is restored. Only the names a backup writes are read back (no paths from
the archive are ever used as given), so an archive cannot write outside the restore's
temporary folder.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from watchkeeper.errors import OutputError, StoreError
from watchkeeper.private import open_private

FORMAT = "watchkeeper-backup"
VERSION = 1
MANIFEST = "manifest.json"
MEMBER = re.compile(r"(state\.sqlite|tables/[a-z0-9_]+\.jsonl|keys/[A-Za-z0-9._-]+)")


@dataclass(frozen=True)
class Manifest:
    """What a backup holds: the store's dialect and schema revision, rows per table,
    and each member's checksum."""

    created_at: str
    watchkeeper: str
    database: str
    dialect: str
    revision: str | None
    tables: dict[str, int]
    members: dict[str, str] = field(default_factory=dict)

    def keys(self) -> tuple[str, ...]:
        return tuple(sorted(n.removeprefix("keys/") for n in self.members
                            if n.startswith("keys/")))


def write(path: Path, manifest: Manifest, files: dict[str, Path]) -> int:
    """Write the archive to `path` (0600, replaced in one rename); returns its size."""
    members = {name: _sha256(src) for name, src in files.items()}
    doc = {"format": FORMAT, "version": VERSION, **manifest.__dict__, "members": members}
    tmp, fd = open_private(path)
    try:
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            _add_bytes(tar, MANIFEST, json.dumps(doc, indent=2).encode())
            for name, src in files.items():
                tar.add(src, arcname=name, recursive=False, filter=_anonymous)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputError(path, exc.strerror or str(exc)) from None
    return path.stat().st_size


def read(path: Path, into: Path) -> tuple[Manifest, dict[str, Path]]:
    """Check the archive at `path` and extract its members under `into`."""
    try:
        with tarfile.open(path, mode="r:*") as tar:
            manifest = _manifest(path, tar)
            return manifest, {n: _extract(path, tar, n, h, into)
                              for n, h in manifest.members.items()}
    except FileNotFoundError:
        raise StoreError(f"{path}: no such file") from None
    except (tarfile.TarError, EOFError, OSError, UnicodeDecodeError) as exc:
        reason = " ".join(str(exc).split(":")[0].split()) or type(exc).__name__
        raise StoreError(f"{path}: not a readable backup ({reason})") from None


def _manifest(path: Path, tar: tarfile.TarFile) -> Manifest:
    doc = _json(path, tar)
    if doc.get("format") != FORMAT:
        raise StoreError(f"{path}: not a Watchkeeper backup (no {FORMAT} manifest)")
    if doc.get("version") != VERSION:
        raise StoreError(f"{path}: backup format version {doc.get('version')} is not "
                         f"supported (this Watchkeeper reads version {VERSION})")
    try:
        fields = {k: doc[k] for k in Manifest.__dataclass_fields__}
        manifest = Manifest(**fields)
    except (KeyError, TypeError) as exc:
        raise StoreError(f"{path}: damaged backup: manifest lacks {exc}") from None
    bad = [n for n in manifest.members if not MEMBER.fullmatch(n)]
    if bad:
        raise StoreError(f"{path}: damaged backup: unexpected member {bad[0]!r}")
    return manifest


def _json(path: Path, tar: tarfile.TarFile) -> dict[str, Any]:
    try:
        member = tar.extractfile(MANIFEST)
    except KeyError:
        member = None
    if member is None:
        raise StoreError(f"{path}: not a Watchkeeper backup (no {MANIFEST})")
    try:
        doc = json.loads(member.read())
    except ValueError:
        raise StoreError(f"{path}: damaged backup: {MANIFEST} is not JSON") from None
    if not isinstance(doc, dict):
        raise StoreError(f"{path}: damaged backup: {MANIFEST} is not an object")
    return doc


def _extract(path: Path, tar: tarfile.TarFile, name: str, digest: str, into: Path) -> Path:
    try:
        member = tar.extractfile(name)
    except KeyError:
        member = None
    if member is None:
        raise StoreError(f"{path}: damaged backup: {name} is missing")
    target = into / name
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as out:
        while chunk := member.read(1 << 20):
            out.write(chunk)
    if _sha256(target) != digest:
        raise StoreError(f"{path}: damaged backup: {name} does not match its checksum")
    return target


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    tar.addfile(_anonymous(info), io.BytesIO(data))


def _anonymous(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mode = 0o600
    return info


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
