"""`watchkeeper serve`: the app on uvicorn, on a socket opened first so that a taken
port or a refused address is one line, not a log of errors.

A non-loopback address is refused until an enabled admin account exists: a fresh
workspace has no accounts and no default passwords, so nobody could administer a
service others can already reach.
"""

from __future__ import annotations

import ipaddress
import json
import os
import socket
from pathlib import Path
from typing import TYPE_CHECKING, Any

from watchkeeper.errors import ConfigError

if TYPE_CHECKING:
    from fastapi import FastAPI

    from watchkeeper.workspace import Workspace

WORKER_WORKSPACE = "WATCHKEEPER_SERVE_WORKSPACE"   # serve -> its worker processes

NO_ADMIN = ("--host {host}: not a loopback address, and no admin account exists; "
            "create one first (watchkeeper users add NAME --role admin --password-stdin), "
            "or serve on 127.0.0.1")


def is_loopback(host: str) -> bool:
    if host.strip().casefold() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def check_host(workspace: Workspace, host: str) -> None:
    """Refuse a non-loopback `host` while the workspace has no enabled admin."""
    if not is_loopback(host) and not workspace.accounts().users.has_admin():
        raise ConfigError(NO_ADMIN.format(host=host))


def listen(host: str, port: int) -> socket.socket:
    """A listening socket on `host`:`port` (0: any free port)."""
    bare = host.strip().strip("[]")
    family = socket.AF_INET6 if ":" in bare else socket.AF_INET
    try:
        return socket.create_server((bare, port), family=family, backlog=2048)
    except (OSError, OverflowError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ConfigError(f"--host {host} --port {port}: cannot listen: {reason}") from None


def url(sock: socket.socket) -> str:
    """The service's base URL for a listening socket."""
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def serve(workspace: Workspace, sock: socket.socket, workers: int = 1) -> None:
    """Answer requests on `sock` until SIGINT or SIGTERM, in this process or in
    `workers` processes (each opens the workspace for itself: `worker_app`);
    Watchkeeper's own log lines (the scheduler's jobs) go to stderr beside uvicorn's."""
    import logging

    import uvicorn
    own = logging.getLogger("watchkeeper")
    if not own.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)-9s %(name)s: %(message)s"))
        own.addHandler(handler)
        own.setLevel(logging.INFO)

    from watchkeeper.api.app import create_app
    options: dict[str, Any] = {"log_level": "info", "server_header": False,
                               "proxy_headers": False, "timeout_graceful_shutdown": 10}
    if workers == 1:
        uvicorn.Server(uvicorn.Config(create_app(workspace), **options)).run(sockets=[sock])
        return
    from uvicorn.supervisors import Multiprocess
    _ = workspace.state    # SQLite upgrades itself here, once, not in each worker at once
    workspace.close_state()
    os.environ[WORKER_WORKSPACE] = json.dumps(
        {"root": str(workspace.root), "database_url": workspace.database_url})
    config = uvicorn.Config(f"{__name__}:worker_app", factory=True, workers=workers,
                            **options)
    Multiprocess(config, sockets=[sock]).run()


def worker_app() -> FastAPI:
    """The app of one worker process: the workspace `serve` named in the environment."""
    from watchkeeper.api.app import create_app
    from watchkeeper.workspace import Workspace
    spec = json.loads(os.environ[WORKER_WORKSPACE])
    return create_app(Workspace.open(Path(spec["root"]), create=False,
                                     database_url=spec["database_url"]))
