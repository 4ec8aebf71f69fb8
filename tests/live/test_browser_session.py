"""Two partners in two browser contexts (Playwright + Debian's Chromium) run a live session."""

from __future__ import annotations

import pytest
from browser import DESKTOP, PHONE, assert_accessible, logged_in_page, on_screen, shot
from builders import PASSWORD
from servers import LiveClient, login_cookie

from couples.domain.plan import Plan, PrivateAnswerStep, RatingItem, RatingStep, ReadStep, Scale, TurnsStep

from .conftest import HEARTBEAT

pytestmark = pytest.mark.browser

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


def assert_step_title_in_view(page) -> None:
    """A new step opens at its top: its title is on screen, below the sticky Quick-exit bar."""
    bar = page.locator(".quick-exit-bar").bounding_box()
    title = page.locator("#step-title").bounding_box()
    assert bar["y"] + bar["height"] <= title["y"] < page.viewport_size["height"], (bar, title)


def test_two_partners_complete_a_private_answer_and_a_turns_step_in_two_browsers(browser, server, couple, session_id, errors):
    from playwright.sync_api import expect

    a = logged_in_page(browser, server, couple.partner_a.email, PHONE, errors)
    b = logged_in_page(browser, server, couple.partner_b.email, DESKTOP, errors)
    a.get_by_role("link", name="Join").click()
    b.goto(f"{server.url}/sessions/{session_id}")
    for page in (a, b):
        expect(page.get_by_role("heading", name="Welcome")).to_be_visible()
        expect(page.get_by_text("Step 1 of 3")).to_be_visible()
    expect(a.get_by_text("Sam: here")).to_be_visible()
    shot(a, "live-read-phone")
    assert_accessible(a, "the live session page")

    a.get_by_role("button", name="Continue").click()
    expect(a.get_by_role("button", name="Waiting for Sam…")).to_be_disabled()
    expect(b.get_by_text("Alex is ready when you are.")).to_be_visible()
    b.get_by_role("button", name="Continue").click()
    expect(a.get_by_role("heading", name="One hope")).to_be_visible()
    assert_step_title_in_view(a)

    a.get_by_label("What do you hope for today?").fill("To laugh together again")
    a.get_by_role("button", name="Save my answer").click()
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
    assert_accessible(b, "a revealed private answer")
    for page in (a, b):
        page.get_by_role("button", name="Continue").click()

    for speaker, listener, words in ((a, b, "I miss our walks"), (b, a, "I worry about money")):
        expect(speaker.get_by_label("Say one thing on your mind")).to_be_visible()
        speaker.get_by_label("Say one thing on your mind").fill(words)
        speaker.get_by_role("button", name="Pass the floor").click()
        listener.get_by_label("What did you hear?").fill(f"You said: {words}")
        listener.get_by_role("button", name="Check my understanding").click()
        speaker.get_by_role("button", name="That's it").click()
    expect(on_screen(a, "All turns are done")).to_be_visible()
    shot(b, "live-turns-desktop")
    for page in (a, b):
        page.get_by_role("button", name="Continue").click()
    for page in (a, b):
        expect(page.get_by_text("You have finished this session")).to_be_visible()
    shot(a, "live-finished-phone")
    assert_accessible(a, "a finished session")


RATING_PLAN = Plan(
    id="browser-rating",
    title="How it looks to each of you",
    steps=(
        RatingStep(id="signs", title="What you notice", items=(
            RatingItem("terse", "Short, clipped conversations", "Talk that stays on logistics"),
            RatingItem("plans", "Plans not being shared", "Finding out about plans late"),
            *(RatingItem(f"sign-{n}", f"Another sign, number {n}", "An everyday example of it") for n in range(3, 7))),
            scale=Scale(0, 4, ("Never", "Rarely", "Sometimes", "Often", "Almost always"))),
    ),
)


@pytest.mark.parametrize("plan", [RATING_PLAN])
def test_ratings_are_revealed_side_by_side_with_the_biggest_difference_first(browser, server, couple, session_id, errors):
    from playwright.sync_api import expect

    pages = {}
    for role, user, values in (("a", couple.partner_a, ("4", "1")), ("b", couple.partner_b, ("0", "1"))):
        page = pages[role] = logged_in_page(browser, server, user.email, PHONE, errors)
        page.goto(f"{server.url}/sessions/{session_id}")
        for group, value in zip(("Short, clipped conversations", "Plans not being shared"), values, strict=True):
            page.get_by_role("group", name=group).get_by_text(value, exact=False).first.check()
        for n in range(3, 7):
            page.get_by_role("group", name=f"Another sign, number {n}").get_by_text("2", exact=False).first.check()
        if role == "a":
            form_height = page.locator(".answer-form").bounding_box()["height"]
            assert form_height < 2000, f"six rating items take {form_height} px on a phone"
            shot(page, "live-rating-form-phone")
            assert_accessible(page, "a rating form")
        page.get_by_role("button", name="Share my ratings").click()
    a = pages["a"]
    expect(a.get_by_text("You see this differently")).to_have_count(1)
    first = a.locator(".comparison li").first
    expect(first.get_by_role("heading")).to_have_text("Short, clipped conversations")
    expect(first).to_contain_text("4 · Almost always")
    expect(first).to_contain_text("0 · Never")
    expect(a.locator(".comparison")).not_to_contain_text("[object")
    shot(a, "live-rating-reveal-phone")


def test_the_counselor_follows_every_step_without_a_script_error(browser, server, couple, session_id, errors):
    """The counselor's page has no support panel; updates must still render and move focus."""
    from playwright.sync_api import expect

    counselor = logged_in_page(browser, server, couple.counselor.email, DESKTOP, errors)
    counselor.goto(f"{server.url}/sessions/{session_id}")
    expect(counselor.get_by_role("heading", name="Welcome")).to_be_visible()
    partners = [logged_in_page(browser, server, user.email, PHONE, errors) for user in (couple.partner_a, couple.partner_b)]
    for page in partners:
        page.goto(f"{server.url}/sessions/{session_id}")
        page.get_by_role("button", name="Continue").click()
    expect(counselor.get_by_role("heading", name="One hope")).to_be_visible()
    expect(counselor.get_by_role("heading", name="One hope")).to_be_focused()
    shot(counselor, "live-counselor-desktop")
    assert_accessible(counselor, "the counselor's live session page")


def test_a_partner_whose_snapshots_are_lost_still_sees_every_step_in_the_browser(browser, lossy_server, couple,
                                                                                  session_id, errors):
    from playwright.sync_api import expect

    page = logged_in_page(browser, lossy_server, couple.partner_b.email, DESKTOP, errors)
    page.goto(f"{lossy_server.url}/sessions/{session_id}")
    expect(page.get_by_role("heading", name="Welcome")).to_be_visible()
    alex = LiveClient(lossy_server.url, login_cookie(lossy_server.url, couple.partner_a.email, PASSWORD),
                      session_id).connect()
    try:
        expect(page.get_by_text("Alex: here")).to_be_visible()
        page.get_by_role("button", name="Continue").click()  # its own snapshot is lost: the ack's version shows the gap
        expect(page.get_by_role("button", name="Waiting for Alex…")).to_be_visible(timeout=2000)
        assert alex.act("ready", "hello", {})["ok"]  # moves the step on; only a heartbeat can tell the page
        expect(page.get_by_role("heading", name="One hope")).to_be_visible(timeout=(HEARTBEAT + 1.5) * 1000)
    finally:
        alex.close()
    shot(page, "live-caught-up-desktop")
    assert_accessible(page, "a page that caught up")
