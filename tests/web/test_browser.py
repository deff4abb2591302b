"""The dashboard end to end in headless Chromium (Debian's ``/usr/bin/chromium``, driven
by Playwright; no browser is downloaded), against a real uvicorn server on 127.0.0.1
port 0: sign in, filter the queue, open an alert with the keyboard, group it into a
case, write a root-cause note, resolve with a verdict, reveal an identity with a reason
and find it in the audit trail, sign out. Any browser console error fails the test."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from helpers.runtime import require
from watchkeeper.ops.clock import FixedClock
from web.world import NOW, PASSWORD, build_world

pytestmark = pytest.mark.browser
CHROMIUM = Path("/usr/bin/chromium")
#: a folder named here gets each page of the walk as NAME-light.png and NAME-dark.png
#: (1,366 x 768); `make screenshots` takes the demo workspace's instead (web_browser.py)
SHOTS = os.environ.get("WATCHKEEPER_SCREENSHOTS")


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, str]]:
    """The dashboard served by uvicorn on a free port; yields its address and the
    pseudonym of the alerts' subject."""
    import uvicorn

    from watchkeeper.api import create_app
    monkeypatch.delenv("WATCHKEEPER_DATABASE_URL", raising=False)
    ws, alerts = build_world(tmp_path / "ws", None)
    ws.clock = FixedClock(NOW - timedelta(hours=3))          # soc-eu's shift: 06-12 UTC
    ws.shifts_set("soc-eu", "UTC", ["mon-sun 06:00-12:00"])
    ws.clock = FixedClock(NOW + timedelta(minutes=5))        # its shift is over
    ws.handoffs_due()                                        # the hand-off page's
    config = uvicorn.Config(create_app(ws), host="127.0.0.1", port=0, log_level="warning",
                            lifespan="on")
    served = uvicorn.Server(config)
    thread = threading.Thread(target=served.run, daemon=True)
    thread.start()
    for _ in range(600):          # up to a minute on a loaded machine
        if served.started:
            break
        time.sleep(0.1)
    assert served.started, "uvicorn did not start"
    port = served.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", alerts.subject
    finally:
        served.should_exit = True
        thread.join(timeout=30)


def test_a_lead_works_an_alert_to_a_resolved_case(server: tuple[str, str]) -> None:
    require(CHROMIUM.exists(), f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        require(False, "the playwright package is not installed (pip install playwright)")
        raise
    base, subject = server
    problems: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
                if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        page.on("response", lambda r: problems.append(f"{r.status} {r.url}")
                if r.status >= 400 else None)
        _flow(page, expect, base, subject)
        browser.close()
    assert problems == []


def _flow(page: Any, expect: Any, base: str, subject: str) -> None:
    page.goto(f"{base}/")
    expect(page).to_have_url(f"{base}/login?next=%2F")
    page.get_by_label("Account").fill("lee")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#alerts-chart svg")).to_be_visible()    # Vega drew the overview
    levels = page.locator("#service-levels table")              # HTMX loaded it
    expect(levels).to_contain_text("soc-eu")
    expect(levels).to_contain_text("Every team")
    background = "getComputedStyle(document.body).backgroundColor"
    assert page.evaluate(background) == "rgb(255, 255, 255)"
    page.emulate_media(color_scheme="dark")                       # prefers-color-scheme
    assert page.evaluate(background) == "rgb(13, 17, 23)"
    page.emulate_media(color_scheme="light")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Alerts").click()
    expect(page.locator("tr.alert-row")).to_have_count(3)
    _fits(page)
    _shot(page, "queue")
    page.get_by_label("high").check()
    page.get_by_role("button", name="Filter").click()             # HTMX swaps the table
    expect(page.locator("tr.alert-row")).to_have_count(1)
    assert "severity=4" in page.url
    page.keyboard.press("j")
    page.keyboard.press("o")                                      # open the focused alert
    expect(page.get_by_role("heading", level=1)).to_contain_text("USB copy by")
    _shot(page, "alert")

    page.get_by_role("button", name="Group into a case").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Case #")
    expect(page.locator("#timeline-chart svg")).to_be_visible()
    _fits(page)
    page.get_by_label("Note (Markdown)").fill("Copied the roadmap to a USB stick.")
    page.locator("#n-template").check()
    page.get_by_role("button", name="Add note").click()
    expect(page.locator("article.note")).to_contain_text("## Root cause")
    page.locator("#r-verdict").select_option("true_positive")
    page.get_by_role("button", name="Resolve").click()
    expect(page.locator("#case-verdict")).to_have_text("true_positive")
    expect(page.locator("#case-status")).to_have_text("resolved")
    expect(page.get_by_role("heading", name="Playbook runs")).to_be_visible()
    expect(page.locator("table.runs")).to_contain_text("No playbook ran on this case.")
    _shot(page, "case")

    page.locator("dl.facts").get_by_role("link", name=subject).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Person {subject}")
    page.locator("#reveal-reason").fill("case 1: HR asked who copied the roadmap")
    page.get_by_role("button", name="Reveal identity").click()
    expect(page.locator("#identity")).to_contain_text("Calvin Love")
    trail = page.locator("table.trail")
    expect(trail).to_contain_text("person.reveal")
    expect(trail).to_contain_text("case 1: HR asked who copied the roadmap")
    _shot(page, "person-revealed")
    for name in ("rules", "sources"):
        page.goto(f"{base}/{name}")
        _shot(page, name)
    page.goto(f"{base}/")
    _shot(page, "overview")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Hand-off").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hand-off to soc-eu")
    expect(page.locator("#handoff-state")).to_contain_text("pending")
    _fits(page)
    _shot(page, "handoff")
    page.locator("#do-ack").focus()
    page.keyboard.press("Enter")                                  # by keyboard
    expect(page.locator("#handoff-state")).to_contain_text("acknowledged by lee")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Alerts").click()
    expect(page.locator("tr.alert-row")).to_have_count(3)
    page.keyboard.press("j")
    page.keyboard.press("j")
    expect(page.locator("tr.alert-row").nth(1)).to_be_focused()
    page.keyboard.press("a")                                      # assign to me
    expect(page.get_by_role("status").first).to_contain_text("assigned to lee")

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{base}/login")
    page.goto(f"{base}/alerts")
    expect(page).to_have_url(f"{base}/login?next=%2Falerts")


def _fits(page: Any) -> None:
    """No sideways scrolling at 1,366 pixels."""
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366


def _shot(page: Any, name: str) -> None:
    """Save the page in the light and the dark scheme (only under `make screenshots`)."""
    if not SHOTS:
        return
    folder = Path(SHOTS)
    folder.mkdir(parents=True, exist_ok=True)
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        page.wait_for_timeout(500)      # app.js redraws the charts in the scheme's colours
        page.screenshot(path=str(folder / f"{name}-{scheme}.png"), full_page=True)
    page.emulate_media(color_scheme="light")
