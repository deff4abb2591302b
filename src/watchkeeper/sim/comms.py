"""Background communication: web browsing and e-mail."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.sim import vocab
from watchkeeper.sim.layout import batch
from watchkeeper.sim.strings import join
from watchkeeper.sim.today import Today
from watchkeeper.sim.world import World

I64 = npt.NDArray[np.int64]
_WEB_ACTS = pa.array(["WWW Visit", "WWW Download", "WWW Upload"])
_UPLOAD_OK = np.array([c.name in ("work", "social", "webmail", "genai") for c in vocab.WEB])
_GENAI = vocab.CATEGORY["genai"]
GENAI_UPLOAD_SHARE = 0.25
"""Share of generative-AI page events that are prompts or file uploads (realistic)."""


def browsing(world: World, t: Today) -> pa.Table:
    """Visits to each person's favourite kinds of site; a few downloads and uploads."""
    rows, ts = t.expand(t.counts(world.habits.web_rate))
    cum = world.habits.web_cum[t.people[rows]]
    cat = (t.rng.random(len(rows))[:, None] > cum).sum(axis=1)
    cat = np.minimum(cat, cum.shape[1] - 1).astype(np.int64)
    url = world.urls.draw(t.rng, cat)
    act = t.rng.choice(3, len(rows), p=[0.93, 0.05, 0.02])
    act = np.where((act == 2) & ~_UPLOAD_OK[cat], 0, act)
    if world.profile.genai:
        prompt = (cat == _GENAI) & (t.rng.random(len(rows)) < GENAI_UPLOAD_SHARE)
        act = np.where(prompt, 2, act)
    return batch("http", ts, {
        "user": world.user_ids.take(t.people[rows]), "pc": world.host_names.take(t.hosts[rows]),
        "url": world.urls.text.take(url), "activity": _WEB_ACTS.take(act),
        "content": world.web_content.text.take(world.web_content.draw(t.rng, cat))})


def _nullable(values: pa.Array, keep: npt.NDArray[np.bool_]) -> pa.Array:
    return pc.if_else(pa.array(keep), values, pa.scalar(None, pa.string()))


def _recipients(world: World, t: Today, people: I64, width: int) -> list[pa.Array]:
    slots = t.rng.integers(0, world.contacts.shape[1], (len(people), width))
    return [world.emails.take(world.contacts[people, slots[:, k]]) for k in range(width)]


def _attachments(world: World, t: Today, n: int) -> tuple[pa.Array, I64]:
    count = np.where(t.rng.random(n) < 0.2, 1 + (t.rng.random(n) < 0.3), 0)
    docs = t.rng.integers(0, len(world.doc_names), (n, 2))
    sizes = world.doc_sizes[docs]
    parts = [join([pa.array(["C:\\docs\\"] * n, pa.string()), world.doc_names.take(docs[:, k]),
                   pa.array([f"({s})" for s in sizes[:, k]], pa.string())], "") for k in (0, 1)]
    items = [_nullable(parts[0], count >= 1), _nullable(parts[1], count >= 2)]
    total = (sizes * (np.arange(2)[None, :] < count[:, None])).sum(axis=1)
    return join(items, ";"), np.asarray(total, dtype=np.int64)


def mail(world: World, t: Today) -> pa.Table:
    """Sent and viewed mail among colleagues, partners and, rarely, personal addresses."""
    rows, ts = t.expand(t.counts(world.habits.mail_rate))
    n, who = len(rows), t.people[rows]
    send = t.rng.random(n) < 0.45
    k = t.rng.choice(3, n, p=[0.6, 0.3, 0.1]) + 1
    to = _recipients(world, t, who, 3)
    outside = t.rng.random(n) < 0.08
    partner = world.partners.take(t.rng.integers(0, len(world.partners), n))
    to[0] = pc.if_else(pa.array(outside), partner, to[0])
    personal = send & (t.rng.random(n) < world.habits.personal_mail_prob[who])
    to[0] = pc.if_else(pa.array(personal), world.personal_emails.take(who), to[0])
    own = world.emails.take(who)
    first = pc.if_else(pa.array(send), to[0], own)
    sender = pc.if_else(pa.array(send), own, to[0])
    to_col = join([first, _nullable(to[1], k >= 2), _nullable(to[2], k >= 3)], ";")
    cc = _recipients(world, t, who, 1)[0]
    cc = _nullable(cc, t.rng.random(n) < 0.25)
    bcc = _nullable(_recipients(world, t, who, 1)[0], send & (t.rng.random(n) < 0.03))
    attachments, att_size = _attachments(world, t, n)
    size = t.rng.lognormal(9.8, 0.7, n).astype(np.int64) + att_size
    return batch("email", ts, {
        "user": world.user_ids.take(who), "pc": world.host_names.take(t.hosts[rows]),
        "to": to_col, "cc": pc.fill_null(cc, ""), "bcc": pc.fill_null(bcc, ""),
        "from": sender, "activity": np.where(send, "Send", "View"), "size": size,
        "attachments": attachments,
        "content": world.mail_content.take(t.rng.integers(0, len(world.mail_content), n))})
