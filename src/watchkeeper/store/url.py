"""Where the state store lives: one URL, chosen by precedence, shown without password.

Precedence: ``--database-url`` > ``WATCHKEEPER_DATABASE_URL`` > ``[state] database_url``
in ``watchkeeper.toml`` > ``sqlite:///<workspace>/state.db``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from watchkeeper.errors import ConfigError

ENV = "WATCHKEEPER_DATABASE_URL"
OPTION = "--database-url"
SETTING = "watchkeeper.toml [state] database_url"
DEFAULT_FILE = "state.db"
DIALECTS = ("sqlite", "postgresql")


@dataclass(frozen=True)
class StoreLocation:
    """A checked database URL and where it was given (for messages)."""

    url: str
    origin: str

    @property
    def dialect(self) -> str:
        return make_url(self.url).get_backend_name()

    @property
    def display(self) -> str:
        """The URL with its password hidden."""
        return redact(self.url)

    @property
    def sqlite_path(self) -> Path | None:
        """The database file of a SQLite store; None for PostgreSQL."""
        parsed = make_url(self.url)
        if parsed.get_backend_name() != "sqlite" or not parsed.database:
            return None
        return Path(parsed.database)


def check_url(value: str) -> str:
    """The URL in the form the store connects with; ValueError names what is wrong.

    ``postgresql://`` becomes ``postgresql+psycopg://`` (psycopg 3 is the one driver
    shipped); SQLite needs a file, since an in-memory store would forget everything.
    """
    try:
        parsed = make_url(value)
    except (ArgumentError, ValueError):
        raise ValueError(f"{_quoted(value)} is not a database URL "
                         "(expected sqlite:///FILE or postgresql+psycopg://…)") from None
    backend = parsed.get_backend_name()
    if backend not in DIALECTS:
        raise ValueError(f"{_quoted(value)}: {backend} is not supported "
                         "(use sqlite or postgresql)")
    if backend == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise ValueError(f"{_quoted(value)}: a SQLite store needs a file path")
        return parsed.set(drivername="sqlite+pysqlite").render_as_string(hide_password=False)
    if parsed.get_driver_name() not in ("psycopg", ""):
        raise ValueError(f"{_quoted(value)}: driver {parsed.get_driver_name()} is not "
                         "installed (use postgresql+psycopg://)")
    return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def resolve(root: Path, *, option: str | None = None, configured: str | None = None,
            environ: Mapping[str, str] | None = None) -> StoreLocation:
    """The store's location by precedence; a bad URL is a ConfigError naming its origin."""
    env = environ if environ is not None else {}
    for origin, value in ((OPTION, option), (ENV, env.get(ENV)), (SETTING, configured)):
        if value and value.strip():
            try:
                return StoreLocation(check_url(value.strip()), origin)
            except ValueError as exc:
                raise ConfigError(f"{origin}: {exc}") from None
    path = (root / DEFAULT_FILE).absolute()
    return StoreLocation(URL.create("sqlite+pysqlite", database=str(path))
                         .render_as_string(hide_password=False), "default")


def redact(url: str | URL) -> str:
    """The URL with any password replaced by ``***`` (SQLite: ``sqlite:///FILE``)."""
    try:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            parsed = parsed.set(drivername="sqlite")
        return parsed.render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return "<not a database URL>"


def _quoted(value: str) -> str:
    return repr(redact(value)) if "://" in value else repr(value)
