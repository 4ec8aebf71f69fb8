"""Browser tests' shared parts: Debian's Chromium through Playwright, screenshots, axe-core."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


def chromium() -> Iterator[Any]:
    """A launched Chromium for a module-scoped fixture (skipped where it is missing, failed on CI)."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is missing at /usr/bin/chromium (scripts/setup --test installs it)")
        pytest.skip("Chromium is not installed at /usr/bin/chromium; run scripts/setup --test")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def shot(page: Any, name: str) -> None:
    """A full-page screenshot in test-artifacts/."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def accessibility_problems(page: Any) -> list[str]:
    """axe-core's violations on the page as it is now. axe is evaluated through the DevTools
    protocol, which the page's CSP does not govern (a script tag would be refused by it)."""
    page.evaluate(AXE.read_text())
    return page.evaluate(
        "axe.run().then(r => r.violations.map(v => `${v.id}: ${v.help}: ${v.nodes.map(n => n.target).join(', ')}`))")
