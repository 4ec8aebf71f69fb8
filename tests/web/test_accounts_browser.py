"""In a real browser (Playwright + Debian's Chromium), with axe-core on every page and any console
error failing the test: Copy buttons on invitation links (with and without ``navigator.clipboard``),
and a newcomer's way in: an invitation naming the counselor, the plan picker's descriptions, and
reading what the counselor sees before the first session."""

from __future__ import annotations

import re

import pytest
from browser import DESKTOP, PHONE, ConsoleErrors, assert_accessible, logged_in_page, shot
from builders import PASSWORD, make_counselor

pytestmark = pytest.mark.browser


@pytest.fixture
def counselor(app):
    with app.app_context():
        return make_counselor(email="dana@example.org", name="Dana Rivers")


def new_couple(page) -> None:
    page.get_by_role("link", name="New couple").first.click()
    page.get_by_label("First partner's name").fill("Alex")
    page.get_by_label("Second partner's name").fill("Sam")
    page.get_by_role("button", name="Create couple and invitation links").click()
    page.wait_for_url(re.compile(r".*/counselor/couples/\d+$"))


def test_a_copy_button_copies_an_invitation_link_from_the_keyboard_and_says_so(browser, server, counselor):
    from playwright.sync_api import expect

    errors = ConsoleErrors()
    page = logged_in_page(browser, server, "dana@example.org", DESKTOP, errors)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    new_couple(page)
    link = page.get_by_label("Link for Alex").input_value()

    page.get_by_role("button", name="Copy the link for Alex").focus()
    page.keyboard.press("Enter")

    expect(page.locator("#link-a-status")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == link
    assert_accessible(page, "couple page with fresh links")
    shot(page, "accounts-copy-link")
    assert not errors


def test_without_a_clipboard_the_copy_button_selects_the_link(browser, server, counselor):
    from playwright.sync_api import expect

    errors = ConsoleErrors()
    page = logged_in_page(browser, server, "dana@example.org", PHONE, errors)
    # As on a page served over plain HTTP from a LAN address: no navigator.clipboard at all.
    page.add_init_script("Object.defineProperty(Navigator.prototype, 'clipboard', {get: () => undefined});")
    new_couple(page)

    page.get_by_role("button", name="Copy the link for Sam").click()

    expect(page.locator("#link-b-status")).to_contain_text("Selected")
    box = page.get_by_label("Link for Sam")
    assert box.evaluate("box => document.activeElement === box && box.selectionEnd - box.selectionStart")\
        == len(box.input_value())
    assert_accessible(page, "couple page, link selected")
    shot(page, "accounts-copy-link-selected")
    assert not errors


def test_a_newcomer_joins_reads_what_the_counselor_sees_and_starts_their_first_session(browser, server, counselor):
    from playwright.sync_api import expect

    errors = ConsoleErrors()
    desk = logged_in_page(browser, server, "dana@example.org", DESKTOP, errors)
    new_couple(desk)
    links = {name: desk.get_by_label(f"Link for {name}").input_value() for name in ("Alex", "Sam")}
    phones = {}
    for number, (name, link) in enumerate(links.items()):
        phone = browser.new_context(viewport=PHONE).new_page()
        errors.watch(phone)
        phone.goto(link)
        expect(phone.get_by_text("Your counselor, Dana Rivers, invited you.")).to_be_visible()
        assert_accessible(phone, f"invitation for {name}")
        phone.get_by_label("Email").fill(f"{name.lower()}{number}@example.org")
        phone.get_by_label("Password", exact=True).fill(PASSWORD)
        phone.get_by_label("Repeat the password").fill(PASSWORD)
        phone.get_by_role("button", name=f"Join as {name}").click()
        phone.wait_for_url(re.compile(r".*/partner/$"))
        phones[name] = phone
    alex = phones["Alex"]
    alex.reload()  # Alex joined first: the picker appears once Sam has joined too

    expect(alex.get_by_text("A quick session: a private check-in")).to_be_visible()  # the plan's description
    assert alex.get_by_role("radio", name=re.compile(r"Short check-in \(about \d+ min\)")).is_checked()
    assert_accessible(alex, "partner home with the plan picker")
    shot(alex, "accounts-plan-picker")
    alex.get_by_role("button", name="Start a session").click()

    alex.wait_for_url(re.compile(r".*/account/what-your-counselor-sees\?next=.*"))
    expect(alex.get_by_role("heading", name="Your partner never sees")).to_be_visible()
    assert_accessible(alex, "what your counselor sees")
    shot(alex, "accounts-what-your-counselor-sees")
    alex.get_by_role("button", name="I have read this and I agree").click()
    alex.wait_for_url(re.compile(r".*/partner/$"))
    alex.get_by_role("button", name="Start a session").click()
    alex.wait_for_url(re.compile(r".*/sessions/\d+$"))

    sam = phones["Sam"]
    sam.goto(alex.url)  # the session Alex started: Sam reads the page first, then comes back to it
    sam.wait_for_url(re.compile(r".*/account/what-your-counselor-sees\?next=.*"))
    sam.get_by_role("link", name="What my counselor sees").click()  # the same page, from the navigation
    sam.go_back()
    sam.get_by_role("button", name="I have read this and I agree").click()
    sam.wait_for_url(alex.url)
    assert not errors
