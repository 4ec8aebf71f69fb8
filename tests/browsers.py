"""Chromium for browser tests: Debian's /usr/bin/chromium driven by Playwright, with the same flags
everywhere. Missing Chromium skips the test, except on CI (CI=true), where it fails."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


@contextmanager
def chromium() -> Iterator[Any]:
    """A launched Playwright browser, closed afterwards."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is missing at /usr/bin/chromium (scripts/setup --test installs it)")
        pytest.skip("Chromium is not installed at /usr/bin/chromium; run scripts/setup --test")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
