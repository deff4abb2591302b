"""Per-workspace keys: created once, private, refused when exposed or damaged."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from watchkeeper.errors import WorkspaceError
from watchkeeper.security import Keys


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_created_private_on_first_use_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        key = Keys(tmp_path).get("audit")
    finally:
        os.umask(old)
    assert len(key) == 32
    assert mode(tmp_path / "keys") == 0o700
    assert mode(tmp_path / "keys" / "audit.key") == 0o600
    assert sorted(p.name for p in (tmp_path / "keys").iterdir()) == ["audit.key"]


def test_stable_across_instances_distinct_by_name_and_workspace(tmp_path: Path) -> None:
    audit = Keys(tmp_path / "a").get("audit")
    assert Keys(tmp_path / "a").get("audit") == audit
    assert Keys(tmp_path / "a").get("pseudonym") != audit
    assert Keys(tmp_path / "b").get("audit") != audit


def test_concurrent_first_use_agrees_on_one_key(tmp_path: Path) -> None:
    seen: list[bytes] = []
    barrier = threading.Barrier(8)

    def take() -> None:
        barrier.wait()
        seen.append(Keys(tmp_path).get("audit"))

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(seen)) == 1 and len(seen) == 8
    assert (tmp_path / "keys" / "audit.key").read_bytes() == seen[0]
    assert [p.name for p in (tmp_path / "keys").iterdir()] == ["audit.key"]


def test_loose_keys_directory_is_tightened(tmp_path: Path) -> None:
    (tmp_path / "keys").mkdir(mode=0o755)
    os.chmod(tmp_path / "keys", 0o755)
    Keys(tmp_path).get("audit")
    assert mode(tmp_path / "keys") == 0o700


def test_key_readable_by_others_is_refused_in_one_line(tmp_path: Path) -> None:
    Keys(tmp_path).get("audit")
    os.chmod(tmp_path / "keys" / "audit.key", 0o644)
    with pytest.raises(WorkspaceError, match=r"audit\.key: readable by group or others") as e:
        Keys(tmp_path).get("audit")
    assert "\n" not in str(e.value)


def test_damaged_key_is_refused(tmp_path: Path) -> None:
    Keys(tmp_path).ensure_directory()
    path = tmp_path / "keys" / "audit.key"
    path.write_bytes(b"short")
    os.chmod(path, 0o600)
    with pytest.raises(WorkspaceError, match=r"audit\.key: holds 5 bytes, a key has 32"):
        Keys(tmp_path).get("audit")


def test_symlinked_key_is_refused(tmp_path: Path) -> None:
    Keys(tmp_path).ensure_directory()
    target = tmp_path / "elsewhere"
    target.write_bytes(b"x" * 32)
    (tmp_path / "keys" / "audit.key").symlink_to(target)
    with pytest.raises(WorkspaceError, match="not a regular file"):
        Keys(tmp_path).get("audit")


def test_bad_name_and_no_secret_in_repr(tmp_path: Path) -> None:
    keys = Keys(tmp_path)
    with pytest.raises(ValueError, match="key name"):
        keys.get("../audit")
    key = keys.get("audit")
    assert key.hex() not in repr(keys) and str(key) not in repr(keys)
