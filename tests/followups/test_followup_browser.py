"""In a real browser: the counselor assigns a weekly exercise on a phone, one partner sees it and makes
a calendar link on a phone, the other starts it together on a desktop. Every page passes axe-core."""

from __future__ import annotations

import re

import pytest
from browser import DESKTOP, PHONE, ConsoleErrors, assert_accessible, logged_in_page, shot
from builders import make_counselor, make_couple

from .test_followup_pages import next_sunday_at_seven

pytestmark = [pytest.mark.browser, pytest.mark.live]


@pytest.fixture
def couple(app):
    with app.app_context():
        return make_couple(make_counselor(email="dana@example.org"))


def test_a_weekly_follow_up_from_assignment_to_starting_it_together(browser, server, couple):
    errors = ConsoleErrors()
    due = next_sunday_at_seven()

    counselor = logged_in_page(browser, server, "dana@example.org", PHONE, errors)
    counselor.goto(f"{server.url}/counselor/couples/{couple.id}")
    counselor.get_by_role("link", name="Follow-ups between sessions").click()
    counselor.get_by_label("Exercise").select_option("short-check-in")
    counselor.get_by_label("Date", exact=True).fill(due.date().isoformat())
    counselor.get_by_label("Time", exact=True).fill("19:00")
    counselor.get_by_label("Repeat").select_option("weekly")
    counselor.get_by_label("How many times in all").fill("4")
    counselor.get_by_label("Together, in a live session").check()
    counselor.get_by_label("Note to the couple (optional)").fill("Ten quiet minutes after dinner.")
    counselor.get_by_label("Note to the couple (optional)").press("Tab")
    counselor.keyboard.press("Enter")  # the Assign button is next in the tab order
    counselor.get_by_text("The follow-up is assigned.").wait_for()
    assert_accessible(counselor, "the counselor's follow-ups page")
    shot(counselor, "followups-counselor-phone")

    a = logged_in_page(browser, server, couple.partner_a.email, PHONE, errors)
    a.get_by_role("link", name="All your follow-ups").click()
    assert a.locator("[id^=occurrence-]").count() == 4
    assert "7:00" in a.locator("#main").inner_text()  # 7:00 PM, the English way
    assert_accessible(a, "the partner's follow-ups page")
    shot(a, "followups-partner-phone")
    a.get_by_role("link", name="Reminders, time zone and calendar").click()
    a.get_by_role("button", name="Make a calendar link").click()
    assert re.search(r"/calendar/[\w-]+\.ics", a.locator("#feed-url").input_value())
    assert_accessible(a, "the reminder settings page")
    shot(a, "followups-reminders-phone")

    b = logged_in_page(browser, server, couple.partner_b.email, DESKTOP, errors)
    b.goto(f"{server.url}/partner/follow-ups")
    shot(b, "followups-partner-desktop")
    b.get_by_role("button", name=re.compile("Start it together")).first.focus()
    b.keyboard.press("Enter")  # keyboard only
    b.wait_for_url(re.compile(r".*/sessions/\d+$"))

    assert errors == []
