"""In a real browser, the issue's whole story: the counselor assigns a weekly exercise to be done
apart; partner A does it on a phone, partner B later on a desktop; both see the reveal and add a
rating; the counselor sees it done, with the ratings, on the desk and the couple's timeline.
Every page passes axe-core; no console errors; screenshots in test-artifacts/."""

from __future__ import annotations

import re

import pytest
from browser import DESKTOP, PHONE, ConsoleErrors, assert_accessible, logged_in_page, shot
from builders import make_counselor, make_couple

from .test_followup_pages import next_sunday_at_seven

pytestmark = [pytest.mark.browser, pytest.mark.live]

A_ANSWER = "Walking home together without phones"
B_ANSWER = "Cooking on Sunday"


@pytest.fixture
def couple(app):
    with app.app_context():
        return make_couple(make_counselor(email="dana@example.org"))


def assign_weekly_apart(counselor, server, couple) -> None:
    counselor.goto(f"{server.url}/counselor/couples/{couple.id}/follow-ups")
    counselor.get_by_label("Exercise").select_option("exercise:closing")
    counselor.get_by_label("Date", exact=True).fill(next_sunday_at_seven().date().isoformat())
    counselor.get_by_label("Time", exact=True).fill("19:00")
    counselor.get_by_label("Repeat").select_option("weekly")
    counselor.get_by_label("How many times in all").fill("4")
    counselor.get_by_label("Each on their own, at their own pace").check()
    counselor.get_by_role("button", name="Assign").click()
    counselor.get_by_text("The follow-up is assigned.").wait_for()
    assert_accessible(counselor, "the counselor's follow-ups page")


def do_it_alone(page, server, answer: str, name: str) -> None:
    """From home: Do it on my own, answer, continue to the last step."""
    page.goto(f"{server.url}/partner/")
    assert_accessible(page, f"{name}'s home")
    page.get_by_role("button", name=re.compile("Do it on my own")).first.click()
    page.wait_for_url(re.compile(r".*/sessions/\d+$"))
    page.get_by_label("One thing I'm taking away…").fill(answer)
    page.get_by_role("button", name="Save my answer").click()
    page.get_by_role("button", name="Continue").wait_for()
    page.wait_for_function("() => !document.querySelector('[data-focus-key=continue]').disabled")


def rate(page, server, rating: str, words: str) -> None:
    page.goto(f"{server.url}/partner/follow-ups")
    page.get_by_role("link", name=re.compile("My rating and reflection")).first.click()
    page.get_by_label(rating).check()
    page.get_by_label("A few words about it (optional)").fill(words)
    page.get_by_label("Share my rating and these words with our counselor").check()
    assert_accessible(page, "the reflection page")
    page.get_by_role("button", name="Save my reflection").click()
    page.get_by_text("Your reflection is saved.").wait_for()


def test_a_weekly_exercise_done_apart_on_a_phone_and_a_desktop_comes_back_to_the_counselor(browser, server, couple):
    errors = ConsoleErrors()
    counselor = logged_in_page(browser, server, "dana@example.org", DESKTOP, errors)
    assign_weekly_apart(counselor, server, couple)

    a = logged_in_page(browser, server, couple.partner_a.email, PHONE, errors)
    do_it_alone(a, server, A_ANSWER, "A")
    a.get_by_text("Sam has not finished yet").wait_for()
    assert_accessible(a, "A's apart step")
    shot(a, "apart-a-answered-phone")
    a.get_by_role("button", name="Continue").click()
    a.get_by_role("button", name="Finish").click()
    a.get_by_text("You have finished. Sam has not finished yet.").wait_for()
    shot(a, "apart-a-finished-phone")

    b = logged_in_page(browser, server, couple.partner_b.email, DESKTOP, errors)
    do_it_alone(b, server, B_ANSWER, "B")
    b.get_by_role("region", name="Alex's answer").get_by_text(A_ANSWER).wait_for()  # the reveal
    assert_accessible(b, "B's reveal")
    shot(b, "apart-b-reveal-desktop")
    b.get_by_role("button", name="Continue").click()
    b.get_by_role("button", name="Finish").click()
    b.get_by_text("You have both finished").wait_for()
    shot(b, "apart-b-finished-desktop")

    a.reload()
    a.get_by_text("You have both finished").wait_for()
    a.get_by_role("link", name="See what you both answered").click()
    a.get_by_text(B_ANSWER).first.wait_for()
    shot(a, "apart-a-reveal-phone")
    rate(a, server, "4", "Easier than I feared.")
    rate(b, server, "5 – very good", "Nice to read Alex's answer.")

    counselor.goto(f"{server.url}/counselor/")
    counselor.get_by_text("ratings shared: 4, 5 / 5").wait_for()
    assert_accessible(counselor, "the desk")
    shot(counselor, "apart-counselor-desk")
    counselor.goto(f"{server.url}/counselor/couples/{couple.id}/timeline")
    timeline = counselor.locator("#followups-title + ol").inner_text()
    assert "Done apart" in timeline and "4 / 5" in timeline and "5 / 5" in timeline and "Easier than I feared." in timeline
    assert_accessible(counselor, "the timeline")
    shot(counselor, "apart-counselor-timeline")

    assert errors == []
