"""The dashboard in headless Chromium (``/usr/bin/chromium``, Playwright) on a real
workspace (the demo's): the overview's time until every chart reports drawn, and the
screenshots of every page in light and dark at 1,366 x 768 (`make screenshots`).

    python benchmarks/web_browser.py shots [--workspace demo-data/workspace]
        [--out docs/images]
    python benchmarks/web_browser.py time [--workspace demo-data/workspace] [--calls 10]

The service runs in this process (uvicorn on a free local port, a thread) over the
workspace, its clock at the lake's newest event (the demo's data is of the past, and
"the last 30 days" should hold it); an admin account ``demo`` (password below, made
when missing) signs in, so every page, the audit trail included, has something to
show. The case page shows a case opened from the newest alert (made when the
workspace has none). Screenshots are of the viewport (the overview: the whole page),
PNG, palette-reduced (Pillow).
"""

from __future__ import annotations

import argparse
import contextlib
import re
import statistics
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from watchkeeper.workspace import Workspace

CHROMIUM = "/usr/bin/chromium"
ACCOUNT, PASSWORD = "demo", "demo dashboard password"
DRAWN = ("() => Array.from(document.querySelectorAll('div.vega'))"
         ".every(e => e.dataset.rendered === '1')")


@contextlib.contextmanager
def served(workspace: Path) -> Iterator[tuple[str, Workspace]]:
    """The service over `workspace` on 127.0.0.1 (a free port), with the account."""
    import uvicorn

    from queue_data import span_of
    from watchkeeper.api import create_app
    from watchkeeper.ops.clock import FixedClock
    ws = Workspace.open(workspace, create=False)
    ws.clock = FixedClock(span_of(ws.lake)[1])   # "the last 30 days": the data's last 30
    accounts = ws.accounts()
    if not any(u.name == ACCOUNT for u in accounts.users.list()):
        accounts.users.add(ACCOUNT, "admin", [], password=PASSWORD)
    server = uvicorn.Server(uvicorn.Config(create_app(ws), host="127.0.0.1", port=0,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(600):
        if server.started:
            break
        time.sleep(0.1)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", ws
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@contextlib.contextmanager
def browser_page() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True)
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        try:
            yield page
        finally:
            browser.close()


def sign_in(page: Any, base: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Account").fill(ACCOUNT)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def drawn_ms(page: Any, url: str) -> float:
    """Load `url` and wait until its charts are drawn: ms since navigation start."""
    page.goto(url)
    page.wait_for_function(DRAWN, timeout=60_000)
    return float(page.evaluate("performance.now()"))


def overview_drawn(workspace: str | Path, calls: int = 10) -> dict[str, float]:
    """p50/p95 of the overview (30 days) drawn in Chromium, after one warm-up."""
    with served(Path(workspace)) as (base, _), browser_page() as page:
        sign_in(page, base)
        drawn_ms(page, f"{base}/")
        walls = [drawn_ms(page, f"{base}/") for _ in range(calls)]
    ordered = sorted(walls)
    return {"p50_ms": round(statistics.median(walls), 1),
            "p95_ms": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 1),
            "calls": calls}


def shots(workspace: Path, out: Path) -> list[Path]:
    """Every page in light and dark into `out` (``NAME-light.png``, ``NAME-dark.png``)."""
    out.mkdir(parents=True, exist_ok=True)
    made: list[Path] = []
    with served(workspace) as (base, ws), browser_page() as page:
        sign_in(page, base)
        queue = page.goto(f"{base}/alerts")
        assert queue is not None
        ids = re.findall(r'data-id="(\d+)"', page.content())
        case = _a_case(ws, int(ids[0])) if ids else None
        person = re.search(r'href="(/people/[^"]+)"', page.content())
        wanted = {"overview": "/", "queue": "/alerts",
                  "alert": f"/alerts/{ids[0]}" if ids else None,
                  "case": f"/cases/{case}" if case else None,
                  "person": person.group(1) if person else None,
                  "rules": "/rules", "sources": "/sources", "audit": "/audit"}
        for name, path in wanted.items():
            if path is None:
                print(f"{name}: nothing to show, skipped", file=sys.stderr)
                continue
            for scheme in ("light", "dark"):
                page.emulate_media(color_scheme=scheme)
                page.goto(f"{base}{path}")
                with contextlib.suppress(Exception):
                    page.wait_for_function(DRAWN, timeout=30_000)
                target = out / f"{name}-{scheme}.png"
                page.screenshot(path=str(target), full_page=name == "overview")
                _shrink(target)
                made.append(target)
    return made


def _a_case(ws: Workspace, alert: int) -> int:
    from watchkeeper.cases.repository import CaseFilter
    from watchkeeper.cases.service import CaseNew
    viewer = ws.case_viewer(ACCOUNT)
    found = ws.cases_list(viewer, CaseFilter(), limit=1)
    if found.items:
        return int(found.items[0].id)
    return ws.case_create(viewer, CaseNew("Demo case", alerts=(alert,))).id


def _shrink(path: Path) -> None:
    """A palette PNG (256 colours) when Pillow is there: a third of the size or less."""
    try:
        from PIL import Image
    except ImportError:
        return
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("what", choices=("shots", "time"))
    parser.add_argument("--workspace", type=Path, default=Path("demo-data/workspace"))
    parser.add_argument("--out", type=Path, default=Path("docs/images"))
    parser.add_argument("--calls", type=int, default=10)
    args = parser.parse_args()
    if args.what == "shots":
        for made in shots(args.workspace, args.out):
            print(f"{made} {made.stat().st_size // 1024} KiB")
    else:
        print(overview_drawn(args.workspace, args.calls))


if __name__ == "__main__":
    main()
