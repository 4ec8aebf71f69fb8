"""The exercise form in a real browser: a paste over the limit is not sent, and stays in the box."""

from __future__ import annotations

import pytest
from browser import DESKTOP, assert_accessible, logged_in_page, shot
from builders import make_counselor

from couples.services.authoring import SOURCE_MAX

pytestmark = pytest.mark.browser


def test_a_paste_over_the_limit_stays_in_the_box_with_a_message(app, browser, server):
    from playwright.sync_api import expect

    with app.app_context():
        counselor = make_counselor()
    page = logged_in_page(browser, server, counselor.email, DESKTOP)
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.goto(f"{server.url}/counselor/library/exercises/new")
    pasted = "# notes\n" + "x" * (SOURCE_MAX + 500)
    box = page.get_by_label("Exercise (TOML)")
    box.fill(pasted)
    page.get_by_role("button", name="Check and save").click()

    expect(page.get_by_role("alert")).to_contain_text("This is 508 characters over the limit. Nothing was sent")
    expect(box).to_be_focused()
    assert page.url.endswith("/counselor/library/exercises/new")
    assert box.input_value() == pasted
    assert_accessible(page)
    shot(page, "content-paste-over-the-limit-desktop")
    assert errors == []
