"""The whole product, walked through its pages by three people on one real server (issue 11, item 13).

A counselor signs up on a desktop, creates a couple and copies both invitation links; partner A joins on
a desktop, partner B on a phone; they read the consent page, go through the longest shipped plan
(``opening-up``, 19 steps) from the check-in to the closing while the counselor facilitates once; B uses
Quick exit mid-session, logs in again and comes back; both write and co-sign their joint summary; the
counselor reads it and assigns a follow-up, which a partner then finds on their home page.

No builders and no service calls: everything happens through the pages, as the people would do it.
Every screen is photographed into ``test-artifacts/walk/`` (numbered, named by who and what) and
checked by axe-core; any console error fails the walk.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from browser import DESKTOP, PHONE, on_screen
from builders import PASSWORD
from live.test_quick_exit import wait_until_logged_out
from walk.walking import (PARTNERS, Walk, add_a_commitment, counselor_creates_a_couple, counselor_reads_the_summary,
                          counselor_signs_up, expect_heading, partner_joins)

pytestmark = [pytest.mark.browser, pytest.mark.live]

# --- the session ------------------------------------------------------------------------------

def a_starts_the_longest_plan(walk: Walk) -> str:
    """A picks Opening up, reads and agrees to the consent page, starts; returns the session's URL."""
    a = walk.pages["a"]
    a.reload()  # the picker appears once both partners have joined; the live home page does not redraw it
    a.get_by_role("radio", name=re.compile(r"Opening up")).check()
    walk.see("a", "plan-picker")
    a.get_by_role("button", name="Start a session").click()
    a.wait_for_url(re.compile(r".*/account/what-your-counselor-sees\?next=.*"))
    walk.see("a", "consent")
    a.get_by_role("button", name="I have read this and I agree").click()
    a.wait_for_url(re.compile(r".*/partner/$"))
    a.get_by_role("radio", name=re.compile(r"Opening up")).check()
    walk.see("a", "home-after-consent")
    a.get_by_role("button", name="Start a session").click()
    a.wait_for_url(re.compile(r".*/sessions/\d+$"))
    expect_heading(a, "Just for you")
    walk.see("a", "session-first-step")
    return a.url


def b_joins_the_session(walk: Walk, session_url: str) -> None:
    from playwright.sync_api import expect

    b = walk.pages["b"]
    # Sam's home page shows the new session by itself (live home page), no reload.
    b.get_by_role("link", name="Join").first.wait_for()
    walk.see("b", "home-session-under-way")
    b.get_by_role("link", name="Join").first.click()
    b.wait_for_url(re.compile(r".*/account/what-your-counselor-sees\?next=.*"))
    walk.see("b", "consent")
    b.get_by_role("button", name="I have read this and I agree").click()
    b.wait_for_url(session_url)
    expect_heading(b, "Just for you")
    expect(b.get_by_text("You can start or join a session now")).to_have_count(0)  # no stale message all session
    walk.see("b", "session-first-step")


def both_continue(walk: Walk, next_heading: str | None) -> None:
    """Both partners press Continue; everyone in the session sees the next step, photographed."""
    for role in ("a", "b"):
        walk.pages[role].get_by_role("button", name="Continue").click()
    if next_heading:
        see_the_step(walk, next_heading)


def see_the_step(walk: Walk, heading: str) -> None:
    slug = re.sub(r"[^a-z]+", "-", heading.lower()).strip("-")
    for role in walk.in_session:
        expect_heading(walk.pages[role], heading)
        walk.see(role, f"step-{slug}")


def check_in(walk: Walk) -> None:
    from playwright.sync_api import expect

    answers = {"How safe do you feel at home right now?": "Safe", "Do you feel free to speak openly today?": "Yes",
               "Would you like to talk with your counselor on your own first?": "No, I'm happy to carry on together"}
    for role in ("a", "b"):
        page = walk.pages[role]
        for question, answer in answers.items():
            page.get_by_role("group", name=question).get_by_label(answer, exact=True).check()
        if role == "b":
            walk.see("b", "check-in")
        page.get_by_role("button", name="Finish my check-in").click()
    expect(walk.pages["a"].get_by_role("button", name="Continue")).to_be_enabled()


def private_choice(walk: Walk, title: str, choices: dict[str, str]) -> None:
    from playwright.sync_api import expect

    for role, choice in choices.items():
        page = walk.pages[role]
        expect_heading(page, title)
        page.get_by_role("group", name="Your answer").get_by_label(choice, exact=True).check()
        page.get_by_role("button", name="Save my answer").click()
    for role in choices:
        for other, choice in choices.items():
            name = PARTNERS[other][0]
            expect(walk.pages[role].get_by_role("region", name=f"{name}'s answer")).to_contain_text(choice)


def private_text(walk: Walk, title: str, prompt: str, texts: dict[str, str]) -> None:
    from playwright.sync_api import expect

    for role, text in texts.items():
        page = walk.pages[role]
        expect_heading(page, title)
        page.get_by_label(prompt).fill(text)
        page.get_by_role("button", name="Save my answer").click()
        expect(page.get_by_role("button", name="Save my answer")).to_be_hidden()  # the server has it


def take_turns(walk: Walk, rounds: list[tuple[str, str, str, str]]) -> None:
    """Each round: the speaker's role, their prompt, the listener's prompt, the words."""
    from playwright.sync_api import expect

    for speaker_role, speaker_prompt, listener_prompt, words in rounds:
        speaker = walk.pages[speaker_role]
        listener = walk.pages["b" if speaker_role == "a" else "a"]
        speaker.get_by_label(speaker_prompt).fill(words)
        speaker.get_by_role("button", name="Pass the floor").click()
        listener.get_by_label(listener_prompt).fill(f"You said: {words}")
        listener.get_by_role("button", name="Check my understanding").click()
        speaker.get_by_role("button", name="That's it").click()
    expect(on_screen(walk.pages["a"], "All turns are done")).to_be_visible()


def quick_exit_and_back(walk: Walk, session_url: str) -> None:
    """B leaves with Quick exit on the phone, meets the login page, logs in and returns to the session."""
    from playwright.sync_api import expect

    b = walk.pages["b"]
    b.get_by_role("link", name="Quick exit").click()
    b.wait_for_url(re.compile(r".*/weather$"))
    walk.see("b", "after-quick-exit")
    wait_until_logged_out(b, walk.server)  # the exit's beacon lands a moment after the page has gone
    b.goto(session_url)  # B comes back to the session: the device shows the login page first
    expect(b.get_by_role("button", name="Log in")).to_be_visible()
    walk.see("b", "login-after-quick-exit")
    b.get_by_label("Email").fill(PARTNERS["b"][1])
    b.get_by_label("Password").fill(PASSWORD)
    b.get_by_role("button", name="Log in").click()
    b.wait_for_url(session_url)
    expect_heading(b, "A few private lines")
    walk.see("b", "back-in-the-session")


def go_through_opening_up(walk: Walk, session_url: str) -> None:
    from playwright.sync_api import expect

    a, b, counselor = walk.pages["a"], walk.pages["b"], walk.pages["counselor"]
    both_continue(walk, "How are you today?")
    check_in(walk)
    walk.see("a", "check-in-done")
    both_continue(walk, "Breathe together")
    counselor.goto(session_url)
    expect_heading(counselor, "Breathe together")
    walk.in_session.append("counselor")
    walk.see("counselor", "facilitate-timer")
    counselor.get_by_label("A short note both partners see").fill("No rush. I'll move us on when you're ready.")
    counselor.get_by_role("button", name="Show to both").click()
    expect(b.get_by_role("complementary", name="A note from your counselor")).to_contain_text("No rush.")
    walk.see("b", "timer-with-counselor-note")
    counselor.get_by_role("button", name="Forward one step").click()  # the counselor cuts the two minutes short
    see_the_step(walk, "Finding the word")
    both_continue(walk, "The broad feeling")
    private_choice(walk, "The broad feeling", {"a": "Scared", "b": "Sad"})
    walk.see("a", "broad-feeling-revealed")
    both_continue(walk, "A heavier feeling, more precisely")
    private_choice(walk, "A heavier feeling, more precisely", {"a": "Anxious (scared)", "b": "Lonely (sad)"})
    both_continue(walk, "A lighter feeling, more precisely")
    private_choice(walk, "A lighter feeling, more precisely", {"a": "Hopeful (joyful)", "b": "Loving (peaceful)"})
    walk.see("b", "lighter-feeling-revealed")
    both_continue(walk, "Say it out loud")
    speak = "\"Right now I feel… and also…\" No need to explain why."
    listen = "Reflect it back simply: \"You're feeling… and also…\" Then thank your partner for sharing."
    take_turns(walk, [("a", speak, listen, "Right now I feel anxious and also hopeful"),
                      ("b", speak, listen, "Right now I feel lonely and also loving")])
    walk.see("b", "say-it-out-loud-done")
    both_continue(walk, "Before you start")
    both_continue(walk, "Partner A shares, partner B says it back")
    turns = [
        ("a", "Partner A shares, partner B says it back", "Share one thing you find hard to say.",
         "Say it back, staying close to their words", "I find it hard to say I feel left out"),
        ("a", "Partner B shows it makes sense", "Add anything that was missed",
         "Let them know it makes sense", "That's it"),
        ("a", "Partner B imagines how it feels", "Say whether that fits how you feel",
         "Imagine their feeling", "Yes, that fits"),
        ("b", "Partner B shares, partner A says it back", "Share one thing you find hard to say.",
         "Say it back, staying close to their words", "I find it hard to say I am tired"),
        ("b", "Partner A shows it makes sense", "Add anything that was missed",
         "Let them know it makes sense", "That's it"),
        ("b", "Partner A imagines how it feels", "Say whether that fits how you feel",
         "Imagine their feeling", "Mostly, yes"),
    ]
    for number, (speaker, title, speaker_prompt, listener_prompt, words) in enumerate(turns):
        expect_heading(a, title)
        take_turns(walk, [(speaker, re.compile(re.escape(speaker_prompt)), re.compile(re.escape(listener_prompt)),
                           words)])
        if number in (0, 3):
            walk.see(speaker, f"turns-{title.split(',')[0].lower().replace(' ', '-')}")
        both_continue(walk, turns[number + 1][1] if number + 1 < len(turns) else "Thank each other")
    both_continue(walk, "A few private lines")
    quick_exit_and_back(walk, session_url)
    private_text(walk, "A few private lines", "Right now I notice…",
                 {"a": "I notice I was nervous at first.", "b": "I notice I want more evenings like this."})
    expect(a.get_by_text("Both of you have answered")).to_be_visible()
    expect(a.get_by_text("I want more evenings like this")).to_have_count(0)  # for the counselor only
    expect(b.get_by_text("I was nervous at first")).to_have_count(0)
    expect(counselor.get_by_text("I notice I want more evenings like this.")).to_be_visible()
    walk.see("counselor", "journaling-read")
    walk.see("a", "journaling-done")
    both_continue(walk, "One thing to take with you")
    private_text(walk, "One thing to take with you", "One thing I'm taking away…",
                 {"a": "Sam feels lonely when I work late.", "b": "Alex is hopeful."})
    for page in (a, b):
        expect(page.get_by_role("region", name="Sam's answer")).to_contain_text("Alex is hopeful.")
        expect(page.get_by_role("region", name="Alex's answer")).to_contain_text("Sam feels lonely")
    walk.see("b", "closing-revealed")
    both_continue(walk, "Thank you both")
    both_continue(walk, None)
    for page in (a, b):
        expect(page.get_by_text("You have finished this session")).to_be_visible()
    walk.see("a", "finished")
    walk.see("b", "finished")
    walk.see("counselor", "finished")


# --- after the session ------------------------------------------------------------------------

def write_and_sign_the_summary(walk: Walk) -> None:
    from playwright.sync_api import expect

    a, b = walk.pages["a"], walk.pages["b"]
    for page in (a, b):
        page.get_by_role("link", name="Write your summary together").click()
        expect(page.get_by_role("heading", name="Our summary of Opening up")).to_be_visible()
        expect(page.locator("[data-summary].summary-live")).to_have_count(1)
    walk.see("b", "summary-empty")
    add_a_commitment(a, "A walk together every Sunday")
    expect(b.get_by_role("region", name="What we commit to").get_by_label("Text of this item"))\
        .to_have_value("A walk together every Sunday")
    walk.see("a", "summary-written")
    a.get_by_role("button", name="Sign this version").click()
    expect(a.get_by_text("You signed this version. Waiting for Sam.")).to_be_visible()
    expect(a.get_by_role("button", name="Withdraw my signature")).to_be_visible()
    expect(b.get_by_text("Alex signed this version")).to_be_visible()
    # Sam has not signed: Sam's way back to editing reopens the summary, it withdraws no signature of Sam's.
    expect(b.get_by_role("button", name="Reopen to make changes")).to_be_visible()
    walk.see("b", "summary-signed-by-a")
    b.get_by_role("button", name="Sign this version").click()
    for page in (a, b):
        expect(page.get_by_text("You both signed this summary")).to_be_visible()
    walk.see("a", "summary-co-signed")
    walk.see("b", "summary-co-signed")


def counselor_assigns_a_follow_up(walk: Walk) -> None:
    from playwright.sync_api import expect

    page = walk.pages["counselor"]
    page.get_by_role("link", name="My couples").first.click()
    page.get_by_role("link", name=re.compile("Alex")).first.click()
    page.get_by_role("link", name="Follow-ups between sessions").click()
    walk.see("counselor", "follow-ups-empty")
    due = date.today() + timedelta(days=3)
    page.get_by_label("Exercise").select_option("short-check-in")
    page.get_by_label("Date", exact=True).fill(due.isoformat())
    page.get_by_label("Time", exact=True).fill("19:00")
    page.get_by_label("Together, in a live session").check()
    page.get_by_label("Note to the couple (optional)").fill("Ten quiet minutes after dinner.")
    page.get_by_role("button", name="Assign").click()
    expect(page.get_by_text("The follow-up is assigned.")).to_be_visible()
    walk.see("counselor", "follow-up-assigned")


def a_sees_the_follow_up_at_home(walk: Walk) -> None:
    from playwright.sync_api import expect

    a = walk.pages["a"]
    a.goto(f"{walk.server.url}/partner/")
    between = a.get_by_role("region", name="Between sessions")
    expect(between.get_by_role("button", name="Start it together (Short check-in)")).to_be_visible()
    walk.see("a", "home-with-follow-up")
    between.get_by_role("link", name="All your follow-ups").click()
    expect(a.get_by_text("Ten quiet minutes after dinner.")).to_be_visible()
    walk.see("a", "follow-ups")


def test_three_people_walk_through_the_whole_product(browser, server):
    walk = Walk(browser, server)
    counselor_signs_up(walk)
    links = counselor_creates_a_couple(walk)
    partner_joins(walk, "a", links["a"], DESKTOP)
    partner_joins(walk, "b", links["b"], PHONE)
    session_url = a_starts_the_longest_plan(walk)
    b_joins_the_session(walk, session_url)
    go_through_opening_up(walk, session_url)
    write_and_sign_the_summary(walk)
    counselor_reads_the_summary(walk, "Opening up")
    counselor_assigns_a_follow_up(walk)
    a_sees_the_follow_up_at_home(walk)
    assert walk.errors == [], walk.errors
