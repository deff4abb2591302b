"""`watchkeeper serve` as an operator runs it: a real uvicorn on 127.0.0.1, requests over
loopback, secrets absent from its log; non-loopback refused until an admin exists."""

from __future__ import annotations

import json
import signal
import socket
from pathlib import Path

import httpx
import pytest

from helpers.accounts import ADMIN_PASSWORD, bearer, new_workspace
from helpers.serve import cli, free_port, start_server, wait_until_up
from watchkeeper.api.server import check_host, is_loopback
from watchkeeper.errors import ConfigError


def test_real_server_over_loopback_keeps_secrets_out_of_its_log(
        tmp_path: Path, database_url: str | None) -> None:
    ws = str(new_workspace(tmp_path / "ws", database_url).root)
    assert cli("-w", ws, "users", "add", "alice", "--role", "admin", "--password-stdin",
               stdin=ADMIN_PASSWORD + "\n").returncode == 0
    token = json.loads(cli("-w", ws, "tokens", "create", "alice", "--json").stdout)["token"]
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as sink:
        server = start_server(Path(ws), port, sink)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_up(base, server)
            me = httpx.get(f"{base}/api/v1/me", headers=bearer(token))
            assert me.status_code == 200 and me.json()["name"] == "alice"
            assert httpx.get(f"{base}/api/v1/me",
                             headers=bearer(token[:-2] + "xx")).status_code == 401
            second = "another long password"
            made = httpx.post(f"{base}/api/v1/users", headers=bearer(token),
                              json={"name": "carol", "role": "lead", "password": second})
            assert made.status_code == 201
            short = httpx.post(f"{base}/api/v1/users", headers=bearer(token),
                               json={"name": "dave", "role": "lead", "password": "pw-12"})
            assert short.status_code == 422 and "pw-12" not in short.text
            issued = httpx.post(f"{base}/api/v1/tokens", headers=bearer(token), json={})
            assert issued.status_code == 201
            assert httpx.get(f"{base}/readyz").json()["ready"] is True
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
    assert server.returncode in (0, -signal.SIGTERM)   # uvicorn re-raises the signal
    text = log.read_text()
    assert f"http://127.0.0.1:{port}/api/v1" in text        # says how to open it
    assert '"GET /api/v1/me HTTP/1.1" 200' in text          # the access log is there
    for secret in (token, issued.json()["token"], ADMIN_PASSWORD, second, "pw-12"):
        assert secret not in text


def test_non_loopback_refused_until_an_admin_exists(tmp_path: Path,
                                                    database_url: str | None) -> None:
    workspace = new_workspace(tmp_path / "ws", database_url)
    done = cli("-w", str(workspace.root), "serve", "--host", "0.0.0.0", "--port", "0")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "error: --host 0.0.0.0: not a loopback address, and no admin account exists; create "
        "one first (watchkeeper users add NAME --role admin --password-stdin), or serve on "
        "127.0.0.1"]
    accounts = workspace.accounts()
    accounts.users.add("bob", "analyst")
    with pytest.raises(ConfigError, match="no admin account"):
        check_host(workspace, "10.1.2.3")
    accounts.users.add("alice", "admin")
    check_host(workspace, "10.1.2.3")
    accounts.users.set_disabled("alice")
    with pytest.raises(ConfigError):
        check_host(workspace, "::")
    check_host(workspace, "127.0.0.1")
    workspace.close_state()


@pytest.mark.parametrize("host,loopback", [
    ("127.0.0.1", True), ("127.8.9.1", True), ("::1", True), ("[::1]", True),
    ("localhost", True), ("0.0.0.0", False), ("::", False), ("10.0.0.1", False),
    ("example.com", False), ("localhost.example.com", False),
])
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_a_taken_port_is_one_line(tmp_path: Path, database_url: str | None) -> None:
    ws = str(new_workspace(tmp_path / "ws", database_url).root)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = cli("-w", ws, "serve", "--port", str(port))
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: --host 127.0.0.1 --port {port}: "
                                                   "cannot listen:")
