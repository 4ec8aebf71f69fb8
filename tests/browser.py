"""Browser test helpers: Debian's Chromium under Playwright, pages that fail on any console error,
axe-core checks and screenshots in ``test-artifacts/``."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from builders import PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


def launch_chromium() -> Iterator[object]:
    """A headless Chromium for one test module; skipped when missing (a failure under CI=true)."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is missing at /usr/bin/chromium (scripts/setup --test installs it)")
        pytest.skip("Chromium is not installed at /usr/bin/chromium; run scripts/setup --test")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class ConsoleErrors(list):
    """Every console error and uncaught exception a page produced; tests assert it stays empty."""

    def watch(self, page) -> None:
        """Collect ``page``'s errors from now on."""
        page.on("console", lambda message: message.type == "error" and self.append(f"console: {message.text}"))
        page.on("pageerror", lambda error: self.append(f"pageerror: {error}"))


def logged_in_page(browser, server, email: str, viewport: dict, errors: ConsoleErrors | None = None):
    """A new browser context logged in as ``email``, its errors collected in ``errors`` (when the
    test watches them itself, it passes none)."""
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    if errors is not None:
        errors.watch(page)
    page.goto(f"{server.url}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r".*/home.*|.*/partner.*|.*/counselor.*|.*/$"))
    return page


def accessibility_violations(page) -> list[str]:
    """axe-core's violations (WCAG 2.2 AA and best practice) on what ``page`` shows now."""
    # evaluate() runs outside the page's CSP, which (rightly) refuses injected script tags.
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in result["violations"]]


def assert_accessible(page, name: str | None = None) -> None:
    """Fail on any axe-core violation on what ``page`` shows now."""
    problems = accessibility_violations(page)
    assert not problems, f"axe-core found problems on {name or page.url}:\n" + json.dumps(problems, indent=1)


def shot(page, name: str) -> None:
    """A full-page screenshot in ``test-artifacts/<name>.png``."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def on_screen(page, text: str):
    """The page's elements showing ``text``, leaving out the screen-reader announcer (``[data-announcer]``,
    visually hidden), which repeats a status such as "All turns are done." for a moment."""
    return page.get_by_text(text).and_(page.locator(":not([data-announcer])"))
