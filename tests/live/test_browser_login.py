"""A workshop longer than the idle timeout, in two real browsers (Playwright + Debian's Chromium).

The server runs with a 40-second idle timeout. Alex keeps writing an answer for longer than that,
Sam leaves the device alone: Sam's page times out, closes its connection and asks for the
password. Then the server restarts, dropping Alex's connection near the end; Alex's page
reconnects by itself and carries on, and after logging in again Sam is back in the same session.
"""

from __future__ import annotations

import re
import time

import pytest
from builders import PASSWORD
from servers import live_server

from couples.domain.plan import Plan, PrivateAnswerStep, ReadStep

from browser import DESKTOP, PHONE, assert_accessible, shot

pytestmark = pytest.mark.browser

IDLE_SECONDS = 40
# Chromium reports every failed reconnection attempt while the server is down.
OUTAGE_NOISE = re.compile(r"WebSocket connection to .* failed|Failed to load resource: net::ERR_CONNECTION_REFUSED")

LONG_PLAN = Plan(
    id="longer-than-the-timeout",
    title="Longer than the idle timeout",
    steps=(
        PrivateAnswerStep(id="hope", title="One hope", prompt="What do you hope for today?", max_length=600),
        ReadStep(id="bye", title="Thank you", body="That is all for today."),
    ),
)


@pytest.fixture
def plan():
    return LONG_PLAN


@pytest.fixture
def server(app):
    """The real server with a 40-second idle timeout."""
    running = live_server(app.config["SQLALCHEMY_DATABASE_URI"],
                          extra_env={"COUPLES_IDLE_MINUTES": str(IDLE_SECONDS / 60)}).start()
    yield running
    running.stop()


class ConsoleWatch:
    """Collects console errors and page errors; network errors are expected only during an outage."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.outage = False

    def watch(self, page) -> None:
        page.on("console", lambda message: message.type == "error" and self.note(message.text))
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))

    def note(self, text: str) -> None:
        if not (self.outage and OUTAGE_NOISE.search(text)):
            self.errors.append(text)


def log_in(page, email: str) -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def open_session(browser, server, email: str, session_id: int, viewport: dict, console: ConsoleWatch):  # noqa: F811
    page = browser.new_context(viewport=viewport).new_page()
    console.watch(page)
    page.goto(f"{server.url}/login?next=/sessions/{session_id}")
    log_in(page, email)
    page.wait_for_url(f"**/sessions/{session_id}")
    return page


def test_acting_keeps_the_login_through_a_dropped_connection_and_an_idle_device_is_asked_to_log_in(
        browser, server, couple, session_id):  # noqa: F811
    from playwright.sync_api import expect

    console = ConsoleWatch()
    alex = open_session(browser, server, couple.partner_a.email, session_id, PHONE, console)
    sam = open_session(browser, server, couple.partner_b.email, session_id, DESKTOP, console)
    answer = alex.get_by_label("What do you hope for today?")
    expect(answer).to_be_visible()
    expect(sam.get_by_role("heading", name="One hope")).to_be_visible()

    started = time.monotonic()
    while time.monotonic() - started < IDLE_SECONDS * 1.3:  # Alex writes slowly, Sam's device lies idle
        answer.press_sequentially("slowly ", delay=150)
        alex.wait_for_timeout(2000)
    log_in_again = sam.get_by_role("link", name="Log in again to continue")
    expect(log_in_again).to_be_visible()  # Sam's page timed out by itself, before any drop
    expect(sam.locator("[data-live-session]")).to_have_attribute("data-connection", "signed-out")
    expect(alex.get_by_text(re.compile("Sam: (reconnecting|away)"))).to_be_visible()  # and closed its connection
    console.outage = True
    server.kill()
    server.start()

    # Reconnected, still logged in:
    expect(alex.locator("[data-live-session]")).to_have_attribute("data-connection", "connected", timeout=20000)
    console.outage = False
    alex.get_by_role("button", name="Save my answer").click()
    expect(alex.get_by_text("Sam is still answering")).to_be_visible()
    expect(log_in_again).to_be_visible()
    expect(sam.get_by_text("You have been signed out")).to_be_visible()
    shot(sam, "login-again-desktop")
    assert_accessible(sam)

    log_in_again.click()
    log_in(sam, couple.partner_b.email)
    sam.wait_for_url(f"**/sessions/{session_id}")
    expect(sam.get_by_text("Alex has answered")).to_be_visible()
    sam.get_by_label("What do you hope for today?").fill("To rest")
    sam.get_by_role("button", name="Save my answer").click()
    for page in (alex, sam):
        expect(page.get_by_text("To rest")).to_be_visible()
        expect(page.get_by_text("slowly slowly")).to_be_visible()
    shot(alex, "login-kept-phone")
    assert_accessible(alex)
    assert console.errors == []


def test_logging_out_on_one_device_asks_the_others_session_page_to_log_in_again(browser, server, couple,  # noqa: F811
                                                                               session_id):
    from playwright.sync_api import expect

    console = ConsoleWatch()
    phone = open_session(browser, server, couple.partner_a.email, session_id, PHONE, console)
    laptop = open_session(browser, server, couple.partner_a.email, session_id, DESKTOP, console)
    expect(phone.locator("[data-live-session]")).to_have_attribute("data-connection", "connected")

    laptop.get_by_role("button", name="Log out").click()

    expect(laptop.get_by_text("You are logged out.")).to_be_visible()
    expect(phone.get_by_role("link", name="Log in again to continue")).to_be_visible()
    expect(phone.get_by_text("You have been signed out")).to_be_visible()
    phone.reload()
    expect(phone.get_by_label("Password")).to_be_visible()  # the phone's own login ended too
    assert console.errors == []
