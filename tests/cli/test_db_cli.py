"""`watchkeeper db upgrade|status`, `backup FILE`, `restore FILE` as a person runs them."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from helpers.state import alert, revisions
from watchkeeper.config import DEFAULT_CONFIG
from watchkeeper.store import StateStore, StoreLocation


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items()
            if k not in ("WATCHKEEPER_HOME", "WATCHKEEPER_DATABASE_URL")}
    full.update(env or {})
    return subprocess.run([sys.executable, "-m", "watchkeeper", *args], capture_output=True,
                          text=True, env=full, timeout=120)


def workspace(path: Path, alerts: int = 0) -> Path:
    path.mkdir(mode=0o700)
    (path / "watchkeeper.toml").write_text(DEFAULT_CONFIG)
    if alerts:
        store = StateStore.open(StoreLocation(f"sqlite:///{path / 'state.db'}", "test"))
        with store.session() as s:
            s.add_all(alert(i) for i in range(alerts))
        store.close()
    return path


def one_error(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 1, done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    return lines[0]


def test_status_then_upgrade(tmp_path: Path) -> None:
    ws = str(workspace(tmp_path / "ws"))
    st = json.loads(cli("-w", ws, "db", "status", "--json").stdout)
    assert (st["revision"], st["pending"], st["origin"]) == (None, [*revisions()], "default")
    first = json.loads(cli("-w", ws, "db", "upgrade", "--json").stdout)
    assert (first["before"], first["applied"]) == (None, [*revisions()])
    again = cli("-w", ws, "db", "upgrade")
    assert again.returncode == 0 and "nothing to do" in again.stdout


def test_backup_and_restore(tmp_path: Path) -> None:
    src = workspace(tmp_path / "src", alerts=3)
    (src / "keys").mkdir(mode=0o700)
    (src / "keys" / "audit.key").write_bytes(b"k")
    made = cli("-w", str(src), "backup", str(tmp_path / "b.tgz"), "--json")
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["tables"]["alerts"] == 3
    assert stat.S_IMODE((tmp_path / "b.tgz").stat().st_mode) == 0o600
    dst = workspace(tmp_path / "dst")
    done = json.loads(cli("-w", str(dst), "restore", str(tmp_path / "b.tgz"), "--json").stdout)
    assert done["tables"]["alerts"] == 3 and done["keys"] == ["audit.key"]
    assert (dst / "keys" / "audit.key").read_bytes() == b"k"
    refused = one_error(cli("-w", str(dst), "restore", str(tmp_path / "b.tgz")))
    assert "holds 12 rows; pass --force" in refused
    forced = cli("-w", str(dst), "restore", str(tmp_path / "b.tgz"), "--force")
    assert forced.returncode == 0 and "replaced 12 rows" in forced.stdout


def test_restore_of_something_else_is_one_line(tmp_path: Path) -> None:
    ws = workspace(tmp_path / "ws", alerts=1)
    (tmp_path / "x.tgz").write_text("[not] a backup")
    line = one_error(cli("-w", str(ws), "restore", str(tmp_path / "x.tgz")))
    assert f"{tmp_path / 'x.tgz'}: not a readable backup" in line


def test_database_url_before_or_after_the_command_and_from_the_environment(
        tmp_path: Path) -> None:
    ws = str(workspace(tmp_path / "ws"))
    other = f"sqlite:///{tmp_path / 'other.db'}"
    for args in (("--database-url", other, "db", "status", "--json"),
                 ("db", "status", "--json", "--database-url", other)):
        st = json.loads(cli("-w", ws, *args).stdout)
        assert (st["database"], st["origin"]) == (other, "--database-url")
    st = json.loads(cli("-w", ws, "db", "status", "--json",
                        env={"WATCHKEEPER_DATABASE_URL": other}).stdout)
    assert st["origin"] == "WATCHKEEPER_DATABASE_URL"


def test_bad_and_unreachable_databases_are_one_line(tmp_path: Path) -> None:
    ws = str(workspace(tmp_path / "ws"))
    line = one_error(cli("-w", ws, "--database-url", "mysql://u@h/db", "db", "status"))
    assert line == "error: --database-url: 'mysql://u@h/db': mysql is not supported " \
                   "(use sqlite or postgresql)"
    line = one_error(cli("-w", ws, "--database-url", "postgresql://u:pw@127.0.0.1:1/x",
                         "db", "upgrade"))
    assert "127.0.0.1:1/x" in line and ":pw@" not in line


@pytest.mark.postgres
def test_postgres_upgrade_backup_restore(tmp_path: Path,
                                         pg_schemas: Callable[[], str]) -> None:
    src = workspace(tmp_path / "src", alerts=4)
    assert cli("-w", str(src), "backup", str(tmp_path / "b.tgz")).returncode == 0
    url = pg_schemas()
    ws = str(workspace(tmp_path / "ws"))
    st = json.loads(cli("-w", ws, "--database-url", url, "db", "status", "--json").stdout)
    assert st["dialect"] == "postgresql" and st["pending"] == [*revisions()]
    done = cli("-w", ws, "--database-url", url, "restore", str(tmp_path / "b.tgz"), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["tables"]["alerts"] == 4
    st = json.loads(cli("-w", ws, "--database-url", url, "db", "status", "--json").stdout)
    assert (st["pending"], st["rows"]) == ([], 16)


def test_rollups_show_a_drift_and_rebuild_mends_it(tmp_path: Path) -> None:
    ws = str(workspace(tmp_path / "ws", alerts=3))   # written past the intake
    before = cli("-w", ws, "db", "rollups")
    assert before.returncode == 0 and "db rollups --rebuild" in before.stdout
    done = json.loads(cli("-w", ws, "db", "rollups", "--rebuild", "--json").stdout)
    assert done == {"rows": 3, "alerts": 3, "stored": 3, "rebuilt": True}
    after = cli("-w", ws, "db", "rollups")
    assert "3 alert(s); 3 stored" in after.stdout and "differ" not in after.stdout
