"""Which database: --database-url > WATCHKEEPER_DATABASE_URL > watchkeeper.toml >
state.db in the workspace; bad URLs are one line naming where they came from."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from watchkeeper.config import Settings
from watchkeeper.errors import ConfigError
from watchkeeper.store.url import ENV, check_url, redact, resolve

PG = "postgresql+psycopg://wk:secret@db.example:5432/wk"


def test_precedence(tmp_path: Path) -> None:
    env = {ENV: "postgresql://env@h/db"}
    assert resolve(tmp_path, option=PG, environ=env, configured="sqlite:///x.db").url == PG
    chosen = resolve(tmp_path, environ=env, configured="sqlite:///x.db")
    assert (chosen.url, chosen.origin) == ("postgresql+psycopg://env@h/db", ENV)
    assert resolve(tmp_path, environ={}, configured="sqlite:///x.db").url == \
        "sqlite+pysqlite:///x.db"
    default = resolve(tmp_path, environ={})
    assert (default.sqlite_path, default.origin) == (tmp_path / "state.db", "default")


def test_settings_read_the_state_section(tmp_path: Path) -> None:
    (tmp_path / "w.toml").write_text(f'[state]\ndatabase_url = "{PG}"\n')
    assert Settings.load(tmp_path / "w.toml", environ={}).state.database_url == PG
    (tmp_path / "w.toml").write_text('[state]\ndatabase_url = "oracle://x"\n')
    with pytest.raises(ConfigError, match=r"setting state\.database_url: .*oracle is not"):
        Settings.load(tmp_path / "w.toml", environ={})


@pytest.mark.parametrize(("url", "problem"), [
    ("nonsense", "is not a database URL"),
    ("mysql://u@h/db", "mysql is not supported"),
    ("sqlite://", "needs a file path"),
    ("sqlite:///:memory:", "needs a file path"),
    ("postgresql+psycopg2://u@h/db", "driver psycopg2 is not installed"),
])
def test_bad_urls_name_the_option(tmp_path: Path, url: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=f"^--database-url: .*{problem}"):
        resolve(tmp_path, option=url, environ={})


def test_passwords_never_show() -> None:
    assert "secret" not in redact(PG)
    with pytest.raises(ConfigError) as caught:
        resolve(Path("."), option="mysql://u:secret@h/db", environ={})
    assert "secret" not in str(caught.value)


@given(st.text(max_size=80))
def test_check_url_accepts_its_own_output_or_says_why(value: str) -> None:
    try:
        url = check_url(value)
    except ValueError as exc:
        assert str(exc) and "\n" not in str(exc)
    else:
        assert check_url(url) == url
