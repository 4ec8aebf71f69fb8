"""Two partners in two browsers finish a short workshop, then write and sign their summary together."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from builders import PASSWORD

from couples.domain.plan import Plan, ReadStep
from couples.extensions import db
from couples.models import Couple, User
from couples.services import live

pytestmark = [pytest.mark.browser, pytest.mark.live]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}

ONE_STEP = Plan(id="browser-summary", title="A very short practice",
                steps=(ReadStep(id="hello", title="Welcome", body="Take a breath together."),))


@pytest.fixture
def session_id(app, couple) -> int:
    """A live session of a one-step plan, still under way: the partners finish it in the browser."""
    with app.app_context():
        return live.start_plan(db.session.get(User, couple.partner_a_id), db.session.get(Couple, couple.id), ONE_STEP).id


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is missing at /usr/bin/chromium (scripts/setup --test installs it)")
        pytest.skip("Chromium is not installed at /usr/bin/chromium; run scripts/setup --test")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def partner_page(browser, server, email: str, viewport: dict, problems: list[str]):
    page = browser.new_context(viewport=viewport).new_page()
    page.on("console", lambda message: message.type == "error" and problems.append(f"{email}: {message.text}"))
    page.on("pageerror", lambda error: problems.append(f"{email}: {error}"))
    page.goto(f"{server.url}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r".*/partner.*"))
    return page


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def accessibility_problems(page) -> list[str]:
    """axe-core's violations on the page as it is now (evaluated through the DevTools protocol,
    which the page's CSP does not govern)."""
    page.evaluate(AXE.read_text())
    return page.evaluate("axe.run().then(r => r.violations.map(v => `${v.id}: ${v.help}: ${v.nodes.map(n => n.target).join(', ')}`))")


def live_ready(page) -> None:
    from playwright.sync_api import expect

    expect(page.locator("[data-summary].summary-live")).to_have_count(1)


def section(page, name: str):
    return page.get_by_role("region", name=name)


def test_two_partners_finish_a_workshop_then_write_and_sign_their_summary_together(browser, server, couple,
                                                                                    session_id):
    from playwright.sync_api import expect

    problems: list[str] = []
    a = partner_page(browser, server, couple.partner_a.email, PHONE, problems)
    b = partner_page(browser, server, couple.partner_b.email, DESKTOP, problems)
    for page in (a, b):
        page.goto(f"{server.url}/sessions/{session_id}")
        page.get_by_role("button", name="Continue").click()
    for page in (a, b):
        page.get_by_role("link", name="Write your summary together").click()
        expect(page.get_by_role("heading", name="Our summary of A very short practice")).to_be_visible()
        live_ready(page)
    shot(a, "summary-empty-phone")

    commit = section(a, "What we commit to")
    commit.get_by_text("Add a point").click()
    commit.get_by_label("Your point").fill("We will walk")
    commit.get_by_label("Who sees it").select_option(label="Both of us and our counselor")
    commit.get_by_role("button", name="Add").click()
    live_ready(a)
    hard = section(a, "What was hard")
    hard.get_by_text("Add a point").click()
    hard.get_by_label("Your point").fill("ALEX-PRIVATE worry")
    hard.get_by_label("Who sees it").select_option(label="Only me")
    hard.get_by_role("button", name="Add").click()
    live_ready(a)

    # b's page redraws by itself (b is not typing) and shows the shared item, not the private one.
    b_item = section(b, "What we commit to").get_by_label("Text of this item")
    expect(b_item).to_have_value("We will walk")
    live_ready(b)
    expect(b.get_by_text("ALEX-PRIVATE")).to_have_count(0)

    # Both type in the same item at once: a at the end, b at the start. Nobody loses a letter.
    a_item = section(a, "What we commit to").get_by_label("Text of this item")
    a_item.focus()
    a.keyboard.press("End")
    b_item.focus()
    b.keyboard.press("Control+Home")
    a_item.press_sequentially(" on Sundays", delay=40)
    b_item.press_sequentially("Together: ", delay=40)
    merged = "Together: We will walk on Sundays"
    expect(a_item).to_have_value(merged)
    expect(b_item).to_have_value(merged)
    b_item.press_sequentially("!", delay=40)  # b's caret stayed where b was typing
    expect(a_item).to_have_value("Together: !We will walk on Sundays")
    b_item.press("Backspace")
    expect(a_item).to_have_value(merged)
    expect(b.get_by_text("Alex is typing")).to_have_count(1)
    shot(b, "summary-co-editing-desktop")

    a.get_by_role("button", name="Sign this version").click()
    expect(a.get_by_text("You signed this version. Waiting for Sam.")).to_be_visible()
    # b was typing when a signed: b's page says so instead of redrawing under b's fingers.
    b.get_by_role("link", name="Show the changes").click()
    expect(b.get_by_text("Alex signed this version")).to_be_visible()
    b.get_by_role("button", name="Sign this version").click()
    for page in (a, b):
        expect(page.get_by_text("You both signed this summary")).to_be_visible()
        copy = page.get_by_role("region", name="What your counselor sees")
        expect(copy).to_contain_text(merged)
        expect(copy).not_to_contain_text("ALEX-PRIVATE")
    shot(a, "summary-signed-phone")
    shot(b, "summary-signed-desktop")
    assert "ALEX-PRIVATE" not in b.content()
    for page in (a, b):
        assert accessibility_problems(page) == []
    assert problems == []
