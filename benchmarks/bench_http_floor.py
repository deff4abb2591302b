"""The floor under the alert-intake goal: what the HTTP stack alone costs per request.

The same clients as `bench_intake.py` (16 keep-alive connections, half the alerts one
per request and half in batches of 100, paced at `--rate` alerts/s) post the same OCSF
bodies for `--seconds` to a FastAPI app that does nothing with them: it checks a bearer
token against one string, reads the body, counts the alerts (one `json.loads`) and
answers 201 with an intake result of the same shape. It runs on uvicorn with the
options `watchkeeper serve` uses (httptools, uvloop, one worker, access log on), so the
server CPU per request it reports is the part of an intake request that no change to
Watchkeeper's own code can remove on this machine.

    python benchmarks/bench_http_floor.py [--seconds 60] [--rate 1000] [--json]
"""


import argparse  # no `from __future__ import annotations`: FastAPI reads the route's hints
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).parent))
from bench_intake import GOAL_P99_MS, GOAL_RATE, TOKEN_ENV, machine, summary

TOKEN = "wk_floor-benchmark-token"


def app() -> Any:
    """The do-nothing intake: authenticate by one string, read, count, answer."""
    from fastapi import FastAPI, Header, HTTPException, Request
    from fastapi.responses import JSONResponse

    made = FastAPI()

    @made.post("/api/v1/alerts", status_code=201)
    async def post(request: Request, authorization: str = Header("")) -> JSONResponse:
        if authorization != f"Bearer {TOKEN}":
            raise HTTPException(401)
        doc = json.loads(await request.body())
        n = len(doc) if isinstance(doc, list) else 1
        return JSONResponse({"received": n, "new": n, "updated": 0, "duplicates": 0,
                             "suppressed": 0, "grouped": 0,
                             "alert_ids": list(range(n))}, status_code=201)

    return made


def serve(port_file: Path) -> None:
    import uvicorn
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port_file.write_text(str(sock.getsockname()[1]))
    config = uvicorn.Config(app(), http="httptools", loop="uvloop", log_level="warning",
                            access_log=True)
    uvicorn.Server(config).run(sockets=[sock])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--rate", type=float, default=1000.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--serve", metavar="PORT_FILE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(Path(args.serve))
        return
    port_file = Path(f"/tmp/wk-http-floor-{os.getpid()}.port")
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(port_file)])
    try:
        for _ in range(300):
            if port_file.exists() and port_file.read_text():
                break
            time.sleep(0.1)
        time.sleep(1.0)
        base = f"http://127.0.0.1:{port_file.read_text()}"
        proc = psutil.Process(server.pid)
        before = sum(proc.cpu_times()[:2])
        load_before = os.getloadavg()
        done = subprocess.run(
            [sys.executable, str(Path(__file__).parent / "bench_intake.py"), "--drive", base,
             "--clients", str(args.clients), "--seconds", str(args.seconds),
             "--rate", str(args.rate)],
            capture_output=True, text=True, check=True,
            env={**os.environ, TOKEN_ENV: TOKEN}, timeout=args.seconds + 120)
        cpu = sum(proc.cpu_times()[:2]) - before
        load_after = os.getloadavg()
    finally:
        server.terminate()
        server.wait(timeout=30)
        port_file.unlink(missing_ok=True)
    driven = json.loads(done.stdout)
    kinds = {k: summary(v) for k, v in driven["kinds"].items()}
    requests = sum(k["requests"] for k in kinds.values())
    alerts = sum(k["acknowledged"] for k in kinds.values())
    result = {
        "benchmark": "http_floor", "seconds": args.seconds, "rate": args.rate,
        "alerts_per_s": round(alerts / args.seconds), "requests": requests,
        "server_cpu_s": round(cpu, 1),
        "server_cpu_ms_per_request": round(cpu / max(requests, 1) * 1000, 2),
        "client_cpu_s": round(driven["cpu_s"], 1),
        "p99_ms": max(k["p99_ms"] for k in kinds.values()), "kinds": kinds,
        "goal_rate": GOAL_RATE, "goal_p99_ms": GOAL_P99_MS,
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in load_after], "machine": machine()}
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"HTTP floor: {result['alerts_per_s']} alerts/s, {requests} requests, server "
          f"CPU {result['server_cpu_s']} s ({result['server_cpu_ms_per_request']} ms a "
          f"request), clients {result['client_cpu_s']} s, load {result['load_before']} -> "
          f"{result['load_after']}")
    for name, k in kinds.items():
        print(f"  {name:<7} {k['requests']:>7,} requests  p50 {k['p50_ms']:6.1f}  "
              f"p95 {k['p95_ms']:6.1f}  p99 {k['p99_ms']:6.1f} ms")
    print(f"machine: {result['machine']}")


if __name__ == "__main__":
    main()
