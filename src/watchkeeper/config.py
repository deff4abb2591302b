"""Workspace settings: `watchkeeper.toml`, validated by pydantic.

Environment variables ``WATCHKEEPER_<SECTION>__<KEY>`` override the file (for example
``WATCHKEEPER_INGEST__TIMEZONE=America/New_York``).
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from watchkeeper.access.purposes import DEFAULT_PURPOSES, check_codes
from watchkeeper.errors import ConfigError

CONFIG_NAME = "watchkeeper.toml"
ENV_PREFIX = "WATCHKEEPER_"


class IngestSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    timezone: str = Field("UTC", description="Time zone of naive source times (CERT).")
    company_domains: list[str] = Field(
        default_factory=lambda: ["dtaa.com", "corp.example"],
        description="Email domains inside the company; others count as external.")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("company_domains")
    @classmethod
    def _lower(cls, value: list[str]) -> list[str]:
        return [d.strip().lower() for d in value if d.strip()]


class LakeSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    memory_limit: str = Field("1536MB", description="DuckDB memory limit; it spills beyond.")
    threads: int | None = Field(None, ge=1, description="DuckDB threads (default: all cores).")
    compression: Literal["snappy", "zstd", "lz4", "gzip", "uncompressed"] = Field(
        "snappy", description="Parquet compression: snappy writes fastest, zstd is smallest.")

    @field_validator("memory_limit")
    @classmethod
    def _size(cls, value: str) -> str:
        if not re.fullmatch(r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", value.strip()):
            raise ValueError(f"expected a size such as '1536MB', got {value!r}")
        return value.strip()


class StateSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    database_url: str | None = Field(
        None, description="State store URL (default: SQLite state.db in the workspace).")

    @field_validator("database_url")
    @classmethod
    def _database(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        from watchkeeper.store.url import check_url  # SQLAlchemy loads only when set
        return check_url(value.strip())


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(value: object) -> object:
    """Seconds as a number, or text such as ``"90s"``, ``"5m"``, ``"1h"``, ``"1d"``."""
    if isinstance(value, str):
        found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", value)
        if found is None:
            raise ValueError(f"expected a duration such as '30s', '5m', '1h' or '1d', "
                             f"got {value!r}")
        return timedelta(seconds=float(found[1]) * _UNITS[found[2] or "s"])
    if isinstance(value, int | float) and not isinstance(value, bool):
        return timedelta(seconds=value)
    return value


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


class JobSettings(BaseModel):
    """One scheduled job's settings (`[scheduler.jobs.NAME]`); unset: the job's default."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool | None = Field(None, description="Run the job (default: on).")
    every: Duration | None = Field(None, description="Interval between runs.")
    timeout: Duration | None = Field(None, description="Longest run before it fails.")

    @field_validator("every", "timeout")
    @classmethod
    def _positive(cls, value: timedelta | None) -> timedelta | None:
        if value is not None and value <= timedelta(0):
            raise ValueError("must be longer than 0 s")
        return value


class DropFolder(BaseModel):
    """A folder the scheduler takes new files from (`[[scheduler.drop_folders]]`)."""

    model_config = ConfigDict(extra="forbid")

    path: Path = Field(description="The folder (relative: to the workspace).")
    format: Literal["auto", "cert", "ocsf", "mapped", "hr", "evtx"] = Field(
        "auto", description="Source kind, as for `watchkeeper ingest FORMAT`.")
    mapping: Path | None = Field(None, description="Mapping YAML for format 'mapped'.")
    settle: Duration = Field(timedelta(seconds=10),
                             description="A file changed more recently waits (still "
                                         "being written).")

    @model_validator(mode="after")
    def _mapping(self) -> DropFolder:
        if (self.format == "mapped") != (self.mapping is not None):
            raise ValueError("format 'mapped' needs a mapping, and only it takes one")
        return self


class SchedulerSettings(BaseModel):
    """The scheduler `watchkeeper serve` runs (docs/operations.md)."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(True, description="`serve` runs the scheduler.")
    tick: Duration = Field(timedelta(seconds=1), description="How often it looks for due "
                                                             "jobs.")
    lease: Duration = Field(timedelta(seconds=60),
                            description="A job's lease; renewed while it runs.")
    retry_base: Duration = Field(timedelta(seconds=30),
                                 description="First retry delay after a failure.")
    retry_max: Duration = Field(timedelta(minutes=15), description="Longest retry delay.")
    lake_wait: Duration = Field(timedelta(minutes=2),
                                description="How long a job waits for another lake writer.")
    drop_folders: list[DropFolder] = Field(default_factory=list)
    detect_rules: list[Path] = Field(
        default_factory=list, description="Rule files or folders the detect job runs "
                                          "(default: the shipped pack).")
    jobs: dict[str, JobSettings] = Field(default_factory=dict)

    @field_validator("tick", "lease", "retry_base", "retry_max")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("must be longer than 0 s")
        return value


class FeedbackSettings(BaseModel):
    """Analyst feedback (docs/operations.md, "Feedback")."""

    model_config = ConfigDict(extra="forbid")

    false_positive_days: int = Field(
        30, ge=0, le=3650, description="Days after a false-positive alert's day during "
        "which its rule adds no risk to its people (0: that day only).")
    watchlist_days: int = Field(
        90, ge=1, le=3650, description="Default length of an analyst's watchlist entry.")
    allow_days: int = Field(
        90, ge=1, le=3650, description="Default expiry of an accepted allow-list entry.")


class AccessSettings(BaseModel):
    """Access governance (docs/access.md)."""

    model_config = ConfigDict(extra="forbid")

    policies: Path | None = Field(
        None, description="A folder of Cedar policies (*.cedar) to load instead of the "
        "shipped ones (relative: to the workspace).")
    purposes: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_PURPOSES),
        description="Purpose codes a request or decision may state, with what each means.")
    elevated_risk: float = Field(
        0.6, gt=0.0, description="A risk score at or above this, on the person's last "
        "analysed day, makes their risk level elevated.")

    @field_validator("purposes")
    @classmethod
    def _codes(cls, value: dict[str, str]) -> dict[str, str]:
        return check_codes(value)


RETENTION_CLASSES = ("authentication", "peripheral", "file", "email", "web", "datastore",
                     "process", "finding")


class RetentionSettings(BaseModel):
    """How many days of events the lake keeps, per region and event class
    (docs/access.md, "Retention and legal hold"). The most specific setting wins:
    ``regions.<REGION>.<class>``, ``regions.<REGION>.default``, ``classes.<class>``,
    ``default_days``; none (the default) keeps everything. Rows whose region is unknown
    follow the class and default settings. `watchkeeper lake purge --expired` applies it.
    """

    model_config = ConfigDict(extra="forbid")

    default_days: int | None = Field(None, ge=1, le=36500,
                                     description="Days kept when nothing else says.")
    classes: dict[str, int] = Field(default_factory=dict,
                                    description="Days kept per event class.")
    regions: dict[str, dict[str, int]] = Field(
        default_factory=dict, description="Days kept per region (upper case), per event "
        "class or 'default'.")

    @field_validator("classes")
    @classmethod
    def _classes(cls, value: dict[str, int]) -> dict[str, int]:
        return _days_per_class(value, allow_default=False)

    @field_validator("regions")
    @classmethod
    def _regions(cls, value: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
        return {region.upper(): _days_per_class(days, allow_default=True)
                for region, days in value.items()}

    def days(self, region: str | None, cls: str) -> int | None:
        """Days an event of class `cls` recorded in `region` is kept (None: forever)."""
        own = self.regions.get(region.upper(), {}) if region else {}
        for found in (own.get(cls), own.get("default"), self.classes.get(cls)):
            if found is not None:
                return found
        return self.default_days


def _days_per_class(value: dict[str, int], *, allow_default: bool) -> dict[str, int]:
    known = (*RETENTION_CLASSES, "default") if allow_default else RETENTION_CLASSES
    for name, days in value.items():
        if name not in known:
            raise ValueError(f"{name!r} is not an event class ({', '.join(known)})")
        if not 1 <= days <= 36500:
            raise ValueError(f"{name}: {days} days is not within 1 to 36500")
    return dict(value)


class PlaybookSettings(BaseModel):
    """Playbooks as code (docs/operations.md, "Playbooks")."""

    model_config = ConfigDict(extra="forbid")

    paths: list[Path] = Field(
        default_factory=list, description="Playbook files or folders beyond the "
        "workspace's playbooks/ folder (relative: to the workspace).")
    webhook_allow: list[str] = Field(
        default_factory=list, description="URL prefixes webhook steps may call "
        "(scheme, host and port equal, path below); nothing else is called.")
    webhook_timeout: Duration = Field(timedelta(seconds=10),
                                      description="Longest wait for a webhook's answer.")
    retries: int = Field(3, ge=0, le=20, description="Default retries of a failed step.")
    retry_base: Duration = Field(timedelta(seconds=30),
                                 description="Delay before a failed step's first retry; "
                                             "doubled after each further failure.")
    retry_max: Duration = Field(timedelta(minutes=30), description="Longest retry delay.")

    @field_validator("webhook_timeout", "retry_base", "retry_max")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("must be longer than 0 s")
        return value

    @field_validator("webhook_allow")
    @classmethod
    def _urls(cls, value: list[str]) -> list[str]:
        for url in value:
            if not re.fullmatch(r"https?://[^/\s]+(/\S*)?", url):
                raise ValueError(f"{url!r}: expected an http(s) URL prefix such as "
                                 "'https://hooks.example.com/soc/'")
        return value


class UebaSettings(BaseModel):
    """Behaviour analytics (``[ueba]``): the web-category and personal-mail lists (paths
    relative to the workspace), and domains added to the shipped categories."""

    model_config = ConfigDict(extra="forbid")

    categories: Path | None = Field(None, description="Web-category YAML replacing the "
                                    "shipped one (watchkeeper/ueba/categories.yaml).")
    personal_domains: Path | None = Field(None, description="Personal-mail domain list "
                                          "replacing the shipped one, one a line.")
    category_domains: dict[str, list[str]] = Field(
        default_factory=dict, description="More domain suffixes per category, added to the "
        "list's: genai = [\"llm.corp.example\"] counts an in-house assistant.")

    def behaviour(self, root: Path) -> Any:
        """The `UebaConfig` these settings give (a `watchkeeper.ueba.UebaConfig`)."""
        from watchkeeper.ueba.config import UebaConfig
        cfg = UebaConfig(category_domains={k: tuple(v) for k, v in
                                           self.category_domains.items()})
        if self.categories is not None:
            cfg = replace(cfg, categories_path=root / self.categories)
        if self.personal_domains is not None:
            cfg = replace(cfg, personal_domains_path=root / self.personal_domains)
        return cfg


class Settings(BaseModel):
    """Everything configurable in a workspace."""

    model_config = ConfigDict(extra="forbid")

    ingest: IngestSettings = Field(default_factory=IngestSettings)
    lake: LakeSettings = Field(default_factory=LakeSettings)
    state: StateSettings = Field(default_factory=StateSettings)
    scheduler: SchedulerSettings = Field(default_factory=SchedulerSettings)
    feedback: FeedbackSettings = Field(default_factory=FeedbackSettings)
    access: AccessSettings = Field(default_factory=AccessSettings)
    retention: RetentionSettings = Field(default_factory=RetentionSettings)
    playbooks: PlaybookSettings = Field(default_factory=PlaybookSettings)
    ueba: UebaSettings = Field(default_factory=UebaSettings)

    @staticmethod
    def load(path: Path, environ: dict[str, str] | None = None) -> Settings:
        doc: dict[str, Any] = {}
        if path.exists():
            try:
                doc = tomllib.loads(path.read_text("utf-8"))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
        _overlay_env(doc, os.environ if environ is None else environ)
        try:
            return Settings.model_validate(doc)
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"])
            raise ConfigError(f"{path}: setting {where}: {err['msg']}") from exc


def _overlay_env(doc: dict[str, Any], environ: Any) -> None:
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX) or "__" not in name:
            continue
        section, _, key = name[len(ENV_PREFIX):].lower().partition("__")
        parsed: Any = value
        if value.startswith("["):
            parsed = [v.strip().strip("'\"") for v in value.strip("[]").split(",") if v.strip()]
        doc.setdefault(section, {})[key] = parsed


DEFAULT_CONFIG = """\
# Watchkeeper workspace settings. Environment variables WATCHKEEPER_<SECTION>__<KEY>
# override these values.

[ingest]
# Time zone of naive source times (the CERT dataset writes local times without a zone).
timezone = "UTC"
# Email domains inside the company; recipients elsewhere count as external.
company_domains = ["dtaa.com", "corp.example"]

[lake]
# DuckDB memory limit; queries spill to disk beyond it.
memory_limit = "1536MB"
# Parquet compression: snappy writes fastest, zstd makes the smallest files.
compression = "snappy"

[state]
# The state store (alerts, cases, accounts, audit): SQLite state.db in the workspace
# unless a URL is given here, in WATCHKEEPER_DATABASE_URL or by --database-url.
# database_url = "postgresql+psycopg://watchkeeper@db.example:5432/watchkeeper"

[scheduler]
# `watchkeeper serve` runs the scheduler (jobs: `watchkeeper scheduler jobs`).
enabled = true
# Folders to take new files from, and a job's own schedule (docs/operations.md):
# [[scheduler.drop_folders]]
# path = "/srv/watchkeeper/drop/ocsf"
# format = "ocsf"
# [scheduler.jobs.analyze]
# every = "6h"

[feedback]
# A case resolved false_positive stops its alerts' rules adding risk to their people
# from the alert's day for this many days after it (docs/operations.md, "Feedback").
false_positive_days = 30
# Default length of an analyst's watchlist entry, and expiry of an accepted allow-list
# entry, in days.
watchlist_days = 90
allow_days = 90

[playbooks]
# Playbooks run from the workspace's playbooks/ folder (docs/operations.md, "Playbooks").
# Webhook steps call only URLs below these prefixes:
# webhook_allow = ["https://hooks.example.com/soc/"]

[ueba]
# Behaviour analytics' lists (docs/ueba.md): a web-category YAML or personal-mail list
# replacing the shipped one, and domains added to a shipped category.
# categories = "categories.yaml"
# category_domains = { genai = ["llm.corp.example"] }
"""
