"""`watchkeeper reveal` and the region scope of `watchkeeper cases` as people run them:
JSON and plain output, one-line refusals with exit code 1, the reveal in `audit list`."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from cases.casework import add_alert, build_lake
from helpers.cli import run_cli
from watchkeeper.workspace import Workspace

WHY = "case 12: HR asked who copied the files"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, timeout=120)


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str], list[int]]:
    """The casework lake; lee (lead) and bob (analyst) in soc-eu, uma (analyst) in
    soc-us; alerts in EU, us and none. Returns the folder, pseudonyms, alert ids."""
    root = tmp_path_factory.mktemp("revealcli")
    build_lake(root / "build")
    workspace = Workspace.open(root / "ws")
    workspace.ingest([root / "build" / "in" / "hr.csv"], "hr")
    accounts = workspace.accounts()
    accounts.teams.add("soc-eu", ["eu"])
    accounts.teams.add("soc-us", ["us"])
    for name, role, team in (("lee", "lead", "soc-eu"), ("bob", "analyst", "soc-eu"),
                             ("uma", "analyst", "soc-us")):
        accounts.users.add(name, role, [team])
    with workspace.state.session() as s:
        alerts = [add_alert(s, "eu", ["ACM2278"], region="EU"),
                  add_alert(s, "us", ["MGR"], region="us"),
                  add_alert(s, "none", ["REP"])]
    names = workspace.pseudonymizer()
    codes = {user: names.pseudonym(user) for user in ("ACM2278", "REP")}
    workspace.close_state()
    return root / "ws", codes, alerts


def ok(*args: str) -> str:
    done = cli(*args)
    assert done.returncode == 0, done.stderr
    return done.stdout


def one_error(*args: str) -> str:
    done = cli(*args)
    assert done.returncode == 1 and done.stdout == "", (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    return lines[0]


def test_a_lead_reveals_with_a_reason_and_audit_list_shows_it(
        ws: tuple[Path, dict[str, str], list[int]]) -> None:
    root, codes, _ = ws
    found = json.loads(ok("-w", str(root), "reveal", codes["ACM2278"], "--reason", WHY,
                          "--as", "lee", "--json"))
    assert {k: found[k] for k in ("pseudonym", "user", "name", "email", "region",
                                  "revealed_by", "reason")} == {
        "pseudonym": codes["ACM2278"], "user": "ACM2278", "name": "Calvin Love",
        "email": "calvin.love@dtaa.com", "region": "EU", "revealed_by": "lee",
        "reason": WHY}
    plain = ok("-w", str(root), "reveal", codes["REP"], "--reason", WHY, "--as", "lee")
    assert plain.splitlines()[0] == (f"{codes['REP']} is REP: Riley Report "
                                     "<riley.report@dtaa.com>, region EU")
    assert all(len(line) <= 80 for line in plain.splitlines())
    listed = json.loads(ok("-w", str(root), "audit", "list", "--action", "person",
                           "--json"))["entries"]
    assert [(e["actor"], e["action"], e["object_id"], e["detail"]["reason"])
            for e in listed] == [("lee", "person.reveal", codes["REP"], WHY),
                                 ("lee", "person.reveal", codes["ACM2278"], WHY)]
    table = ok("-w", str(root), "audit", "list", "--action", "person.reveal")
    assert f"person {codes['REP']}" in table and "person.reveal" in table
    assert "audit log intact" in ok("-w", str(root), "audit", "verify")


def test_refusals_are_one_line(ws: tuple[Path, dict[str, str], list[int]]) -> None:
    root, codes, _ = ws
    base = ("-w", str(root), "reveal")
    assert one_error(*base, codes["ACM2278"], "--reason", WHY, "--as", "bob") == (
        "error: role analyst may not reveal pseudonyms")
    assert one_error(*base, codes["ACM2278"], "--reason", "HR asked", "--as", "lee") == (
        "error: reason: too short: use at least 3 words and 15 characters (a case and "
        "what for)")
    assert one_error(*base, "P-0000-0000", "--reason", WHY, "--as", "lee") == (
        "error: pseudonym 'P-0000-0000': nobody in this workspace has it")


def test_cases_follow_the_regions_of_their_alerts(
        ws: tuple[Path, dict[str, str], list[int]]) -> None:
    root, _, (eu, us, _none) = ws
    cases = ("-w", str(root), "cases")
    assert one_error(*cases, "create", "--title", "theirs", "--alert", str(us),
                     "--as", "bob") == f"error: alert {us}: no such alert"
    case = json.loads(ok(*cases, "create", "--title", "ours", "--alert", str(eu),
                         "--as", "bob", "--json"))["id"]
    listed = json.loads(ok(*cases, "list", "--as", "uma", "--json"))["items"]
    assert case not in [c["id"] for c in listed]
    assert one_error(*cases, "show", str(case), "--as", "uma") == (
        f"error: case {case}: it holds alerts of a region outside those uma's teams see")
