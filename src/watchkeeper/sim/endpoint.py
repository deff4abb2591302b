"""Background endpoint activity: logons, removable devices and file operations."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from watchkeeper.sim import vocab
from watchkeeper.sim.layout import batch
from watchkeeper.sim.strings import join
from watchkeeper.sim.today import Today, colleague_hosts
from watchkeeper.sim.world import World

I64 = npt.NDArray[np.int64]
_ADMINS = ("SystemAdministrator", "ITAdmin")
_FILE_ACTS = pa.array(["File Open", "File Write", "File Copy", "File Delete"])


def _flag(values: npt.NDArray[np.bool_]) -> pa.Array:
    return pa.array(np.where(values, "True", "False"))


def logons(world: World, t: Today) -> pa.Table:
    """A Logon and a Logoff per session, plus admins' short visits to other machines."""
    s = t.sessions
    rows, col = np.nonzero(s.valid)
    ts = np.concatenate([s.starts[rows, col], s.ends[rows, col]])
    who = np.concatenate([rows, rows])
    acts = np.repeat(["Logon", "Logoff"], len(rows))
    admin = np.isin(world.roles[t.people], _ADMINS)
    visits = t.rng.poisson(np.where(admin, 2.5, 0.0)).astype(np.int64)
    v_rows, v_start = t.expand(visits)
    v_host = t.rng.integers(0, len(world.host_names), len(v_rows))
    if world.profile.visit_rate > 0:  # anyone: a colleague's desk, a meeting-room PC
        more = t.rng.poisson(np.where(admin, 0.0, world.profile.visit_rate)).astype(np.int64)
        m_rows, m_start = t.expand(more)
        v_rows, v_start = np.concatenate([v_rows, m_rows]), np.concatenate([v_start, m_start])
        v_host = np.concatenate([v_host, colleague_hosts(world, t.rng, t.people[m_rows])])
    v_end = v_start + t.rng.integers(120, 1800, len(v_rows))
    hosts = np.concatenate([t.hosts[who], v_host, v_host])
    return batch("logon", np.concatenate([ts, v_start, v_end]), {
        "user": world.user_ids.take(t.people[np.concatenate([who, v_rows, v_rows])]),
        "pc": world.host_names.take(hosts),
        "activity": np.concatenate([acts, np.repeat(["Logon", "Logoff"], len(v_rows))])})


def devices(world: World, t: Today) -> tuple[pa.Table, pa.Table]:
    """USB habits: connect, copy a few files to the drive, disconnect."""
    prob = world.habits.usb_daily_prob[t.people]
    uses = (t.rng.random(len(prob)) < prob) * (1 + (t.rng.random(len(prob)) < 0.4))
    rows, start = t.expand(uses.astype(np.int64))
    end = start + t.rng.integers(300, 7200, len(rows))
    trees = pa.array(vocab.FILE_TREES).take(t.rng.integers(0, len(vocab.FILE_TREES), len(rows)))
    n = len(rows)
    dev = batch("device", np.concatenate([start, end]), {
        "user": world.user_ids.take(t.people[np.concatenate([rows, rows])]),
        "pc": world.host_names.take(t.hosts[np.concatenate([rows, rows])]),
        "file_tree": pa.concat_arrays([trees, pa.array([""] * n, pa.string())]),
        "activity": np.repeat(["Connect", "Disconnect"], n)})
    copies = t.rng.poisson(1.3, n)
    c_conn = np.repeat(np.arange(n), copies)
    c_ts = start[c_conn] + (t.rng.random(len(c_conn)) * (end - start)[c_conn]).astype(np.int64)
    return dev, _removable_files(world, t, rows[c_conn], c_ts)


def _removable_files(world: World, t: Today, rows: I64, ts: I64) -> pa.Table:
    doc = t.rng.integers(0, len(world.doc_names), len(rows))
    to_drive = t.rng.random(len(rows)) < 0.7
    names = world.doc_names.take(doc)
    drive = join([pa.array(["R:\\"] * len(rows), pa.string()), names], "")
    local = join([world.file_prefix.take(t.people[rows]), names], "")
    return batch("file", ts, {
        "user": world.user_ids.take(t.people[rows]), "pc": world.host_names.take(t.hosts[rows]),
        "filename": pa.array(np.where(to_drive, np.asarray(drive), np.asarray(local))),
        "activity": np.where(to_drive, "File Copy", "File Open"),
        "to_removable_media": _flag(to_drive), "from_removable_media": _flag(~to_drive),
        "content": world.doc_content.take(doc)})


def files(world: World, t: Today) -> pa.Table:
    """Everyday document work on the local disk."""
    rows, ts = t.expand(t.counts(world.habits.file_rate))
    doc = t.rng.integers(0, len(world.doc_names), len(rows))
    act = t.rng.choice(4, len(rows), p=[0.5, 0.27, 0.13, 0.10])
    content = np.where(act == 3, "", np.asarray(world.doc_content.take(doc)))
    no = _flag(np.zeros(len(rows), dtype=bool))
    return batch("file", ts, {
        "user": world.user_ids.take(t.people[rows]), "pc": world.host_names.take(t.hosts[rows]),
        "filename": join([world.file_prefix.take(t.people[rows]),
                          world.doc_names.take(doc)], ""),
        "activity": _FILE_ACTS.take(act), "to_removable_media": no,
        "from_removable_media": no, "content": pa.array(content, pa.string())})
