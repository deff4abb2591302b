"""Exfiltration channels: generative-AI uploads and pastes, and cumulative exfiltration.

Data leaves a company over several channels, and a careful insider moves a little at a
time over many of them. Each person-day counts its *moves* per channel (`CHANNELS`):

- ``usb``: files written to removable media (`file_to_removable`);
- ``personal_mail``: attachments of mail to a personal address
  (`email_personal_attachments`);
- ``cloud``: uploads to personal cloud storage (`web_cloud_uploads`);
- ``genai``: pastes into a generative-AI site or app (`web_genai_pastes`: uploads whose
  post holds at least `PASTE_CHARS` characters);
- ``export``: data-store exports (`ds_exports`);
- ``print``: print jobs where logged (`file_print`: file events with
  ``activity = 'print'``; no shipped source logs printing, a mapping can).

`exfil_moves` is the day's sum; `exfil_moves_7d` and `exfil_moves_30d` sum it over the 7
and 30 calendar days to the day, `exfil_channels_30d` counts the channels used in those
30 days. They are ordinary feature columns: the baselines score them against the
person's own earlier values and the same day's peers (robust z of log1p, learned from the
workspace's data, docs/ueba.md), the week baseline compares their 7-day totals with the
person's weeks 3-12 weeks back, so many small moves add up to a deviation no single day
shows.
"""

from __future__ import annotations

import ibis
import numpy as np
import pyarrow as pa
from ibis.expr.types import BooleanValue, IntegerValue, NumericValue, Table

from watchkeeper.ueba.baselines import day_numbers
from watchkeeper.ueba.categories import Categories
from watchkeeper.ueba.grid import make_grid, trailing_sum

GENAI = "genai"
EXFIL_CLASS = "file, email, web, datastore"
"""Where the events of the cumulative columns are (their evidence names every class)."""
PASTE_CHARS = 1000
"""A post to a generative-AI site this long is a paste, not a typed prompt. Typed prompts
are a sentence or a paragraph (a few hundred characters at most); 1,000 characters is
about 150 words, a page-third of pasted text or a table of a dozen records. It holds for
any keyboard and any site: it is about typing, not about this workspace."""

CHANNELS: dict[str, str] = {
    "usb": "file_to_removable",
    "personal_mail": "email_personal_attachments",
    "cloud": "web_cloud_uploads",
    "genai": "web_genai_pastes",
    "export": "ds_exports",
    "print": "file_print",
}
"""Channel -> the daily feature counting its moves."""

CHANNEL_WORDS: dict[str, str] = {
    "usb": "files written to removable media",
    "personal_mail": "attachments mailed to a personal address",
    "cloud": "uploads to cloud storage",
    "genai": f"pastes of {PASTE_CHARS:,}+ characters into a generative-AI site",
    "export": "data-store exports",
    "print": "print jobs",
}

CHANNEL_SHORT: dict[str, str] = {
    "usb": "USB files", "personal_mail": "attachments mailed home",
    "cloud": "cloud uploads", "genai": "AI pastes", "export": "exports",
    "print": "print jobs",
}

WINDOWS = {"exfil_moves_7d": 7, "exfil_moves_30d": 30}
CHANNELS_WINDOW = 30
GENAI_COLUMNS = ("web_genai_uploads", "web_genai_pastes", "web_genai_post_kchars")
EXFIL_COLUMNS = ("exfil_moves", *WINDOWS, "exfil_channels_30d")
LONGEST_WINDOW = max(*WINDOWS.values(), CHANNELS_WINDOW)

WEIGHTS: dict[str, float] = {
    "web_genai_uploads": 0.5, "web_genai_pastes": 1.0, "web_genai_post_kchars": 1.0,
    "exfil_moves": 0.5, "exfil_moves_7d": 1.0, "exfil_moves_30d": 1.0,
    "exfil_channels_30d": 1.0,
}
"""Feature weights (`weights.RELEVANT`): pastes, volume posted and the windows are the
pointed signals; every upload to an AI site is everyday use, and the day's moves repeat
the channel features already scored."""


def genai_aggregates(ev: Table, cats: Categories) -> dict[str, NumericValue]:
    """The generative-AI columns of the web family, over web events flagged per category
    (``wk_is_<category>``): uploads, pastes and thousands of characters posted."""
    if GENAI not in cats.names:
        return {c: ibis.literal(0) for c in GENAI_COLUMNS}
    post = ev.activity.isin(["upload", "post"]) & ev[f"wk_is_{GENAI}"]
    chars: IntegerValue = ev.content.length().fill_null(0)
    paste: BooleanValue = post & (chars >= PASTE_CHARS)
    return {
        "web_genai_uploads": ev.count(where=post),
        "web_genai_pastes": ev.count(where=paste),
        "web_genai_post_kchars": chars.sum(where=post).fill_null(0).cast("float64") / 1e3,
    }


def add_windows(table: pa.Table) -> pa.Table:
    """`table` (user, day, features sorted by both) with the exfiltration columns
    recomputed from its channel columns; a channel column it lacks counts as 0."""
    n = table.num_rows
    if n == 0 or "exfil_moves" not in table.column_names:
        return table
    users = np.asarray(table["user"].combine_chunks().dictionary_encode().indices
                       .to_numpy(), dtype=np.int64)
    grid = make_grid(users, day_numbers(table["day"].combine_chunks()))
    per_channel = [np.nan_to_num(table[c].to_numpy(zero_copy_only=False).astype(np.float64))
                   if c in table.column_names else np.zeros(n)
                   for c in CHANNELS.values()]
    daily = np.clip(np.sum(per_channel, axis=0), 0.0, None)
    cols = {"exfil_moves": daily}
    dense = grid.dense(daily, 0.0)
    for name, width in WINDOWS.items():
        cols[name] = trailing_sum(dense, width)[grid.person, grid.column].astype(np.float64)
    used = np.zeros(n)
    for moves in per_channel:
        window = trailing_sum(grid.dense(moves, 0.0), CHANNELS_WINDOW)
        used += window[grid.person, grid.column] > 0
    cols["exfil_channels_30d"] = used
    for name, values in cols.items():
        at = table.column_names.index(name)
        table = table.set_column(at, name, pa.array(values, pa.float64()))
    return table


def predicate(feature: str) -> str | None:
    """The evidence filter of an exfiltration column (beyond user and time), in words a
    person can check against the events; None for other columns."""
    if feature == "file_print":
        return "activity = 'print'"
    if feature.startswith("web_genai_"):
        base = f"activity = 'upload' AND category = '{GENAI}'"
        return (f"{base} AND length(content) >= {PASTE_CHARS}"
                if feature == "web_genai_pastes" else base)
    if feature not in EXFIL_COLUMNS:
        return None
    return "(" + " OR ".join(f"({CHANNEL_WORDS[c]})" for c in CHANNELS) + ")"


def window_days(feature: str) -> int:
    """How many days (to the scored day) the evidence of a column spans."""
    if feature in WINDOWS:
        return WINDOWS[feature]
    return CHANNELS_WINDOW if feature == "exfil_channels_30d" else 1


def describe(feature: str, value: float, usual: float | None,
             peers: float | None) -> str | None:
    """A sentence on an exfiltration column's value against the person's usual and their
    peers', or None for other columns."""
    def num(v: float | None) -> str:
        return "?" if v is None else f"{v:,.0f}" if abs(v) >= 10 else f"{v:.2g}"

    days = window_days(feature)
    span = "on the day" if days == 1 else f"in the {days} days to the day"
    against = f"(usually {num(usual)}; peers {num(peers)})"
    if feature in ("exfil_moves", *WINDOWS):
        return (f"{num(value)} moves of data out {span} ({', '.join(CHANNEL_SHORT.values())}) "
                f"{against}")
    if feature == "exfil_channels_30d":
        return f"{num(value)} of {len(CHANNELS)} exfiltration channels used {span} {against}"
    if feature == "web_genai_pastes":
        what = CHANNEL_WORDS["genai"].replace("pastes", "paste") if value == 1 else \
            CHANNEL_WORDS["genai"]
        return f"{num(value)} {what} {span} {against}"
    if feature == "web_genai_uploads":
        return f"{num(value)} prompts or uploads to generative-AI sites {span} {against}"
    if feature == "web_genai_post_kchars":
        return (f"{num(value * 1000)} characters posted to generative-AI sites {span} "
                f"{against}")
    return None
