"""Two partners in two browser contexts (Playwright + Debian's Chromium) run a live session."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from builders import PASSWORD

from couples.domain.plan import Plan, PrivateAnswerStep, RatingItem, RatingStep, ReadStep, Scale, TurnsStep

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}

SHORT_PLAN = Plan(
    id="browser-plan",
    title="A short practice",
    steps=(
        ReadStep(id="hello", title="Welcome", body="Take a breath together.\n\nPress Continue when you are ready."),
        PrivateAnswerStep(id="hope", title="One hope", prompt="What do you hope for today?", max_length=300),
        TurnsStep(id="floor", title="Speaker and listener", turns=2, speaker_prompt="Say one thing on your mind",
                  listener_prompt="What did you hear?"),
    ),
)


@pytest.fixture
def plan():
    return SHORT_PLAN


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


def partner_page(browser, server, email: str, viewport: dict):
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.on("console", lambda message: print("console:", message.type, message.text))
    page.on("pageerror", lambda error: print("pageerror:", error))
    page.goto(f"{server.url}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r".*/home.*|.*/partner.*|.*/$"))
    return page


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_two_partners_complete_a_private_answer_and_a_turns_step_in_two_browsers(browser, server, couple, session_id):
    from playwright.sync_api import expect

    a = partner_page(browser, server, couple.partner_a.email, PHONE)
    b = partner_page(browser, server, couple.partner_b.email, DESKTOP)
    a.get_by_role("link", name="Join").click()
    b.goto(f"{server.url}/sessions/{session_id}")
    for page in (a, b):
        expect(page.get_by_role("heading", name="Welcome")).to_be_visible()
        expect(page.get_by_text("Step 1 of 3")).to_be_visible()
    expect(a.get_by_text("Sam: here")).to_be_visible()
    shot(a, "live-read-phone")

    for page in (a, b):
        page.get_by_role("button", name="Continue").click()
    expect(a.get_by_role("heading", name="One hope")).to_be_visible()

    a.get_by_label("What do you hope for today?").fill("To laugh together again")
    a.get_by_role("button", name="Share privately").click()
    expect(b.get_by_text("Alex has answered")).to_be_visible()
    expect(b.get_by_text("To laugh together again")).to_have_count(0)
    b.get_by_label("What do you hope for today?").fill("To feel heard")
    b.keyboard.press("Tab")
    b.keyboard.press("Enter")  # the submit button, reached with the keyboard alone
    for page in (a, b):
        expect(page.get_by_text("To laugh together again")).to_be_visible()
        expect(page.get_by_text("To feel heard")).to_be_visible()
    shot(a, "live-reveal-phone")
    shot(b, "live-reveal-desktop")
    for page in (a, b):
        page.get_by_role("button", name="Continue").click()

    for speaker, listener, words in ((a, b, "I miss our walks"), (b, a, "I worry about money")):
        expect(speaker.get_by_label("Say one thing on your mind")).to_be_visible()
        speaker.get_by_label("Say one thing on your mind").fill(words)
        speaker.get_by_role("button", name="Pass the floor").click()
        listener.get_by_label("What did you hear?").fill(f"You said: {words}")
        listener.get_by_role("button", name="Check my understanding").click()
        speaker.get_by_role("button", name="That's it").click()
    expect(a.get_by_text("All turns are done")).to_be_visible()
    shot(b, "live-turns-desktop")
    for page in (a, b):
        page.get_by_role("button", name="Continue").click()
    for page in (a, b):
        expect(page.get_by_text("You have finished this session")).to_be_visible()
    shot(a, "live-finished-phone")


RATING_PLAN = Plan(
    id="browser-rating",
    title="How it looks to each of you",
    steps=(
        RatingStep(id="signs", title="What you notice", items=(
            RatingItem("terse", "Short, clipped conversations"), RatingItem("plans", "Plans not being shared")),
            scale=Scale(0, 4, ("Never", "Rarely", "Sometimes", "Often", "Almost always"))),
    ),
)


@pytest.mark.parametrize("plan", [RATING_PLAN])
def test_ratings_are_revealed_side_by_side_with_the_biggest_difference_first(browser, server, couple, session_id):
    from playwright.sync_api import expect

    pages = {}
    for role, user, values in (("a", couple.partner_a, ("4", "1")), ("b", couple.partner_b, ("0", "1"))):
        page = pages[role] = partner_page(browser, server, user.email, PHONE)
        page.goto(f"{server.url}/sessions/{session_id}")
        for group, value in zip(("Short, clipped conversations", "Plans not being shared"), values):
            page.get_by_role("group", name=group).get_by_text(value, exact=False).first.check()
        page.get_by_role("button", name="Share my ratings").click()
    a = pages["a"]
    expect(a.get_by_text("You see this differently")).to_have_count(1)
    first = a.locator(".comparison li").first
    expect(first.get_by_role("heading")).to_have_text("Short, clipped conversations")
    expect(first).to_contain_text("4 · Almost always")
    expect(first).to_contain_text("0 · Never")
    expect(a.locator(".comparison")).not_to_contain_text("[object")
    shot(a, "live-rating-reveal-phone")
