"""A counselor builds an exercise in a real browser, mostly by keyboard: five step kinds, a preview,
save, a session started with it, an edit and retiring it. No console error, no axe violation."""

from __future__ import annotations

import re

import pytest
from browser import DESKTOP, PHONE, ConsoleErrors, assert_accessible, logged_in_page, shot
from builders import make_counselor, make_couple

pytestmark = pytest.mark.browser

TITLE = "Good moments"


@pytest.fixture
def errors():
    """Console errors of every page the test opens; none may occur."""
    collected = ConsoleErrors()
    yield collected
    assert collected == [], collected


@pytest.fixture
def couple(app):
    with app.app_context():
        return make_couple(make_counselor())


def add_step(page, kind: str, title: str) -> None:
    """Add a step with the keyboard: choose its kind, press the Add button; the new step's title box has
    the focus, so its title is typed straight in."""
    from playwright.sync_api import expect

    number = page.locator(".builder-step").count()
    page.locator("#new_kind").select_option(kind)
    page.locator("#add-step").focus()
    page.keyboard.press("Enter")
    expect(page.locator(f"#steps-{number}-title")).to_be_focused()
    page.keyboard.type(title)


def test_a_counselor_builds_previews_saves_uses_edits_and_retires_an_exercise(browser, server, couple, errors):
    from playwright.sync_api import expect

    page = logged_in_page(browser, server, couple.counselor.email, DESKTOP, errors)
    page.goto(f"{server.url}/counselor/library/")
    page.get_by_role("link", name="New exercise").click()
    expect(page.get_by_role("heading", name="New exercise")).to_be_visible()
    assert_accessible(page, "the empty builder")

    page.locator("#title").fill(TITLE)
    page.locator("#summary").fill("Each of you notes good moments, then you share them.")
    page.locator("#minutes").fill("12")
    page.locator("#roles").fill("Each partner writes alone first; then you read together.")
    page.locator("#steps-0-title").fill("Why small things matter")
    page.locator("#steps-0-body").fill("Noticing small good moments helps them count.")

    with page.expect_request(lambda request: request.method == "POST" and "action=check" in (request.post_data or "")):
        page.locator("#minutes").press("Enter")  # Enter checks the exercise; it neither saves nor moves a step
    page.wait_for_load_state()
    expect(page.locator("#minutes")).to_have_value("12")
    expect(page.locator("#steps-0-title")).to_have_value("Why small things matter")
    expect(page.locator("#problems")).to_have_count(0)
    expect(page.locator("#checked")).to_be_focused()

    add_step(page, "private_answer", "Three good moments")
    page.locator("#steps-1-prompt").fill("This week I liked it when…")
    expect(page.locator("#steps-1-options")).to_be_hidden()  # only for answers picked from a list
    page.locator("#steps-1-answer").select_option("choice")
    expect(page.locator("#steps-1-options")).to_be_visible()
    page.locator("#steps-1-answer").select_option("text")

    add_step(page, "rating", "How close we feel")
    page.locator("#steps-2-items").fill("Feeling heard | when I talk, you listen\nTime together")
    page.locator("#steps-2-scale_labels").fill("never\nrarely\nsometimes\noften\nalways")

    add_step(page, "agree", "One small plan")
    page.locator("#steps-3-options").fill("A walk on Sunday\nCooking together")

    add_step(page, "timer", "Let it land")
    page.locator("#steps-4-seconds").fill("5")  # too short: the problem is shown beside the field

    page.get_by_role("button", name="Save exercise").click()
    summary = page.locator("#problems")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Step 5, Length in seconds: expected an integer from 10 to 3600.")
    expect(page.locator("#steps-4-seconds-error")).to_be_visible()
    expect(page.locator("#steps-2-items")).to_have_value("Feeling heard | when I talk, you listen\nTime together")
    assert_accessible(page, "the builder with a problem")
    shot(page, "builder-problem-desktop")
    page.locator("#steps-4-seconds").fill("60")

    # The timer moves up before the agreement, by keyboard.
    page.get_by_role("button", name="Move up step 5").focus()
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    expect(page.get_by_role("button", name="Move up step 4")).to_be_focused()
    expect(page.locator("input[name=steps-3-kind]")).to_have_value("timer")

    # Remove a step by mistake, and bring it back whole with Undo (which takes the focus).
    page.get_by_role("button", name="Remove step 2").click()
    expect(page.get_by_role("status").filter(has_text="Removed step 2")).to_be_visible()
    expect(page.get_by_role("button", name="Undo")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#steps-1-prompt")).to_have_value("This week I liked it when…")

    page.get_by_role("button", name="Preview step 3").click()
    preview = page.locator("[data-preview]")
    expect(page.locator("#preview-heading")).to_be_focused()
    expect(preview.get_by_role("heading", name="How close we feel")).to_be_visible()
    expect(preview.get_by_role("group", name="Feeling heard")).to_be_visible()
    expect(preview.get_by_role("button", name="Share my ratings")).to_be_visible()
    assert_accessible(page, "the rating preview")
    shot(page, "builder-preview-rating-desktop")

    page.get_by_role("button", name="Preview step 5").click()
    expect(page.locator("[data-preview]").get_by_role("button", name="Choose")).to_be_visible()
    assert_accessible(page, "the agree preview")

    page.get_by_role("button", name="Save exercise").click()
    expect(page.get_by_text(f"Saved your exercise “{TITLE}”")).to_be_visible()
    assert_accessible(page, "the library with an own exercise")

    # In between: a plan with it, and a session the counselor starts with that plan.
    page.get_by_role("link", name="Compose a plan").first.click()
    page.get_by_label("Title").fill("Our good moments")
    page.get_by_label(TITLE).fill("1")
    page.get_by_role("button", name="Check and save the plan").click()
    expect(page.get_by_text("Saved the plan “Our good moments”")).to_be_visible()
    page.goto(f"{server.url}/counselor/couples/{couple.id}")
    page.get_by_role("radio", name=re.compile("Our good moments")).check()
    page.get_by_role("button", name="Start a session").click()
    page.wait_for_url(re.compile(r".*/sessions/\d+$"))
    expect(page.get_by_role("heading", name="Our good moments")).to_be_visible()

    page.goto(f"{server.url}/counselor/library/")
    page.get_by_role("link", name=f"Edit {TITLE}").click()
    expect(page.locator("#steps-0-title")).to_have_value("Why small things matter")
    page.locator("#steps-0-title").fill("Why small moments matter")
    page.get_by_role("button", name="Save exercise").click()
    expect(page.get_by_text(f"Saved your exercise “{TITLE}”")).to_be_visible()

    page.get_by_role("button", name=f"Retire {TITLE}").click()
    expect(page.get_by_text(f"Retired the exercise “{TITLE}”")).to_be_visible()
    expect(page.get_by_role("link", name=f"Edit {TITLE}")).to_have_count(0)
    assert_accessible(page, "the library after retiring")


def test_the_builder_fits_a_phone_and_opens_a_packaged_copy(browser, server, couple, errors):
    from playwright.sync_api import expect

    page = logged_in_page(browser, server, couple.counselor.email, PHONE, errors)
    page.goto(f"{server.url}/counselor/library/")
    page.get_by_role("link", name=re.compile("^Open a copy in the builder.*Private check-in$")).click()
    expect(page.locator("#title")).to_have_value("Private check-in (my copy)")
    expect(page.locator("#steps-1-q0-label")).to_have_value("How safe do you feel at home right now?")
    page.get_by_role("button", name="Preview step 2").click()
    expect(page.locator("[data-preview]").get_by_role("button", name="Finish my check-in")).to_be_visible()
    assert_accessible(page, "the builder on a phone")
    shot(page, "builder-check-in-copy-phone")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]


KIND_PREVIEWS = {
    "read": None,
    "private_answer": ("button", "Save my answer"),
    "rating": ("button", "Share my ratings"),
    "turns": ("button", "Pass the floor"),
    "timer": ("timer", None),
    "agree": ("button", "Add this idea"),
    "check_in": ("button", "Finish my check-in"),
}


def test_every_step_kind_previews_without_a_fault_on_a_phone(browser, server, couple, errors):
    from playwright.sync_api import expect

    page = logged_in_page(browser, server, couple.counselor.email, PHONE, errors)
    page.goto(f"{server.url}/counselor/library/exercises/build")
    page.locator("#steps-0-title").fill("Read this")
    fillers = {"rating": ("items", "Feeling heard"), "agree": ("options", "A walk\nA film"),
               "check_in": ("q0-options", "Yes\nNo")}
    for kind in list(KIND_PREVIEWS)[1:]:
        add_step(page, kind, f"A {kind} step")
        number = page.locator(".builder-step").count() - 1
        if kind in fillers:
            field, text = fillers[kind]
            page.locator(f"#steps-{number}-{field}").fill(text)
        if kind == "check_in":
            page.locator(f"#steps-{number}-q0-label").fill("Safe?")
    for number, (kind, expected) in enumerate(KIND_PREVIEWS.items(), start=1):
        page.get_by_role("button", name=f"Preview step {number}").click()
        preview = page.locator("[data-preview]")
        expect(preview.get_by_role("heading", name="Read this" if kind == "read" else f"A {kind} step")).to_be_visible()
        if expected:
            role, name = expected
            expect(preview.get_by_role(role, name=name) if name else preview.get_by_role(role)).to_be_visible()
        assert_accessible(page, f"the {kind} preview on a phone")
    shot(page, "builder-preview-check-in-phone")
