"""`watchkeeper access …` and `ingest assets` as a person runs them: JSON, 80-column
output, the request id on stdout, and one-line errors that store nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from access.conftest import ASSETS, make_world
from helpers.cli import cli, narrow, ok, one_error

pytestmark = pytest.mark.slow


def test_check_request_approve_revoke(tmp_path: Path) -> None:
    world = make_world(tmp_path, None)
    world.ws.close_state()
    ws = world.ws.root
    w = ("-w", ws)
    same = ok(*w, "access", "check", "ana", "read", "eu-users")
    assert same["decision"] == "allow" and same["reasons"] == [
        "same-region read by a role that serves user data"]
    assert "allow" in narrow(cli(*w, "access", "check", "ana", "read", "eu-users"))
    denied = ok(*w, "access", "check", "ana", "export", "eu-users", "--purpose",
                "investigation")
    assert denied["decision"] == "deny" and denied["policies"] == [
        "export-delete-need-grant"]
    asked = cli(*w, "access", "request", "--for", "ana", "--action", "export",
                "--resource", "eu-users", "--purpose", "investigation",
                "--justification", "case 12", "--duration", "8h", "--ticket", "CASE-12")
    assert asked.returncode == 0, asked.stderr
    assert asked.stdout.strip() == "1" and "needs 1 approval" in asked.stderr
    line = one_error(cli(*w, "access", "approve", "1", "--as", "ana"))
    assert "ana made access request 1" in line
    done = ok(*w, "access", "approve", "1", "--as", "leo")
    assert done["status"] == "approved" and done["grant_id"] == 1
    assert done["requested_by"].startswith("cli:")
    allowed = ok(*w, "access", "check", "ana", "export", "eu-users", "--purpose",
                 "investigation")
    assert allowed["decision"] == "allow" and allowed["grant_id"] == 1
    (grant,) = ok(*w, "access", "grants")
    assert (grant["principal"], grant["state"]) == ("ana", "active")
    assert "eu-users" in narrow(cli(*w, "access", "grants"))
    assert ok(*w, "access", "revoke", "1")["state"] == "revoked"
    assert ok(*w, "access", "grants") == []
    assert "already" in one_error(cli(*w, "access", "revoke", "1"))
    log = ok(*w, "access", "decisions", "--principal", "ana")
    assert [d["decision"] for d in log] == ["allow", "deny", "allow", "allow"][:len(log)]
    assert len(log) == 4
    assert "ana" in narrow(cli(*w, "access", "decisions"))


def test_errors_name_the_field_and_store_nothing(tmp_path: Path) -> None:
    world = make_world(tmp_path, None)
    world.ws.close_state()
    w = ("-w", world.ws.root)
    base = ("access", "request", "--for", "ana", "--action", "read", "--resource",
            "us-users", "--justification", "x")
    assert "duration: '5 parsecs'" in one_error(cli(*w, *base, "--purpose",
                                                    "investigation", "--duration",
                                                    "5 parsecs"))
    assert "purpose: 'fun'" in one_error(cli(*w, *base, "--purpose", "fun",
                                             "--duration", "1h"))
    assert "action: 'copy'" in one_error(cli(*w, "access", "check", "ana", "copy",
                                             "eu-users"))
    assert ok(*w, "access", "requests", "--status", "all") == []
    assert "no such request" in one_error(cli(*w, "access", "deny", "1", "--as", "leo",
                                              "--reason", "x"))


def test_ingest_assets_takes_the_short_form(tmp_path: Path) -> None:
    assets = tmp_path / "assets.csv"
    assets.write_text(ASSETS)
    report = ok("-w", tmp_path / "ws", "ingest", "assets", assets)
    assert report["accepted"] == 3
    rows = ok("-w", tmp_path / "ws", "query",
              "SELECT dataset, vip FROM data_assets ORDER BY dataset")
    assert rows["rows"] == [["eu-users", False], ["eu-vip", True], ["us-users", False]]


def test_users_person_links_an_account_to_an_employee(tmp_path: Path) -> None:
    world = make_world(tmp_path, None)
    world.ws.accounts().users.add("bob", "analyst")
    world.ws.close_state()
    w = ("-w", world.ws.root)
    assert ok(*w, "users", "person", "bob", "ana") == {"account": "bob", "person": "ana"}
    from watchkeeper.workspace import Workspace
    ws = Workspace.open(world.ws.root, create=False)
    assert ws.case_viewer("bob").person == "ana"
    ws.close_state()
    assert "linked to nobody" in narrow(cli(*w, "users", "person", "bob"))
