"""The transparency report's HTML page in headless Chromium (Debian's
``/usr/bin/chromium`` driven by Playwright), opened from a file with every network
request refused: the chart is drawn from the inline spec and scripts, and nothing fails
in the console."""

from __future__ import annotations

from pathlib import Path

import pytest

from access.conftest import make_world
from access.test_report import populate
from helpers.runtime import require
from watchkeeper.ops.period import Period

pytestmark = pytest.mark.browser
CHROMIUM = Path("/usr/bin/chromium")


def test_the_page_draws_its_chart_offline(tmp_path: Path) -> None:
    require(CHROMIUM.exists(), f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require(False, "the playwright package is not installed (pip install playwright)")
        raise
    world = make_world(tmp_path, None)
    populate(world)
    page_file = tmp_path / "report.html"
    world.ws.access_report_write(world.ws.access_report(Period.parse("2026-06")), html=page_file)
    world.ws.close_state()
    world.ws.lake.close()
    problems: list[str] = []
    fetched: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        page = browser.new_page()
        page.route(
            "**/*",
            lambda route: (
                route.continue_()
                if route.request.url.startswith("file:")
                else (fetched.append(route.request.url), route.abort())[1]
            ),
        )
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.goto(page_file.as_uri())
        page.wait_for_selector("#chart canvas, #chart svg", timeout=30_000)
        marks = page.evaluate("document.querySelectorAll('#chart canvas, #chart svg').length")
        browser.close()
    assert marks >= 1 and problems == [] and fetched == []
