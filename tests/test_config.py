"""Settings: defaults, file values, environment overrides and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from watchkeeper.config import DEFAULT_CONFIG, Settings
from watchkeeper.errors import ConfigError, WorkspaceError
from watchkeeper.workspace import Workspace


def test_default_file_round_trips(tmp_path: Path) -> None:
    (tmp_path / "w.toml").write_text(DEFAULT_CONFIG)
    assert Settings.load(tmp_path / "w.toml", environ={}) == Settings()


def test_environment_overrides_file(tmp_path: Path) -> None:
    (tmp_path / "w.toml").write_text('[ingest]\ntimezone = "Europe/Berlin"\n')
    s = Settings.load(tmp_path / "w.toml", environ={
        "WATCHKEEPER_INGEST__TIMEZONE": "Asia/Singapore",
        "WATCHKEEPER_INGEST__COMPANY_DOMAINS": "[Example.COM, corp.example]"})
    assert s.ingest.timezone == "Asia/Singapore"
    assert s.ingest.company_domains == ["example.com", "corp.example"]


@pytest.mark.parametrize(("text", "where"), [
    ("[ingest]\ntimezone = 3\n", "ingest.timezone"),
    ("[lake]\nmemory_limit = 'lots'\n", "lake.memory_limit"),
    ("[ingest]\nflavour = 'x'\n", "ingest.flavour"),
    ("[[[", "not valid TOML"),
])
def test_bad_settings_name_the_setting(tmp_path: Path, text: str, where: str) -> None:
    (tmp_path / "w.toml").write_text(text)
    with pytest.raises(ConfigError, match=where.replace(".", r"\.")):
        Settings.load(tmp_path / "w.toml", environ={})


def test_open_without_create(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="no workspace here"):
        Workspace.open(tmp_path / "nothing", create=False)
    ws = Workspace.open(tmp_path / "new")
    assert (tmp_path / "new" / "watchkeeper.toml").read_text() == DEFAULT_CONFIG
    assert Workspace.open(tmp_path / "new", create=False).settings == ws.settings
