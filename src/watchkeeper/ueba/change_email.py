"""First-time contacts: how many people a person mails for the first time each day.

The first day of every (person, recipient) pair is kept with the other first days
(`firsts`, flag ``first_contact``, key = the lower-cased address), so an incremental run
gives the same counts as a run over the whole history. As for the first-time flags, a
day counts only when the person has `first_time_min_history_days` of history before it
(otherwise the start of the data, or of a job, would make every contact new).
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import ibis
import pyarrow as pa
import pyarrow.compute as pc
from ibis.expr.types import Table

from watchkeeper.ueba.firsts import ACTIVE

FIRST_CONTACT = "first_contact"


def contact_firsts(tables: dict[str, Table]) -> list[Table]:
    """(flag, user, key, wk_day): each recipient's first local day, per sender."""
    if "email" not in tables:
        return []
    m = tables["email"]
    sent = m.filter((m.activity == "send") & m.recipients.notnull())
    pairs = sent.select("user", "wk_day", wk_to=sent.recipients.unnest())
    pairs = pairs.mutate(wk_to=pairs.wk_to.lower())   # Spark: no generator inside lower()
    pairs = pairs.filter(pairs.wk_to.notnull() & (pairs.wk_to != ""))
    first = pairs.group_by("user", "wk_to").aggregate(wk_first=pairs.wk_day.min())
    return [first.select(flag=ibis.literal(FIRST_CONTACT), user="user", key="wk_to",
                         wk_day="wk_first")]


def new_contacts(firsts: pa.Table, min_history: int, start: date | None) -> pa.Table:
    """(user, wk_day, email_new_contacts): first-time recipients per person-day (days >=
    `start`), for people with `min_history` days of history before the day."""
    active = firsts.filter(pc.equal(firsts["flag"], ACTIVE))
    since = dict(zip(active["user"].to_pylist(), active["wk_day"].to_pylist(), strict=True))
    rows = firsts.filter(pc.equal(firsts["flag"], FIRST_CONTACT))
    counts: Counter[tuple[str, date]] = Counter(
        zip(rows["user"].to_pylist(), rows["wk_day"].to_pylist(), strict=True))
    keys = sorted(k for k in counts
                  if (first := since.get(k[0])) is not None
                  and k[1] >= first + timedelta(days=min_history)
                  and (start is None or k[1] >= start))
    return pa.table({
        "user": pa.array([k[0] for k in keys], pa.string()),
        "wk_day": pa.array([k[1] for k in keys], pa.date32()),
        "email_new_contacts": pa.array([float(counts[k]) for k in keys], pa.float64())})
