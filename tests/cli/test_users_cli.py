"""`watchkeeper users|tokens|teams` as an administrator runs them."""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from watchkeeper.config import DEFAULT_CONFIG

PASSWORD = "correct horse battery staple"


def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("WATCHKEEPER_HOME", "WATCHKEEPER_DATABASE_URL")}
    env["COLUMNS"] = "80"
    return subprocess.run([sys.executable, "-m", "watchkeeper", *args], input=stdin,
                          capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture
def ws(tmp_path: Path) -> str:
    root = tmp_path / "ws"
    root.mkdir(mode=0o700)
    (root / "watchkeeper.toml").write_text(DEFAULT_CONFIG)
    return str(root)


def ok(done: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert done.returncode == 0, done.stderr
    return done


def one_error(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 1, done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    return lines[0]


def test_users_teams_and_tokens(ws: str) -> None:
    ok(cli("-w", ws, "teams", "add", "soc-eu", "--region", "eu", "--region", "EU-West"))
    admin = json.loads(ok(cli("-w", ws, "users", "add", "alice", "--role", "admin",
                              "--password-stdin", "--json", stdin=PASSWORD + "\n")).stdout)
    assert (admin["role"], admin["has_password"], admin["disabled"]) == ("admin", True, False)
    human = ok(cli("-w", ws, "users", "add", "bob", "--role", "analyst", "--team", "soc-eu"))
    assert "tokens create bob" in human.stdout
    users = json.loads(ok(cli("-w", ws, "users", "list", "--json")).stdout)
    assert [(u["name"], u["teams"]) for u in users] == [("alice", []), ("bob", ["soc-eu"])]
    assert PASSWORD not in json.dumps(users) and "scrypt" not in json.dumps(users)
    issued = json.loads(ok(cli("-w", ws, "tokens", "create", "bob", "--label", "ci",
                               "--json")).stdout)
    token = issued["token"]
    assert token.startswith("wk_")
    listed = ok(cli("-w", ws, "tokens", "list", "--json")).stdout
    assert token not in listed and json.loads(listed)[0]["label"] == "ci"
    with sqlite3.connect(Path(ws) / "state.db") as db:
        dump = "\n".join(db.iterdump())
    assert token not in dump and PASSWORD not in dump
    assert hashlib.sha256(token.encode()).hexdigest() in dump
    revoked = json.loads(ok(cli("-w", ws, "tokens", "revoke", str(issued["id"]),
                                "--json")).stdout)
    assert revoked["revoked"] is True
    team = json.loads(ok(cli("-w", ws, "teams", "member", "add", "soc-eu", "alice",
                             "--json")).stdout)
    assert (team["regions"], team["members"]) == (["eu", "eu-west"], ["alice", "bob"])
    ok(cli("-w", ws, "teams", "member", "remove", "soc-eu", "bob"))
    teams = json.loads(ok(cli("-w", ws, "teams", "list", "--json")).stdout)
    assert teams[0]["members"] == ["alice"]
    assert json.loads(ok(cli("-w", ws, "users", "disable", "bob", "--json")).stdout)[
        "disabled"] is True
    listed = json.loads(ok(cli("-w", ws, "audit", "list", "--json")).stdout)["entries"]
    assert {e["actor"] for e in listed} == {f"cli:{getpass.getuser()}"}
    assert [(e["action"], e["object_id"]) for e in reversed(listed)] == [
        ("team.create", "soc-eu"), ("account.create", "alice"), ("account.create", "bob"),
        ("token.create", str(issued["id"])), ("token.revoke", str(issued["id"])),
        ("team.member_add", "soc-eu"), ("team.member_remove", "soc-eu"),
        ("account.disable", "bob")]
    assert listed[-2]["detail"] == {"role": "admin", "teams": None, "password": True}
    assert token not in json.dumps(listed) and PASSWORD not in json.dumps(listed)
    assert "audit log intact: 8 entries" in ok(cli("-w", ws, "audit", "verify")).stdout


def test_human_token_output_shows_the_token_whole_on_its_own_line(ws: str) -> None:
    ok(cli("-w", ws, "users", "add", "splunk", "--role", "service"))
    lines = ok(cli("-w", ws, "tokens", "create", "splunk")).stdout.splitlines()
    assert "shown once" in lines[0]
    assert lines[1].startswith("wk_") and len(lines[1]) >= 46


@pytest.mark.parametrize("args,stdin,message", [
    (("users", "add", "eve", "--role", "boss"), None,
     "error: role: 'boss': expected one of analyst, lead, admin, auditor, service"),
    (("users", "add", "eve", "--role", "lead", "--password-stdin"), "tiny pw1\n",
     "error: password: too short: use at least 12 characters"),
    (("users", "add", "eve", "--role", "lead", "--team", "nope"), None,
     "error: team 'nope': no such team (see `watchkeeper teams list`)"),
    (("users", "add", "bad name", "--role", "lead"), None,
     "error: name: 'bad name': use 1-100 letters, digits and . _ @ + - (starting with a "
     "letter or digit)"),
    (("tokens", "create", "nobody"), None,
     "error: account 'nobody': no such account (see `watchkeeper users list`)"),
    (("tokens", "revoke", "42"), None,
     "error: token 42: no such token (see `watchkeeper tokens list`)"),
    (("teams", "add", "x", "--region", "e u"), None,
     "error: regions: 'e u': use letters, digits and . _ - (or * for every region)"),
])
def test_bad_input_is_one_line_and_stores_nothing(ws: str, args: tuple[str, ...],
                                                  stdin: str | None, message: str) -> None:
    assert one_error(cli("-w", ws, *args, stdin=stdin)) == message
    with sqlite3.connect(Path(ws) / "state.db") as db:
        rows = [db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in ("accounts", "teams", "team_regions", "api_tokens",
                              "audit_entries")]
    assert rows == [0, 0, 0, 0, 0]


def test_a_taken_name_is_refused(ws: str) -> None:
    ok(cli("-w", ws, "users", "add", "alice", "--role", "admin"))
    assert one_error(cli("-w", ws, "users", "add", "ALICE", "--role", "analyst")) == (
        "error: account 'ALICE' already exists")
