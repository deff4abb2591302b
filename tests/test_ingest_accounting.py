"""read = accepted + duplicates + quarantined, whatever the input; reruns add nothing;
a killed ingest followed by a rerun gives exactly the counts of one clean run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers.cert_files import HEADERS, logon_row, write
from watchkeeper.ingest import ingest
from watchkeeper.lake import Lake
from watchkeeper.lake.faults import ENV, POINTS
from watchkeeper.sources.base import SourceContext

CTX = SourceContext()
SAFE_BYTES = st.binary(min_size=1, max_size=30).map(
    lambda b: bytes(c for c in b if c not in b'\n\r"') or b"\x00")


def corrupt(line: str, how: str, data: st.DataObject) -> bytes:
    raw = line.encode()
    if how == "truncate":
        return raw[: data.draw(st.integers(0, len(raw) - 1))]
    if how == "bad_date":
        return raw.replace(b"/2010", b"/20x0", 1)
    if how == "extra_column":
        return raw + b",extra"
    if how == "missing_column":
        return raw.rsplit(b",", 1)[0]
    if how == "garbage":
        return data.draw(SAFE_BYTES)
    return raw  # "keep"


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_accounting_holds_on_corrupted_input(tmp_path_factory: pytest.TempPathFactory,
                                             data: st.DataObject) -> None:
    tmp = tmp_path_factory.mktemp("acct")
    n = data.draw(st.integers(0, 12))
    ways = st.sampled_from(["keep", "keep", "truncate", "bad_date", "extra_column",
                            "missing_column", "garbage"])
    hows = [data.draw(ways) for _ in range(n)]
    lines = [corrupt(logon_row(i), how, data) for i, how in enumerate(hows)]
    dup = data.draw(st.booleans()) and n > 0
    if dup:  # one exact duplicate row at the end
        lines.append(logon_row(0).encode())
    body = b"".join(line + b"\n" for line in lines)
    if data.draw(st.booleans()):
        body = body.rstrip(b"\n")  # no newline at end of file
    (tmp / "in").mkdir()
    (tmp / "in" / "logon.csv").write_bytes(HEADERS["logon"].encode() + b"\n" + body)

    lake = Lake(tmp / "lake")
    report = ingest(lake, [tmp / "in" / "logon.csv"], "cert", CTX)
    f = report.files[0]
    records = sum(1 for line in lines if line.strip())
    assert f.read == records
    assert f.read == f.accepted + f.duplicates + f.quarantined
    assert lake.rows("authentication") == f.accepted
    assert lake.rows("quarantine") == f.quarantined
    kept = set(lake.table("authentication").event_id.execute())
    for i, how in enumerate(hows):
        if how == "keep":
            assert f"{{L{i:04d}-AAAA}}" in kept
    bad_lines = {q["line"] for q in lake.table("quarantine").to_pyarrow().to_pylist()}
    assert all(hows[line - 2] != "keep" for line in bad_lines)


def test_reingest_adds_nothing(tmp_path: Path) -> None:
    f = write(tmp_path / "in" / "logon.csv", HEADERS["logon"],
              [logon_row(i) for i in range(20)] + ["{BAD},nope,u,pc,Logon"])
    lake = Lake(tmp_path / "lake")
    first = ingest(lake, [f], "cert", CTX)
    before = {p.name for p in (tmp_path / "lake").rglob("*.parquet")}
    second = ingest(lake, [f], "cert", CTX)
    assert (first.accepted, first.duplicates, first.quarantined) == (20, 0, 1)
    assert (second.accepted, second.duplicates, second.quarantined) == (0, 20, 1)
    assert lake.rows("authentication") == 20 and lake.rows("quarantine") == 1
    assert {p.name for p in (tmp_path / "lake").rglob("*.parquet")} == before


def _dataset(tmp_path: Path) -> Path:
    root = tmp_path / "cert"
    write(root / "logon.csv", HEADERS["logon"],
          [logon_row(i, day=1 + i % 9) for i in range(300)] + ["{X},bad,u,pc,Logon"])
    write(root / "device.csv", HEADERS["device_r4"],
          [f"{{D{i}}},01/0{1 + i % 9}/2010 10:00:00,ACM2278,PC-1,Connect" for i in range(50)])
    write(root / "LDAP" / "2010-01.csv", HEADERS["ldap_r4"],
          ["Alice A,ALI0002,alice@dtaa.com,Salesman,1,Sales,D1,T1,"])
    return root


def _cli(ws: Path, data: Path, crash: str | None = None) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k != ENV}
    if crash:
        env[ENV] = crash
    cmd = [sys.executable, "-m", "watchkeeper", "-w", str(ws), "ingest", "cert", str(data),
           "--json"]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _counts(ws: Path) -> tuple[int, int, int, int]:
    lake = Lake(ws / "lake")
    return (lake.rows("authentication"), lake.rows("peripheral"), lake.rows("quarantine"),
            lake.rows("people"))


@pytest.mark.slow
@pytest.mark.parametrize("point", POINTS)
def test_crash_at_each_commit_step_then_rerun(tmp_path: Path, point: str) -> None:
    data = _dataset(tmp_path)
    clean = _cli(tmp_path / "clean", data)
    assert clean.wait() == 0
    crashed = _cli(tmp_path / "ws", data, crash=point)
    assert crashed.wait() == 137
    rerun = _cli(tmp_path / "ws", data)
    assert rerun.wait() == 0, rerun.stderr.read() if rerun.stderr else ""
    assert _counts(tmp_path / "ws") == _counts(tmp_path / "clean") == (300, 50, 1, 1)
    leftovers = [p for p in (tmp_path / "ws" / "lake").rglob("*.parquet")
                 if "_staging" not in p.parts]
    listed = Lake(tmp_path / "ws" / "lake").manifest().paths()
    assert {str(p.relative_to(tmp_path / "ws" / "lake")) for p in leftovers} == listed


@pytest.mark.slow
def test_kill_at_random_moments_then_rerun(tmp_path: Path) -> None:
    data = _dataset(tmp_path)
    assert _cli(tmp_path / "clean", data).wait() == 0
    expected = _counts(tmp_path / "clean")
    for i, delay in enumerate((0.3, 0.8, 1.2, 1.6, 2.0)):
        ws = tmp_path / f"ws{i}"
        proc = _cli(ws, data)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert _cli(ws, data).wait() == 0
        assert _counts(ws) == expected
