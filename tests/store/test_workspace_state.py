"""The facade's state store: where it is, opening it, and PostgreSQL's refusal."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from helpers.state import alert, revisions
from watchkeeper.config import DEFAULT_CONFIG
from watchkeeper.errors import StoreError
from watchkeeper.store.models import Alert
from watchkeeper.workspace import Workspace


def make(path: Path, toml: str = DEFAULT_CONFIG) -> Path:
    path.mkdir()
    (path / "watchkeeper.toml").write_text(toml)
    return path


def test_default_state_is_sqlite_in_the_workspace(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WATCHKEEPER_DATABASE_URL", raising=False)
    ws = Workspace.open(make(tmp_path / "ws"), create=False)
    try:
        with ws.state.session() as s:
            s.add(alert(1))
        with ws.state.session() as s:
            assert s.scalars(select(Alert.source_ref)).all() == ["ref-1"]
        assert ws.state_location.sqlite_path == tmp_path / "ws" / "state.db"
    finally:
        ws.close_state()


def test_option_beats_environment_beats_settings(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    root = make(tmp_path / "ws", DEFAULT_CONFIG.replace(
        "# database_url = ", f"database_url = 'sqlite:///{tmp_path}/toml.db'\n# "))
    monkeypatch.delenv("WATCHKEEPER_DATABASE_URL", raising=False)
    assert Workspace.open(root, create=False).state_location.sqlite_path == \
        tmp_path / "toml.db"
    monkeypatch.setenv("WATCHKEEPER_DATABASE_URL", f"sqlite:///{tmp_path}/env.db")
    assert Workspace.open(root, create=False).state_location.sqlite_path == tmp_path / "env.db"
    ws = Workspace.open(root, create=False, database_url=f"sqlite:///{tmp_path}/cli.db")
    assert ws.state_location.sqlite_path == tmp_path / "cli.db"


@pytest.mark.postgres
def test_postgres_state_refuses_until_upgraded(tmp_path: Path,
                                               pg_schemas: Callable[[], str]) -> None:
    ws = Workspace.open(make(tmp_path / "ws"), create=False, database_url=pg_schemas())
    with pytest.raises(StoreError, match="run `watchkeeper db upgrade` first"):
        _ = ws.state
    assert ws.db_upgrade().applied == revisions()
    try:
        assert ws.state.revision() == revisions()[-1]
    finally:
        ws.close_state()
