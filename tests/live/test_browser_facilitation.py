"""The counselor facilitates a live session in a real browser (keyboard only), while both partners
watch on a phone and a desktop: a note, a timer extended, a step back and forward, and the end."""

from __future__ import annotations

import re

import pytest
from browser import DESKTOP, PHONE, assert_accessible, logged_in_page, shot

from couples.domain.plan import Plan, PrivateAnswerStep, ReadStep, TimerStep

pytestmark = pytest.mark.browser

FACILITATED = Plan(
    id="facilitated",
    title="A facilitated practice",
    steps=(
        ReadStep(id="hello", title="Welcome", body="Take a breath together."),
        TimerStep(id="breathe", title="Breathe", seconds=60),
        PrivateAnswerStep(id="hope", title="One hope", prompt="What do you hope for today?", max_length=300),
        ReadStep(id="bye", title="Closing", body="Thank you."),
    ),
)


@pytest.fixture
def plan():
    return FACILITATED


def press(page, name: str) -> None:
    """Reach a button with the keyboard alone: focus it as Tab would, then press Enter."""
    page.get_by_role("button", name=name).focus()
    page.keyboard.press("Enter")


def test_the_counselor_facilitates_and_both_partners_follow(browser, server, couple, session_id, errors):
    from playwright.sync_api import expect

    counselor = logged_in_page(browser, server, couple.counselor.email, DESKTOP, errors)
    a = logged_in_page(browser, server, couple.partner_a.email, PHONE, errors)
    b = logged_in_page(browser, server, couple.partner_b.email, DESKTOP, errors)
    partners = (a, b)
    for page in (counselor, *partners):
        page.goto(f"{server.url}/sessions/{session_id}")
        expect(page.get_by_role("heading", name="Welcome")).to_be_visible()
    expect(counselor.get_by_role("heading", name="Facilitate", exact=True)).to_be_visible()
    expect(a.get_by_role("heading", name="Facilitate", exact=True)).to_have_count(0)
    assert_accessible(counselor, "the counselor's session page with its controls")

    counselor.get_by_label("A short note both partners see").fill("Take your time, both of you.")
    press(counselor, "Show to both")
    for page in partners:
        expect(page.get_by_role("complementary", name="A note from your counselor")).to_contain_text("Take your time, both of you.")
        expect(page.locator("[data-announcer]")).to_have_text("A note from your counselor: Take your time, both of you.")
    shot(a, "facilitate-note-phone")
    assert_accessible(a, "a partner's page with the counselor's note")

    press(counselor, "Pause for both")
    expect(a.locator("[data-announcer]")).to_have_text("Paused by your counselor.")
    expect(counselor.get_by_role("button", name="Forward one step")).to_be_disabled()
    press(counselor, "Resume")
    expect(b.locator("[data-announcer]")).to_have_text("The session continues.")

    press(counselor, "Forward one step")
    for page in partners:
        expect(page.get_by_role("heading", name="Breathe")).to_be_visible()
    press(counselor, "+2 minutes")
    expect(a.get_by_role("timer")).to_have_text(re.compile(r"^2:5\d$"))
    shot(counselor, "facilitate-timer-desktop")
    assert_accessible(counselor, "the counselor's controls on a timer step")

    press(counselor, "Back one step")
    for page in partners:
        expect(page.get_by_role("heading", name="Welcome")).to_be_visible()
    press(counselor, "Forward one step")
    expect(counselor.get_by_role("heading", name="Breathe")).to_be_visible()
    press(counselor, "Forward one step")
    for page in partners:
        expect(page.get_by_role("heading", name="One hope")).to_be_visible()
    # The counselor's own page moves its focus to the new step when its snapshot arrives: wait for
    # it, or that move can land between focusing "End the session" and pressing Enter.
    expect(counselor.get_by_role("heading", name="One hope")).to_be_visible()

    press(counselor, "End the session")
    expect(counselor.get_by_role("button", name="Keep going")).to_be_focused()
    counselor.keyboard.press("Escape")
    expect(counselor.get_by_role("button", name="End the session")).to_be_focused()
    press(counselor, "End the session")
    shot(counselor, "facilitate-end-confirm-desktop")
    press(counselor, "Yes, end it")
    for page in partners:
        expect(page.get_by_role("heading", name="Your counselor ended this session for today")).to_be_visible()
        expect(page.get_by_role("link", name="Write your summary together")).to_be_visible()
    expect(counselor.get_by_role("heading", name="You ended this session")).to_be_visible()
    expect(a.get_by_role("complementary", name="A note from your counselor")).to_be_hidden()
    expect(counselor.get_by_role("heading", name="Facilitate", exact=True)).to_be_hidden()
    shot(b, "facilitate-ended-desktop")
    assert_accessible(b, "a session the counselor ended")
    assert_accessible(counselor, "the counselor's page of a session they ended")
