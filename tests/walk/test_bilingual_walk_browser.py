"""Issue 14's "done when", walked in real browsers: a counselor invites a couple where partner B reads
Spanish and partner A English, and both do a whole workshop together, each in their own language.

The counselor signs up and invites (English); A joins in English; B opens the invitation in a
browser that asks for Spanish and signs up choosing Español. A starts the shipped short plan
(``short-check-in``, 6 steps: a read step, the private check-in, a timer the counselor moves on,
a written appreciation revealed to both, two turns); every step shows A the English texts and B the
Spanish ones, each page's own words in its reader's language, while what each partner writes
reaches the other as written. Then they write and co-sign the summary and the counselor reads it.

Pages other helpers translate (sign-up, consent, home, summary) are driven through their form
fields' names, not their words, so the walk holds whatever those words become. Every screen is
photographed into ``test-artifacts/bilingual/`` and checked by axe-core; a console error fails.
"""

from __future__ import annotations

import re

import pytest
from browser import DESKTOP, PHONE, on_screen
from builders import PASSWORD
from walk.walking import (PARTNERS, Walk, add_a_commitment, counselor_creates_a_couple, counselor_reads_the_summary,
                          counselor_signs_up, expect_heading, partner_joins)

from couples.content import build_plan
from couples.domain.plan import Plan, in_language
from couples.services.plans import library

pytestmark = [pytest.mark.browser, pytest.mark.live]

PLAN_ID = "short-check-in"
LANGUAGES = {"a": "en", "b": "es"}
WORDS = {  # the browser scripts' words each partner's page shows (static/js, messages.po)
    "en": {"continue": "Continue", "finish check-in": "Finish my check-in", "save": "Save my answer",
           "pass": "Pass the floor", "check": "Check my understanding", "confirm": "That's it",
           "turns done": "All turns are done", "answer of": "{name}'s answer", "finished": "You have finished this session",
           "summary": "Write your summary together", "step": "Step {n} of {count}"},
    "es": {"continue": "Continuar", "finish check-in": "Terminar mi momento a solas", "save": "Guardar mi respuesta",
           "pass": "Pasar la palabra", "check": "Comprobar si entendí bien", "confirm": "Sí, es eso",
           "turns done": "Terminaron todos los turnos", "answer of": "Respuesta de {name}",
           "finished": "Terminaron esta sesión", "summary": "Escriban su resumen en pareja", "step": "Paso {n} de {count}"},
}


class BilingualWalk(Walk):
    """The whole-product walk's record of screens, with each partner's language."""

    folder = "bilingual"
    locale = "en-US"  # B's browser alone asks for Spanish

    def __init__(self, browser, server, plan: Plan) -> None:
        super().__init__(browser, server)
        self.texts = {role: in_language(plan, language) for role, language in LANGUAGES.items()}
        self.step_count = len(plan.steps)

    def say(self, role: str, key: str, **values: object) -> str:
        """The words ``role``'s page shows for ``key``."""
        return WORDS[LANGUAGES[role]][key].format(**values)

    def press(self, role: str, key: str) -> None:
        self.pages[role].get_by_role("button", name=self.say(role, key), exact=True).click()


@pytest.fixture
def plan() -> Plan:
    return build_plan(library().plans[PLAN_ID], library().exercises)


def submit(page) -> None:
    """Send the page's main form, whatever its button says in the page's language."""
    page.locator("main form [type=submit]").first.click()


def b_joins_choosing_spanish(walk: BilingualWalk, link: str) -> None:
    """B opens the link in a browser asking for Spanish, and signs up choosing Español."""
    from playwright.sync_api import expect

    name, email = PARTNERS["b"]
    page = walk.open("b", PHONE, locale="es-MX")
    page.goto(link)
    walk.see("b", "invitation-in-spanish")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("input[name=confirm]").fill(PASSWORD)
    choice = page.locator("main form select[name=language]")
    expect(choice).to_have_value("es")  # the sign-up's language choice, offered from the browser's Accept-Language
    choice.select_option("es")
    submit(page)
    page.wait_for_url(re.compile(r".*/partner/$"))
    walk.see("b", "home-joined")


def a_starts_the_plan(walk: BilingualWalk) -> str:
    """A picks the short plan, agrees to the consent page, starts; returns the session's URL."""
    a = walk.pages["a"]
    title = walk.texts["a"].title
    a.reload()  # the picker appears once both partners have joined
    a.get_by_role("radio", name=re.compile(re.escape(title))).check()
    a.get_by_role("button", name="Start a session").click()
    a.wait_for_url(re.compile(r".*/account/what-your-counselor-sees\?next=.*"))
    submit(a)
    a.wait_for_url(re.compile(r".*/partner/$"))
    a.get_by_role("radio", name=re.compile(re.escape(title))).check()
    a.get_by_role("button", name="Start a session").click()
    a.wait_for_url(re.compile(r".*/sessions/\d+$"))
    return a.url


def b_joins_the_session(walk: BilingualWalk, session_url: str) -> None:
    b = walk.pages["b"]
    b.goto(session_url)
    b.wait_for_url(re.compile(r".*/account/what-your-counselor-sees\?next=.*"))
    walk.see("b", "consent-in-spanish")
    submit(b)
    b.wait_for_url(session_url)


def see_the_step(walk: BilingualWalk, index: int) -> None:
    """Everyone in the session sees step ``index``, each in their own language; photographed."""
    from playwright.sync_api import expect

    for role in walk.in_session:
        page = walk.pages[role]
        texts = walk.texts.get(role, walk.texts["a"])  # the counselor reads English
        expect_heading(page, texts.steps[index].title)
        if role in LANGUAGES:
            expect(page.get_by_text(walk.say(role, "step", n=index + 1, count=walk.step_count), exact=True)).to_be_visible()
        walk.see(role, f"step-{index + 1}")


def both_continue(walk: BilingualWalk, next_index: int | None) -> None:
    for role in LANGUAGES:
        walk.press(role, "continue")
    if next_index is not None:
        see_the_step(walk, next_index)


def check_in(walk: BilingualWalk) -> None:
    """Each partner answers the private check-in (the first, reassuring answer of each question)."""
    from playwright.sync_api import expect

    for role in LANGUAGES:
        page = walk.pages[role]
        for question in walk.texts[role].steps[1].questions:
            page.get_by_role("group", name=question.label).locator("input[type=radio]").first.check()
        walk.press(role, "finish check-in")
    expect(walk.pages["a"].get_by_role("button", name="Continue", exact=True)).to_be_enabled()


def appreciations(walk: BilingualWalk, index: int, words: dict[str, str]) -> None:
    """Both write privately; the reveal shows each one's words, as written, to both."""
    from playwright.sync_api import expect

    for role, text in words.items():
        page = walk.pages[role]
        page.get_by_label(walk.texts[role].steps[index].prompt).fill(text)
        walk.press(role, "save")
    for role in LANGUAGES:
        for other, text in words.items():
            region = walk.pages[role].get_by_role("region", name=walk.say(role, "answer of", name=PARTNERS[other][0]))
            expect(region).to_contain_text(text)
    walk.see("a", "appreciations-revealed")
    walk.see("b", "appreciations-revealed")


def take_turns(walk: BilingualWalk, index: int, words: dict[str, str]) -> None:
    from playwright.sync_api import expect

    for speaker_role, text in words.items():
        listener_role = "b" if speaker_role == "a" else "a"
        speaker, listener = walk.pages[speaker_role], walk.pages[listener_role]
        speaker.get_by_label(walk.texts[speaker_role].steps[index].speaker_prompt).fill(text)
        walk.press(speaker_role, "pass")
        expect(listener.get_by_text(text)).to_be_visible()  # as written, in the speaker's language
        listener.get_by_label(walk.texts[listener_role].steps[index].listener_prompt).fill(f"« {text} »")
        walk.press(listener_role, "check")
        walk.press(speaker_role, "confirm")
    for role in LANGUAGES:
        expect(on_screen(walk.pages[role], walk.say(role, "turns done"))).to_be_visible()
    walk.see("b", "turns-done")


def go_through_the_plan(walk: BilingualWalk, session_url: str) -> None:
    from playwright.sync_api import expect

    see_the_step(walk, 0)
    both_continue(walk, 1)
    check_in(walk)
    both_continue(walk, 2)
    counselor = walk.pages["counselor"]
    counselor.goto(session_url)
    walk.in_session.append("counselor")
    expect_heading(counselor, walk.texts["a"].steps[2].title)
    walk.see("counselor", "facilitate-timer")
    counselor.get_by_role("button", name="Forward one step").click()  # the two minutes, cut short
    see_the_step(walk, 3)
    both_continue(walk, 4)
    appreciations(walk, 4, {"a": "I appreciate it when you cook for us. It shows that you care.",
                            "b": "Aprecio cuando me escuchas sin prisa. Eso muestra que te importo."})
    both_continue(walk, 5)
    take_turns(walk, 5, {"a": "Your words about my cooking meant the most.",
                         "b": "Lo que más me llegó fue que notaras que te escucho."})
    both_continue(walk, None)
    for role in LANGUAGES:
        expect(walk.pages[role].get_by_text(walk.say(role, "finished"))).to_be_visible()
        walk.see(role, "finished")


def write_and_sign_the_summary(walk: BilingualWalk) -> None:
    """A adds a point in English; both sign, B on the Spanish page."""
    from playwright.sync_api import expect

    a, b = walk.pages["a"], walk.pages["b"]
    for role in LANGUAGES:
        page = walk.pages[role]
        page.get_by_role("link", name=walk.say(role, "summary")).click()
        expect(page.locator("[data-summary].summary-live")).to_have_count(1)
    walk.see("b", "summary-empty")
    add_a_commitment(a, "A walk together every Sunday")
    expect(b.locator("[data-summary]")).to_contain_text("A walk together every Sunday")  # reloads by itself
    sign = "form:has(input[name=type][value=sign]) [type=submit]"
    reopen = "form:has(input[name=type][value=reopen]) [type=submit]"
    with a.expect_navigation():
        a.locator(sign).click()
    expect(b.locator(reopen)).to_be_visible()  # B's page shows A's signature by itself
    walk.see("b", "summary-signed-by-a")
    with b.expect_navigation():
        b.locator(sign).click()
    for page in (a, b):
        expect(page.locator(".banner.success")).to_be_visible()
    walk.see("a", "summary-co-signed")
    walk.see("b", "summary-co-signed")


def test_a_couple_reading_two_languages_does_a_whole_workshop_together(browser, server, app, plan):
    walk = BilingualWalk(browser, server, plan)
    counselor_signs_up(walk)
    links = counselor_creates_a_couple(walk)
    partner_joins(walk, "a", links["a"], DESKTOP)
    b_joins_choosing_spanish(walk, links["b"])
    session_url = a_starts_the_plan(walk)
    b_joins_the_session(walk, session_url)
    go_through_the_plan(walk, session_url)
    write_and_sign_the_summary(walk)
    counselor_reads_the_summary(walk, walk.texts["a"].title)
    assert walk.errors == [], walk.errors
