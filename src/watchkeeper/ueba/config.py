"""UEBA settings: time zones, working hours, windows, warm-up, category and domain lists."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

PACKAGE_DIR = Path(__file__).parent
DEFAULT_CATEGORIES = PACKAGE_DIR / "categories.yaml"
DEFAULT_PERSONAL_DOMAINS = PACKAGE_DIR / "personal_domains.txt"

DEFAULT_TIMEZONES: dict[str, str] = {
    "US": "America/New_York",
    "EU": "Europe/Berlin",
    "APAC": "Asia/Singapore",
}


@dataclass(frozen=True)
class UebaConfig:
    """How features, baselines and detectors are computed. All fields have sane defaults.

    Working hours are minutes after local midnight, ``[start, end)``.
    """

    timezones: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_TIMEZONES))
    work_start_minute: int = 8 * 60
    work_end_minute: int = 18 * 60
    learn_hours_days: int = 20          # first N active weekdays learn a person's own hours
    learn_hours_slack_minutes: int = 60
    window_days: int = 28               # self-baseline window before the day's step
    baseline_step_days: int = 7         # self baselines refresh weekly (Monday-aligned)
    warmup_active_days: int = 10        # fewer active days in the window: peers only
    min_peers: int = 5                  # smaller peer groups fall back a level
    first_time_min_history_days: int = 14  # first-time flags need this much earlier history
    categories_path: Path = DEFAULT_CATEGORIES
    category_domains: dict[str, tuple[str, ...]] = field(default_factory=dict)  # added
    personal_domains_path: Path = DEFAULT_PERSONAL_DOMAINS
    company_domains: tuple[str, ...] = ("dtaa.com", "corp.example")
    z_clip: float = 20.0
    z_floor: float = 0.5                # minimum scale on the log1p feature scale
    top_k: int = 5                      # features kept per explanation
    model_block_days: int = 28          # model detector: fit on the past, score a block
    model_history_days: int = 56        # ... using this many earlier days
    week_gap_days: int = 21             # week baseline: 7-day sums this many days back
    week_history_days: int = 84         # ... to this many days back, weekly
    week_warmup: int = 4                # fewer earlier weeks: peers only
    week_min_weight: float = 0.5        # week deviations only for features this relevant
    feature_weights: dict[str, float] = field(default_factory=dict)  # over `weights.RELEVANT`
    default_weight: float = 0.25        # weight of features not listed as relevant
    score_top_k: int = 3                # most deviating families summed per row
    score_z_cap: float = 8.0            # one feature adds at most this much
    robust_scale: float = 10.0          # robust = 1 - exp(-sum / scale)
    surprise_floor: float = 2.0         # −log10 tail probability that counts as nothing
    score_scale: float = 5.0            # score = 1 - exp(-(day + week surprise) / scale)
    change_recent_days: int = 14        # change features: recent window (incl. the day)
    change_trailing_days: int = 90      # ... against this many days before it
    change_min_active_days: int = 20    # ... with at least this many active days there
    seed: int = 7


def read_personal_domains(path: Path) -> tuple[str, ...]:
    """The personal-mail domain list: one domain a line, ``#`` comments."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return tuple(sorted({ln.strip().lower() for ln in lines
                         if ln.strip() and not ln.lstrip().startswith("#")}))
