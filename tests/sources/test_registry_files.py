"""The files a folder input holds: as `Path.rglob("*")` and `is_file` find them, in order."""

from __future__ import annotations

import os
from pathlib import Path

from watchkeeper.sources.registry import _files


def test_folder_files_as_rglob_finds_them(tmp_path: Path) -> None:
    root = tmp_path / "in"
    for rel in ["a/x.evtx", "a-b/x.evtx", "a/b/c/.hidden", "z.evtx", "A.evtx", "a b/ä.evtx"]:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(b"x")
    outside = tmp_path / "outside"
    (outside / "deep").mkdir(parents=True)
    (outside / "deep" / "f.evtx").write_bytes(b"x")
    os.symlink(outside, root / "linked-folder")  # not followed, as rglob does not
    os.symlink(root / "z.evtx", root / "a" / "link.evtx")  # a link to a file counts
    os.symlink(tmp_path / "missing", root / "broken.evtx")  # a dangling link does not
    expected = sorted(p for p in root.rglob("*") if p.is_file())
    assert _files([root], recurse=True) == expected
    assert Path(root / "a-b/x.evtx") in expected and len(expected) == 7
