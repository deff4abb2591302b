"""`watchkeeper audit verify|list` as a person runs them, with the SQLite store tampered
with directly (sqlite3), and the CLI's audited reads: one entry each, recorded before
anything is shown, and nothing shown when the audit log cannot record."""

from __future__ import annotations

import getpass
import hashlib
import json
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from helpers.cli import run_cli
from watchkeeper.config import DEFAULT_CONFIG
from watchkeeper.security import AuditEntry, entry_hash
from watchkeeper.store import upgrade
from watchkeeper.workspace import Workspace

ACTOR = f"cli:{getpass.getuser()}"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, timeout=300)


def one_error(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 1, done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    return lines[0]


def seeded(root: Path, n: int = 6, database_url: str | None = None) -> Path:
    root.mkdir()
    (root / "watchkeeper.toml").write_text(DEFAULT_CONFIG)
    ws = Workspace.open(root, create=False, database_url=database_url)
    try:
        for i in range(n):
            ws.audited(f"cli:user{i % 2}", "finding.read" if i % 3 else "risk.explain",
                       "finding" if i % 3 else "person", f"X-{i}", {"n": i})
    finally:
        ws.close_state()
    return root


def sql(root: Path, *statements: str) -> None:
    with sqlite3.connect(root / "state.db") as db:
        for statement in statements:
            db.execute(statement)


def rehash_from(root: Path, seq: int) -> None:
    """Edit entry `seq`, then re-hash it and everything after with a key not ours."""
    other = b"x" * 32
    with sqlite3.connect(root / "state.db") as db:
        db.row_factory = sqlite3.Row
        rows = [dict(r) for r in db.execute("SELECT * FROM audit_entries ORDER BY seq")]
        prev = next(r["hash"] for r in rows if r["seq"] == seq - 1)
        for row in (r for r in rows if r["seq"] >= seq):
            entry = AuditEntry.from_row(row | {"detail": json.loads(row["detail"])})
            draft = replace(entry, actor="cli:mallory" if entry.seq == seq else entry.actor,
                            prev_hash=prev, hash="")
            prev = entry_hash(other, draft)
            db.execute("UPDATE audit_entries SET actor = ?, prev_hash = ?, hash = ? "
                       "WHERE seq = ?", (draft.actor, draft.prev_hash, prev, entry.seq))


TAMPERING: dict[str, tuple[Callable[[Path], None], str]] = {
    "edit": (lambda root: sql(root, "UPDATE audit_entries SET actor = 'cli:mallory' "
                                    "WHERE seq = 3"),
             "audit entry 3: edited: its content does not match its hash"),
    "edit detail": (lambda root: sql(root, """UPDATE audit_entries SET detail = '{"n": 9}'
                                              WHERE seq = 2"""),
                    "audit entry 2: edited:"),
    "delete": (lambda root: sql(root, "DELETE FROM audit_entries WHERE seq = 3"),
               "audit entry 3: deleted: entry 3 is missing"),
    "delete and renumber": (lambda root: sql(
        root, "DELETE FROM audit_entries WHERE seq = 3",
        "UPDATE audit_entries SET seq = seq - 1 WHERE seq > 3"),
        "audit entry 3: deleted: 1 entry before it deleted and the rest renumbered"),
    "reorder": (lambda root: sql(root, "UPDATE audit_entries SET seq = -1 WHERE seq = 3",
                                 "UPDATE audit_entries SET seq = 3 WHERE seq = 4",
                                 "UPDATE audit_entries SET seq = 4 WHERE seq = -1"),
                "audit entry 3: reordered: it links to entry 4, not to entry 2"),
    "rehash": (lambda root: rehash_from(root, 4), "audit entry 4: rehashed:"),
    "truncate": (lambda root: sql(root, "DELETE FROM audit_entries WHERE seq > 4"),
                 "audit entry 5: truncated: the log ends at seq 4 but the state store "
                 "checkpoint of"),
    "truncate with checkpoints": (lambda root: sql(
        root, "DELETE FROM audit_entries WHERE seq > 4", "DELETE FROM audit_checkpoints"),
        "audit entry 5: truncated: the log ends at seq 4 but the head file checkpoint of"),
}


def test_an_intact_log_verifies(tmp_path: Path) -> None:
    root = seeded(tmp_path / "ws")
    done = cli("-w", str(root), "audit", "verify")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "audit log intact: 6 entries, checkpoint at seq 6"
    doc = json.loads(cli("-w", str(root), "audit", "verify", "--json").stdout)
    assert (doc["ok"], doc["checked"], doc["broken_seq"]) == (True, 6, None)


@pytest.mark.parametrize("case", list(TAMPERING))
def test_tampering_is_named_in_one_line_and_exit_1(tmp_path: Path, case: str) -> None:
    root = seeded(tmp_path / "ws")
    tamper, message = TAMPERING[case]
    tamper(root)
    done = cli("-w", str(root), "audit", "verify")
    assert one_error(done).startswith(f"error: {message}") and done.stdout == ""
    as_json = cli("-w", str(root), "audit", "verify", "--json")
    assert as_json.returncode == 1
    doc = json.loads(as_json.stdout)
    assert doc["ok"] is False and doc["message"].startswith(message)


def test_a_row_that_is_no_entry_is_one_line(tmp_path: Path) -> None:
    root = seeded(tmp_path / "ws", 3)
    sql(root, "UPDATE audit_entries SET object_id = NULL WHERE seq = 2")
    assert "audit entry 2: not an audit entry: field 'object_id'" in one_error(
        cli("-w", str(root), "audit", "verify"))
    sql(root, "UPDATE audit_entries SET at = 'yesterday' WHERE seq = 2")
    assert "cannot read the audit log" in one_error(cli("-w", str(root), "audit", "verify"))


@pytest.mark.postgres
def test_verify_names_an_edit_on_postgresql(tmp_path: Path,
                                            pg_schemas: Callable[[], str]) -> None:
    url = pg_schemas()
    from watchkeeper.store import StoreLocation
    upgrade(StoreLocation(url, "test"))
    root = seeded(tmp_path / "ws", 4, database_url=url)
    ws = Workspace.open(root, create=False, database_url=url)
    try:
        from sqlalchemy import update

        from watchkeeper.store.models.security import AuditEntry as EntryRow
        with ws.state.session() as s:
            s.execute(update(EntryRow).where(EntryRow.seq == 2).values(object_id="X-9"))
    finally:
        ws.close_state()
    line = one_error(cli("-w", str(root), "--database-url", url, "audit", "verify"))
    assert line.startswith("error: audit entry 2: edited:")


def test_list_filters_and_fits_80_columns(tmp_path: Path) -> None:
    root = str(seeded(tmp_path / "ws"))
    doc = json.loads(cli("-w", root, "audit", "list", "--json").stdout)
    assert [e["seq"] for e in doc["entries"]] == [6, 5, 4, 3, 2, 1]
    assert set(doc["entries"][0]) == {"seq", "at", "actor", "action", "object_type",
                                      "object_id", "detail"}
    mine = json.loads(cli("-w", root, "audit", "list", "--actor", "cli:user1",
                          "--action", "finding", "--json").stdout)
    assert [(e["seq"], e["action"]) for e in mine["entries"]] == [
        (6, "finding.read"), (2, "finding.read")]
    paged = json.loads(cli("-w", root, "audit", "list", "--limit", "4", "--json").stdout)
    rest = json.loads(cli("-w", root, "audit", "list", "--limit", "4", "--cursor",
                          paged["next_cursor"], "--json").stdout)
    assert [e["seq"] for e in rest["entries"]] == [2, 1] and rest["next_cursor"] is None
    assert json.loads(cli("-w", root, "audit", "list", "--since", "2999-01-01", "--json")
                      .stdout)["entries"] == []
    human = cli("-w", root, "audit", "list", "--since", "2000-01-01")
    lines = human.stdout.splitlines()
    assert human.returncode == 0 and len(lines) == 7 and max(map(len, lines)) <= 80
    assert lines[1].split()[:2] == ["6", doc["entries"][0]["at"][:10]]
    assert "cli:user1" in lines[1] and "finding X-5" in lines[1]
    bad = one_error(cli("-w", root, "audit", "list", "--since", "2025-02-30"))
    assert bad == "error: --since '2025-02-30': not a day (expected YYYY-MM-DD)"


# -- the CLI's audited reads ------------------------------------------------------------

@pytest.fixture(scope="module")
def analysed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small simulated workspace with findings and risk scores (nothing audited yet)."""
    tmp = tmp_path_factory.mktemp("audited")
    sim, ws = tmp / "sim", tmp / "ws"
    for args in (("simulate", "--users", "30", "--days", "20", "--seed", "3", "--out",
                  str(sim)), ("-w", str(ws), "ingest", "auto", str(sim)),
                 ("-w", str(ws), "detect"), ("-w", str(ws), "analyze")):
        done = cli(*args, "--json")
        assert done.returncode == 0, done.stderr
    return ws


def entries(ws: Path) -> list[dict[str, object]]:
    done = cli("-w", str(ws), "audit", "list", "--limit", "1000", "--json")
    assert done.returncode == 0, done.stderr
    found: list[dict[str, object]] = json.loads(done.stdout)["entries"]
    return found


def top_user(ws: Path) -> str:
    user: str = json.loads(cli("-w", str(ws), "risk", "top", "-n", "1", "--json")
                           .stdout)[0]["user"]
    return user


def first_finding(ws: Path) -> str:
    finding: str = json.loads(cli("-w", str(ws), "findings", "list", "--limit", "1",
                                  "--json").stdout)[0]["id"]
    return finding


QUERY = "SELECT user, count(*) AS n FROM findings GROUP BY user"


def expected(ws: Path, command: str) -> tuple[list[str], dict[str, object]]:
    """The command line of each audited read and the entry it must leave."""
    if command == "risk explain":
        user = top_user(ws)
        ws_ = Workspace.open(ws, create=False)
        pseudonym = ws_.pseudonymizer().pseudonym(user)
        assert pseudonym != user
        return ["risk", "explain", user], {"action": "risk.explain", "object_type": "person",
                                           "object_id": pseudonym}
    if command == "findings show":
        finding = first_finding(ws)
        return ["findings", "show", finding[:10]], {
            "action": "finding.read", "object_type": "finding", "object_id": finding}
    if command == "query":
        return ["query", QUERY], {"action": "query.run", "object_type": "query",
                                  "object_id": hashlib.sha256(QUERY.encode()).hexdigest()}
    return ["detect", "--dry-run", "--since", "all"], {
        "action": "detect.dry_run", "object_type": "rules", "object_id": "shipped pack"}


COMMANDS = ["risk explain", "findings show", "query", "detect --dry-run"]


@pytest.mark.parametrize("command", COMMANDS)
def test_each_read_leaves_exactly_one_entry(analysed: Path, command: str) -> None:
    args, wanted = expected(analysed, command)
    before = entries(analysed)
    done = cli("-w", str(analysed), *args)
    assert done.returncode == 0, done.stderr
    after = entries(analysed)
    assert len(after) == len(before) + 1
    new = after[0]
    assert {k: new[k] for k in wanted} == wanted and new["actor"] == ACTOR
    detail = new["detail"]
    assert isinstance(detail, dict)
    if command == "risk explain":
        assert list(detail) == ["day"] and args[2] not in json.dumps(new)
    if command == "query":
        rows = json.loads(cli("-w", str(analysed), "query", QUERY, "--json").stdout)["rows"]
        assert detail["rows"] == len(rows) and QUERY not in json.dumps(new)
    if command == "detect --dry-run":
        assert detail["since"] == "1970-01-01" and int(str(detail["findings"])) > 0
    assert cli("-w", str(analysed), "audit", "verify").returncode == 0


@pytest.fixture(scope="module")
def refusing(analysed: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the workspace whose audit table refuses every insert."""
    copy = tmp_path_factory.mktemp("refusing") / "ws"
    shutil.copytree(analysed, copy)
    (copy / "state.db").unlink(missing_ok=True)
    ws = Workspace.open(copy, create=False)
    ws.state.counts()   # the store, migrated
    ws.close_state()
    sql(copy, "CREATE TRIGGER refuse BEFORE INSERT ON audit_entries "
              "BEGIN SELECT RAISE(ABORT, 'audit store refuses'); END")
    return copy


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_a_failing_audit_store_blocks_the_output(refusing: Path, command: str,
                                                 as_json: bool) -> None:
    args, _ = expected(refusing, command)
    done = cli("-w", str(refusing), *args, *(["--json"] if as_json else []))
    line = one_error(done)
    assert done.stdout == ""
    assert "audit store refuses" in line and "nothing shown" in line


def test_a_query_to_csv_writes_nothing_unaudited(refusing: Path, tmp_path: Path) -> None:
    target = tmp_path / "rows.csv"
    one_error(cli("-w", str(refusing), "query", QUERY, "--csv", str(target)))
    assert not target.exists()


def test_an_unreachable_store_blocks_the_output(analysed: Path, tmp_path: Path) -> None:
    done = cli("-w", str(analysed), "--database-url",
               f"sqlite:///{tmp_path}/missing/state.db", "query", QUERY)
    assert "folder" in one_error(done) and done.stdout == ""
