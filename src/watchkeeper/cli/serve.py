"""`watchkeeper serve`: the REST API on uvicorn."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.text import Text

from watchkeeper.cli.render import out


def register(root: typer.Typer) -> None:
    @root.command("serve")
    def serve(ctx: typer.Context,
              host: Annotated[str, typer.Option(
                  "--host", metavar="ADDRESS",
                  help="Address to listen on; other than loopback only once an admin "
                       "account exists.")] = "127.0.0.1",
              port: Annotated[int, typer.Option(
                  "--port", metavar="PORT", min=0, max=65535,
                  help="Port (0: any free one).")] = 8765,
              no_scheduler: Annotated[bool, typer.Option(
                  "--no-scheduler",
                  help="Serve only; leave the jobs to another server or to cron "
                       "(scheduler run-once).")] = False,
              workers: Annotated[int, typer.Option(
                  "--workers", metavar="N", min=1, max=64,
                  help="Worker processes answering on the port (one Python process "
                       "uses one core at most).")] = 1,
              ) -> None:
        """Run the REST API (/api/v1) and the web dashboard (/) until Ctrl-C.

        Callers send `Authorization: Bearer TOKEN` (watchkeeper tokens create USER).
        The OpenAPI document is at /api/v1/openapi.json; /healthz and /readyz
        answer without a token. The scheduler runs alongside (watchkeeper
        scheduler jobs) unless --no-scheduler or [scheduler] enabled = false.

        Example: watchkeeper -w ws serve
          watchkeeper -w ws serve --host 0.0.0.0 --port 8080 --workers 4
          watchkeeper -w ws serve --no-scheduler
        """
        from watchkeeper.api.server import check_host, listen, url
        from watchkeeper.api.server import serve as run
        workspace = ctx.obj.open(create=False)
        check_host(workspace, host)
        sock = listen(host, port)
        base = url(sock)
        scheduler = workspace.scheduler() \
            if workspace.settings.scheduler.enabled and not no_scheduler else None
        jobs = "off" if scheduler is None else \
            f"on, {sum(j.enabled for j in scheduler.jobs.values())} jobs " \
            "(watchkeeper scheduler jobs)"
        for line in (f"Watchkeeper API at {base}/api/v1 "
                     f"(OpenAPI: {base}/api/v1/openapi.json)",
                     f"Try: curl -H 'Authorization: Bearer TOKEN' {base}/api/v1/me",
                     f"Dashboard at {base}/ (sign in with an account's password).",
                     f"Scheduler: {jobs}.",
                     "No token yet? watchkeeper tokens create USER. Stop with Ctrl-C."):
            out.print(Text(line), soft_wrap=True)
        sys.stdout.flush()
        if scheduler is not None:
            scheduler.start()
        try:
            run(workspace, sock, workers)
        except KeyboardInterrupt:  # uvicorn stopped gracefully, then re-raised Ctrl-C
            out.print("Stopped.", markup=False)
        finally:
            if scheduler is not None:
                scheduler.stop()
