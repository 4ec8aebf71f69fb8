"""Two partners go through a whole shipped plan with the keyboard alone (phone and desktop), with
axe-core clean on every step kind, at its first sight and once its answers are in; reveals are
read out through the page's polite live region."""

from __future__ import annotations

import re

import pytest
from browser import DESKTOP, PHONE, assert_accessible, logged_in_page, on_screen, shot

from couples.content import build_plan
from couples.services.plans import library

pytestmark = pytest.mark.browser

LONGEST = max(library().plans, key=lambda plan_id: len(build_plan(library().plans[plan_id], library().exercises).steps))
WITH_EVERY_KIND = "reconnection-workshop"  # the one with rating and agree steps


def press(locator) -> None:
    """Focus a control as Tab would, then press Enter: no mouse."""
    locator.focus()
    locator.press("Enter")


def choose_first(page, group) -> None:
    """Pick the first option of a radio group (or one checkbox) with the space bar."""
    group.locator("input").first.focus()
    page.keyboard.press("Space")


def submit(page) -> None:
    press(page.locator("[data-step] form.answer-form button[type=submit]").first)


def do_step(page, kind: str, words: str) -> None:
    """What one partner does on a step of ``kind``, by keyboard."""
    step = page.locator("[data-step]")
    if kind in ("check_in", "rating") or (kind == "private_answer" and step.locator("fieldset").count()):
        for index in range(step.locator("fieldset").count()):
            choose_first(page, step.locator("fieldset").nth(index))
        submit(page)
    elif kind == "private_answer":
        step.locator("textarea").first.focus()
        page.keyboard.type(words)
        submit(page)
    elif kind == "agree":
        legend = step.locator("fieldset legend").first.inner_text()
        wanted = int(re.search(r"\d+", legend).group()) if re.search(r"\d+", legend) else 1
        boxes = step.locator("form.answer-form").first.locator("input")
        for index in range(wanted):
            boxes.nth(index).focus()
            page.keyboard.press("Space")
        submit(page)


def take_turns(pages) -> None:
    """Speaker and listener by keyboard until every turn is done."""
    from playwright.sync_api import expect

    a = pages[0]
    for _ in range(40):
        if on_screen(a, "All turns are done").count():
            return
        for page in pages:
            area = page.locator("[data-step] form.answer-form textarea")
            if area.count():
                area.first.focus()
                page.keyboard.type("What I want to say, in my own words")
                submit(page)
                expect(area).to_have_count(0)
            elif page.get_by_role("button", name="That's it").count():
                press(page.get_by_role("button", name="That's it"))
                page.wait_for_timeout(200)
    raise AssertionError("the turns never finished")


@pytest.mark.parametrize("plan_id", sorted({LONGEST, WITH_EVERY_KIND}))
def test_a_whole_workshop_by_keyboard_with_axe_on_every_step_kind(browser, server, couple, errors, plan_id):
    from playwright.sync_api import expect

    a = logged_in_page(browser, server, couple.partner_a.email, PHONE, errors)
    b = logged_in_page(browser, server, couple.partner_b.email, DESKTOP, errors)
    a.locator(f'input[name="plan_id"][value="{plan_id}"]').focus()
    a.keyboard.press("Space")  # the plan picker's radio button, chosen by keyboard
    press(a.get_by_role("button", name="Start a session"))
    a.wait_for_url("**/sessions/*")
    b.goto(a.url)
    pages = (a, b)
    checked: set[str] = set()
    for number in range(1, 60):
        for page in pages:
            expect(page.locator("[data-step][data-kind]")).to_be_visible()
        if a.get_by_text("You have finished this session").count():
            break
        kind = a.locator("[data-step]").get_attribute("data-kind")
        title = a.locator("#step-title").inner_text()
        first_sight = kind not in checked
        if first_sight:
            for page, name in ((a, "phone"), (b, "desktop")):
                assert_accessible(page, f"{kind} step on a {name}, first sight")
        if kind == "turns":
            take_turns(pages)
        else:
            for page, role in ((a, "a"), (b, "b")):
                do_step(page, kind, f"{role} writes for step {number}")
            if kind in ("private_answer", "rating"):  # the reveal is read out to the partner who answered first
                expect(a.locator("[data-announcer]")).to_contain_text("Both have answered")
        if first_sight:
            for page, name in ((a, "phone"), (b, "desktop")):
                shot(page, f"keyboard-{plan_id}-{kind}-{name}")
                assert_accessible(page, f"{kind} step on a {name}, answered")
            checked.add(kind)
        for page in pages:
            button = page.get_by_role("button", name="Continue")
            expect(button).to_be_enabled()
            press(button)
        for page in pages:  # the next step, or the end after the last one
            page.wait_for_function(
                "title => document.querySelector('#step-title').textContent !== title"
                " || document.body.textContent.includes('You have finished this session')", arg=title)
    expect(a.get_by_text("You have finished this session")).to_be_visible()
    assert_accessible(b, "a finished session")
    assert {"read", "check_in", "private_answer", "turns"} <= checked
