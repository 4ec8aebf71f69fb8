"""A worrying check-in in two real browsers: the other partner's screen never points at who raised it.

Each test runs the same moments in two or three couples' sessions side by side (a safe answer, a
worrying one, the counselor's routine) and compares what the other partner's screen shows.
Every page visited is checked with axe-core and fails on a console error. See docs/safety.md.
"""

from __future__ import annotations

import re

import pytest
from builders import make_live_session

from couples.domain.plan import CheckInStep, CheckQuestion, Option, Plan, PrivateAnswerStep, ReadStep

from browser import DESKTOP, PHONE, assert_accessible, logged_in_page, shot

pytestmark = pytest.mark.browser

SAFETY_PLAN = Plan(
    id="browser-safety",
    title="A check-in first",
    steps=(
        ReadStep(id="welcome", title="Welcome", body="Each of you answers one question alone."),
        CheckInStep(id="check", title="How are you today?", questions=(
            CheckQuestion(id="safe", label="Do you feel safe at home?",
                          options=(Option("yes", "Yes"), Option("no", "No")), concern_if=("no",)),)),
        PrivateAnswerStep(id="hope", title="One hope", prompt="What do you hope for today?", max_length=300),
    ),
)


@pytest.fixture
def plan():
    return SAFETY_PLAN


class Couple2:
    """One couple's session open in two browser pages (a on a phone, b on a desktop)."""

    def __init__(self, app, browser, server, routine: bool = False) -> None:
        with app.app_context():
            couple, session_id = make_live_session(SAFETY_PLAN, individual_time_first=routine)
        self.errors: list[str] = []
        self.pages = {}
        for role, user, viewport in (("a", couple.partner_a, PHONE), ("b", couple.partner_b, DESKTOP)):
            page = logged_in_page(browser, server, user.email, viewport)
            page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
            page.on("pageerror", lambda error: self.errors.append(str(error)))
            page.goto(f"{server.url}/sessions/{session_id}")
            self.pages[role] = page

    def to_check_in(self) -> None:
        from playwright.sync_api import expect

        for page in self.pages.values():
            expect(page.get_by_role("heading", name="Welcome")).to_be_visible()
            page.get_by_role("button", name="Continue").click()
        for page in self.pages.values():
            expect(page.get_by_role("heading", name="How are you today?")).to_be_visible()

    def check_in(self, role: str, answer: str) -> None:
        from playwright.sync_api import expect

        page = self.pages[role]
        page.get_by_role("group", name="Do you feel safe at home?").get_by_label(answer).check()
        page.get_by_role("button", name="Finish my check-in").click()
        expect(page.get_by_role("button", name="Update my check-in")).to_be_visible()

    def screen(self, role: str) -> str:
        """What the partner's session page says, without the presence line (it names people)."""
        return self.pages[role].evaluate(
            """() => { const root = document.querySelector('[data-live-session]').cloneNode(true);
                       root.querySelector('[data-presence]').remove();
                       const support = document.querySelector('[data-support]');
                       return root.innerText + (support && !support.hidden ? support.innerText : ''); }""")

    def both_continue(self) -> None:
        for page in self.pages.values():
            page.get_by_role("button", name="Continue").click()

    def close(self) -> None:
        for page in self.pages.values():
            page.context.close()
        assert self.errors == [], self.errors


@pytest.mark.parametrize("other_answers_first", [False, True], ids=["worrying answer first", "worrying answer second"])
def test_the_other_partners_screen_is_the_same_after_a_worrying_answer_as_after_a_safe_one(
        app, browser, server, other_answers_first):
    from playwright.sync_api import expect

    safe, worrying = Couple2(app, browser, server), Couple2(app, browser, server)
    for run in (safe, worrying):
        run.to_check_in()
        if other_answers_first:
            run.check_in("b", "Yes")
    before = worrying.screen("b")
    safe.check_in("a", "Yes")
    worrying.check_in("a", "No")
    for run in (safe, worrying):
        expect(run.pages["b"].get_by_text("Alex has finished their check-in.")).to_be_visible()
    assert worrying.screen("b") == safe.screen("b") != before
    expect(worrying.pages["b"].locator("[data-notice]")).to_be_hidden()
    expect(worrying.pages["b"].get_by_text("Support, just for you")).to_be_hidden()
    assert_accessible(worrying.pages["b"])
    shot(worrying.pages["b"], "safety-other-partner-after-worrying-answer-desktop")

    a = worrying.pages["a"]
    expect(a.get_by_text("Support, just for you")).to_be_visible()
    expect(a.get_by_role("link", name=re.compile("988"))).to_be_visible()
    expect(safe.pages["a"].get_by_text("Support, just for you")).to_be_hidden()
    assert_accessible(a)
    shot(a, "safety-support-phone")
    for run in (safe, worrying):
        run.close()


def test_a_private_pause_hides_the_session_on_that_screen_only(app, browser, server):
    from playwright.sync_api import expect

    worrying = Couple2(app, browser, server)
    worrying.to_check_in()
    worrying.check_in("a", "No")
    a = worrying.pages["a"]
    # B's screen first settles on what any finished check-in shows, whatever the answer was.
    expect(worrying.pages["b"].get_by_text("has finished their check-in")).to_be_visible()
    before = worrying.screen("b")
    a.get_by_role("button", name="Pause my screen").click()
    expect(a.get_by_text("Your screen is paused.")).to_be_visible()
    expect(a.get_by_role("heading", name="How are you today?")).to_be_hidden()
    expect(a.get_by_role("button", name="Back to the session")).to_be_focused()
    assert_accessible(a)
    shot(a, "safety-private-pause-phone")
    assert worrying.screen("b") == before
    a.get_by_role("button", name="Back to the session").click()
    expect(a.get_by_role("heading", name="How are you today?")).to_be_visible()
    worrying.close()


def test_after_a_worrying_answer_both_read_what_the_counselors_routine_shows(app, browser, server):
    from playwright.sync_api import expect

    routine, worrying = Couple2(app, browser, server, routine=True), Couple2(app, browser, server)
    for run, answer in ((routine, "Yes"), (worrying, "No")):
        run.to_check_in()
        run.check_in("a", answer)
        run.check_in("b", "Yes")
        run.both_continue()
        for page in run.pages.values():
            expect(page.get_by_role("heading", name="Time with your counselor first")).to_be_visible()
            expect(page.get_by_role("button", name="Continue")).to_have_count(0)
    assert worrying.screen("b") == routine.screen("b")
    assert_accessible(worrying.pages["b"])
    shot(worrying.pages["b"], "safety-ending-other-partner-desktop")
    shot(worrying.pages["a"], "safety-ending-concerned-partner-phone")
    for run in (routine, worrying):
        run.close()


def test_the_counselor_turns_the_routine_on_from_the_couple_page(app, browser, server, couple):
    from playwright.sync_api import expect

    page = logged_in_page(browser, server, couple.counselor.email, PHONE)
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.goto(f"{server.url}/counselor/couples/{couple.id}")
    routine = page.get_by_label("See each partner on their own first")
    expect(routine).not_to_be_checked()
    routine.check()
    page.get_by_role("button", name="Save the routine").click()
    expect(page.get_by_text("It applies to sessions started from now on.")).to_be_visible()
    expect(page.get_by_label("See each partner on their own first")).to_be_checked()
    assert_accessible(page)
    shot(page, "safety-routine-counselor-phone")
    assert errors == []
