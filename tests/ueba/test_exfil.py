"""Generative-AI category and features, cumulative exfiltration windows (hand-computed)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest

from ueba.lakes import ev, make_lake, person, row_of
from watchkeeper.errors import ConfigError
from watchkeeper.ueba import build_features
from watchkeeper.ueba.categories import load_categories
from watchkeeper.ueba.config import DEFAULT_CATEGORIES, UebaConfig
from watchkeeper.ueba.exfil import PASTE_CHARS, add_windows, describe, predicate
from watchkeeper.ueba.explain import DayBounds


@pytest.mark.parametrize(("domain", "category"), [
    ("chatgpt.com", "genai"), ("chat.openai.com", "genai"), ("claude.ai", "genai"),
    ("gemini.google.com", "genai"),       # longer suffix than google.com (search)
    ("www.perplexity.ai", "genai"), ("CoPilot.Microsoft.com.", "genai"),
    ("google.com", "search"), ("docs.google.com", "cloud"),
    ("openai.com", None), ("notclaude.ai", None),   # a suffix matches at a dot only
])
def test_genai_domains_in_the_shipped_categories(domain: str, category: str | None) -> None:
    assert load_categories(DEFAULT_CATEGORIES).classify_domain(domain) == category


def test_extra_category_domains_are_added_and_checked() -> None:
    cats = load_categories(DEFAULT_CATEGORIES, {"genai": ("LLM.corp.example",)})
    assert cats.classify_domain("chat.llm.corp.example") == "genai"
    assert cats.classify_domain("chatgpt.com") == "genai"      # the shipped list is kept
    with pytest.raises(ConfigError, match="'genia' is not a category"):
        load_categories(DEFAULT_CATEGORIES, {"genia": ("x.example",)})


def test_toml_category_domains_reach_the_features(tmp_path: Path) -> None:
    from watchkeeper.config import UebaSettings
    cfg = UebaSettings(category_domains={"genai": ["llm.corp.example"]}).behaviour(tmp_path)
    t = datetime(2025, 1, 6, 14)
    lake = make_lake(tmp_path / "lake", [
        ev("web", "u", t, "upload", domain="llm.corp.example", url="http://llm.corp.example/",
           content="x" * 10)], [person("u", "US")])
    row = row_of(build_features(lake, cfg).table, "u", date(2025, 1, 6))
    assert (row["web_genai"], row["web_genai_uploads"]) == (1, 1)
    plain = row_of(build_features(lake, UebaConfig()).table, "u", date(2025, 1, 6))
    assert (plain["web_genai"], plain["web_genai_uploads"]) == (0, 0)


def test_genai_uploads_pastes_and_characters(tmp_path: Path) -> None:
    t = datetime(2025, 1, 6, 14)
    events = [
        ev("web", "u", t, "visit", domain="chatgpt.com", url="http://chatgpt.com/c"),
        ev("web", "u", t, "upload", domain="chatgpt.com", url="http://chatgpt.com/c",
           content="summarize this meeting"),                          # 22 characters
        ev("web", "u", t, "upload", domain="claude.ai", url="http://claude.ai/new",
           content="r" * PASTE_CHARS),                                 # a paste, exactly
        ev("web", "u", t, "upload", domain="claude.ai", url="http://claude.ai/new",
           content="r" * (PASTE_CHARS - 1)),                           # one short of it
        ev("web", "u", t, "upload", domain="dropbox.com", url="http://dropbox.com/u",
           content="y" * 5000),                                        # cloud, not genai
    ]
    lake = make_lake(tmp_path, events, [person("u", "US")])
    row = row_of(build_features(lake).table, "u", date(2025, 1, 6))
    assert (row["web_genai"], row["web_genai_uploads"], row["web_genai_pastes"]) == (4, 3, 1)
    assert row["web_genai_post_kchars"] == pytest.approx((22 + 2 * PASTE_CHARS - 1) / 1e3)
    # the day's moves: one cloud upload and one paste
    assert (row["exfil_moves"], row["exfil_channels_30d"]) == (2, 2)


def test_cumulative_windows_sum_every_channel_over_calendar_days(tmp_path: Path) -> None:
    """Small moves over 5 weeks on every channel; sums checked by hand."""
    d0 = datetime(2025, 1, 6, 14)                 # a Monday, US office hours
    def at(k: int) -> datetime:
        return d0 + timedelta(days=k)
    events = [
        ev("file", "u", at(0), "copy", path="a.doc", to_removable=True),
        ev("file", "u", at(0), "copy", path="b.doc", to_removable=True),      # day 0: 2
        ev("email", "u", at(3), "send", recipients=["me@gmail.com"], attachment_count=3,
           recipient_count=1),                                                  # day 3: 3
        ev("web", "u", at(9), "upload", domain="dropbox.com", url="http://dropbox.com/u"),
        ev("web", "u", at(9), "visit", domain="claude.ai", url="http://claude.ai/"),  # 9: 1
        ev("web", "u", at(20), "upload", domain="claude.ai", url="http://claude.ai/",
           content="id name email\n" * 100),                                  # day 20: 1
        ev("datastore", "u", at(31), "export", dataset="p", record_count=10),  # day 31: 1
        ev("datastore", "u", at(36), "read", dataset="p", record_count=10),    # day 36: 0
        ev("file", "u", at(36), "print", path="c.doc"),
        ev("file", "u", at(36), "print", path="d.doc"),                       # day 36: 2
    ]
    lake = make_lake(tmp_path, events, [person("u", "US")])
    table = build_features(lake).table
    want = {  # day: (moves, 7-day sum, 30-day sum, channels in the 30 days)
        0: (2, 2, 2, 1), 3: (3, 5, 5, 2),
        9: (1, 4, 6, 3),      # the week (days 3..9) keeps day 3's mail
        20: (1, 1, 7, 4),
        31: (1, 1, 6, 4),     # days 2..31: mail, cloud, paste, export; day 0 has left
        36: (2, 3, 5, 4),     # days 7..36: cloud, paste, export, two print jobs
    }
    for k, (moves, week, month, channels) in want.items():
        row = row_of(table, "u", date(2025, 1, 6) + timedelta(days=k))
        got = (row["exfil_moves"], row["exfil_moves_7d"], row["exfil_moves_30d"],
               row["exfil_channels_30d"])
        assert got == (moves, week, month, channels), k


def test_add_windows_is_per_person_and_recomputes() -> None:
    days = [date(2025, 1, 1), date(2025, 1, 5), date(2025, 1, 1), date(2025, 1, 8)]
    t = pa.table({"user": ["a", "a", "b", "b"], "day": pa.array(days, pa.date32()),
                  "file_to_removable": [1.0, 2.0, 4.0, 8.0], "ds_exports": [0.0, 1.0, 0, 0],
                  "exfil_moves": [99.0] * 4, "exfil_moves_7d": [99.0] * 4,
                  "exfil_moves_30d": [99.0] * 4, "exfil_channels_30d": [99.0] * 4})
    out = add_windows(t).to_pydict()
    assert out["exfil_moves"] == [1, 3, 4, 8]
    assert out["exfil_moves_7d"] == [1, 4, 4, 8]     # b: Jan 1 is 8 days before Jan 8
    assert out["exfil_moves_30d"] == [1, 4, 4, 12]
    assert out["exfil_channels_30d"] == [1, 2, 1, 1]


def test_explanation_words_and_evidence() -> None:
    text = describe("exfil_moves_30d", 37.0, 4.0, 3.0)
    assert text == ("37 moves of data out in the 30 days to the day (USB files, attachments "
                    "mailed home, cloud uploads, AI pastes, exports, print jobs) (usually 4; "
                    "peers 3)")
    assert describe("web_genai_pastes", 3.0, 0.0, None) == (
        "3 pastes of 1,000+ characters into a generative-AI site on the day "
        "(usually 0; peers ?)")
    assert describe("web_visits", 3.0, 1.0, 1.0) is None
    pred = predicate("exfil_moves_7d")
    assert pred is not None and "(print jobs))" in pred and pred.startswith("((files")
    assert predicate("file_print") == "activity = 'print'"
    assert describe("web_genai_pastes", 1.0, 0.0, 0.0) == (
        "1 paste of 1,000+ characters into a generative-AI site on the day "
        "(usually 0; peers 0)")
    assert predicate("web_genai_pastes") == ("activity = 'upload' AND category = 'genai' "
                                             f"AND length(content) >= {PASTE_CHARS}")
    bounds = DayBounds(UebaConfig(), date(2025, 1, 1), date(2025, 3, 1))
    assert bounds.span("US", date(2025, 2, 1), 30) == (
        "time >= TIMESTAMP '2025-01-03 05:00:00+00' AND "
        "time < TIMESTAMP '2025-02-02 05:00:00+00'")


def test_risk_explain_prints_the_sentence() -> None:
    from watchkeeper.cli.explain import _deviation
    from watchkeeper.risk.explain import Deviation
    words = describe("exfil_channels_30d", 4.0, 1.0, 1.0)
    assert words == ("4 of 6 exfiltration channels used in the 30 days to the day "
                     "(usually 1; peers 1)")
    line = _deviation(Deviation("exfil_channels_30d", 4.0, 1.0, 1.0, 3.2, "exfil", words))
    assert line == f"exfil_channels_30d: {words}"
    plain = _deviation(Deviation("web_visits", 40.0, 20.0, 21.0, 1.2, "web"))
    assert plain == "web_visits 40 (usual 20, peers 21)"
