"""The browser client notices a snapshot lost after its commit and catches up by itself (Chromium)."""

from __future__ import annotations

from pathlib import Path

import pytest
from builders import PASSWORD
from servers import LiveClient, login_cookie

from .test_browser_session import DESKTOP, browser, partner_page, shot  # noqa: F401  (browser is a fixture)
from .test_missed_updates import HEARTBEAT, lossy_server  # noqa: F401  (lossy_server is a fixture)

pytestmark = pytest.mark.browser
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


def test_a_partner_whose_snapshots_are_lost_still_sees_every_step_in_the_browser(browser, lossy_server, couple,
                                                                                  session_id):
    from playwright.sync_api import expect

    page = partner_page(browser, lossy_server, couple.partner_b.email, DESKTOP)
    problems: list[str] = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(f"{lossy_server.url}/sessions/{session_id}")
    expect(page.get_by_role("heading", name="Welcome")).to_be_visible()
    alex = LiveClient(lossy_server.url, login_cookie(lossy_server.url, couple.partner_a.email, PASSWORD),
                      session_id).connect()
    try:
        expect(page.get_by_text("Alex: here")).to_be_visible()
        page.get_by_role("button", name="Continue").click()  # its own snapshot is lost: the ack's version shows the gap
        expect(page.get_by_role("button", name="Waiting for Alex…")).to_be_visible(timeout=2000)
        assert alex.act("ready", "welcome", {})["ok"]  # moves the step on; only a heartbeat can tell the page
        expect(page.get_by_role("heading", name="Check-in")).to_be_visible(timeout=(HEARTBEAT + 1.5) * 1000)
    finally:
        alex.close()
    shot(page, "live-caught-up-desktop")
    page.evaluate(AXE.read_text())  # evaluated by the browser's devtools protocol, beside the page's strict CSP
    violations = page.evaluate("axe.run().then((result) => result.violations.map((v) => [v.id, v.nodes.map((n) => n.html)]))")
    assert violations == [] and problems == [], (violations, problems)
