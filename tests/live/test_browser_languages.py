"""One live session, two languages, in two browsers: partner A reads English, partner B Spanish.

Each page's own words (buttons, labels, status lines, what the screen reader hears) come from the
browser scripts in the page's language (static/js/i18n.js); the step texts come in each viewer's
language from their snapshot. The same steps are photographed in both languages in test-artifacts/.
"""

from __future__ import annotations

import pytest
from browser import DESKTOP, PHONE, assert_accessible, logged_in_page
from browser import shot as full_page_shot

from couples.domain.plan import Option, Plan, PrivateAnswerStep, in_language
from couples.extensions import db
from couples.models import User
from couples.content import build_plan
from couples.services.plans import library

pytestmark = pytest.mark.browser


@pytest.fixture
def plan():
    """The shipped short plan, which carries its Spanish texts."""
    return build_plan(library().plans["short-check-in"], library().exercises)


@pytest.fixture
def bilingual(app, couple):
    """The couple with partner A reading English and partner B Spanish."""
    with app.app_context():
        for user_id, language in ((couple.partner_a_id, "en"), (couple.partner_b_id, "es")):
            db.session.get(User, user_id).language = language
        db.session.commit()
    return couple


@pytest.fixture
def pages(browser, server, bilingual, session_id, plan, errors):
    """A on a phone, B on a desktop, both on the session's first step."""
    from playwright.sync_api import expect

    a = logged_in_page(browser, server, bilingual.partner_a.email, PHONE, errors)
    b = logged_in_page(browser, server, bilingual.partner_b.email, DESKTOP, errors)
    for page in (a, b):
        page.goto(f"{server.url}/sessions/{session_id}")
    expect(a.get_by_text(f"Step 1 of {len(plan.steps)}")).to_be_visible()
    expect(b.get_by_text(f"Paso 1 de {len(plan.steps)}")).to_be_visible()
    return a, b


def shot(page, name: str) -> None:
    """A screenshot from the top (a full-page shot of a scrolled page draws the sticky bar mid-page)."""
    page.evaluate("window.scrollTo(0, 0)")
    full_page_shot(page, name)


def answer_the_check_in_with_the_first_options(page) -> None:
    """Both partners' check-in: the first answer of each question (the same whatever the language)."""
    for group in page.locator("[data-step] fieldset").all():
        group.locator("input[type=radio]").first.check()


def test_each_partner_reads_the_page_in_their_own_language(pages):
    from playwright.sync_api import expect

    a, b = pages
    expect(a.get_by_text("Sam: here")).to_be_visible()
    expect(b.get_by_text("Alex: en línea")).to_be_visible()
    expect(a.get_by_role("button", name="Continue", exact=True)).to_be_enabled()
    expect(b.get_by_role("button", name="Continuar", exact=True)).to_be_enabled()
    expect(b.get_by_role("button", name="Hacer una pausa en pareja")).to_be_visible()
    shot(a, "languages-read-a-en")
    shot(b, "languages-read-b-es")
    assert_accessible(a, "the English page")
    assert_accessible(b, "the Spanish page")

    a.get_by_role("button", name="Continue", exact=True).click()
    expect(a.get_by_role("button", name="Waiting for Sam…")).to_be_disabled()
    expect(b.get_by_role("status").filter(has_text="Alex puede seguir cuando tú quieras.")).to_be_visible()
    b.get_by_role("button", name="Continuar", exact=True).click()

    expect(a.get_by_text("Only you see this. Your partner will never see your answers.")).to_be_visible()
    expect(b.get_by_text("Solo tú ves esto. Tu pareja nunca verá tus respuestas.")).to_be_visible()
    expect(b.get_by_text("Paso 2 de 6")).to_be_visible()
    expect(b.get_by_text("Alex todavía está en su momento a solas.")).to_be_visible()
    answer_the_check_in_with_the_first_options(a)
    a.get_by_role("button", name="Finish my check-in").click()
    expect(b.get_by_text("Alex ya terminó su momento a solas.")).to_be_visible()
    answer_the_check_in_with_the_first_options(b)
    b.get_by_role("button", name="Terminar mi momento a solas").click()
    expect(b.get_by_role("button", name="Actualizar mis respuestas")).to_be_visible()
    expect(a.get_by_role("button", name="Update my check-in")).to_be_visible()
    shot(a, "languages-check-in-a-en")
    shot(b, "languages-check-in-b-es")
    assert_accessible(b, "the Spanish check-in")

    # What a screen reader hears, in each one's language: a pause and the session going on.
    a.get_by_role("button", name="Pause for both").click()
    expect(b.locator("[data-notice]")).to_have_text("Alex hizo una pausa.")
    b.get_by_role("button", name="Reanudar").click()
    expect(a.locator("[data-announcer]")).to_have_text("The session continues.")
    expect(b.locator("[data-announcer]")).to_have_text("La sesión continúa.")


def test_each_page_and_its_step_texts_are_in_their_readers_language(pages, plan):
    """Needs the merge: i18n-core sets <html lang>, i18n-live puts each viewer's texts in the snapshot."""
    from playwright.sync_api import expect

    a, b = pages
    expect(a.locator("html")).to_have_attribute("lang", "en")
    expect(b.locator("html")).to_have_attribute("lang", "es")
    for page, texts in ((a, plan), (b, in_language(plan, "es"))):
        expect(page.get_by_role("heading", name=texts.steps[0].title, exact=True)).to_be_visible()
        # The step's texts are in the page's language, so nothing in the step is marked as another.
        expect(page.locator("[data-step] [lang]")).to_have_count(0)
    for page in (a, b):
        page.get_by_role("button", name="Continue" if page is a else "Continuar", exact=True).click()
    spanish = in_language(plan, "es").steps[1]
    expect(b.get_by_role("heading", name=spanish.title, exact=True)).to_be_visible()
    for question in spanish.questions:
        expect(b.get_by_role("group", name=question.label)).to_be_visible()
    expect(a.get_by_role("heading", name=plan.steps[1].title, exact=True)).to_be_visible()
    shot(a, "languages-step-texts-a-en")
    shot(b, "languages-step-texts-b-es")


ENGLISH_ONLY = Plan(  # as a counselor's own exercise written in English only
    id="english-only",
    title="Our own words",
    steps=(PrivateAnswerStep(id="wish", title="One wish", body="Pick the one closest to you.", answer="choice",
                             prompt="What would help most this week?",
                             options=(Option("time", "Time together"), Option("rest", "Rest"))),),
)


@pytest.mark.parametrize("plan", [ENGLISH_ONLY])
def test_a_step_in_another_language_than_the_page_is_marked_with_its_language(pages):
    """Needs the merge: i18n-live marks the step (``step.language``) shown to B in English."""
    from playwright.sync_api import expect

    a, b = pages
    step = b.locator("[data-step]")
    for text in ("One wish", "Pick the one closest to you.", "What would help most this week?", "Time together", "Rest"):
        expect(step.get_by_text(text, exact=True)).to_have_attribute("lang", "en")
    expect(step.get_by_role("button", name="Guardar mi respuesta")).not_to_have_attribute("lang", "en")
    expect(a.locator("[data-step] [lang]")).to_have_count(0)  # English on an English page: nothing to mark
    shot(b, "languages-english-step-on-a-spanish-page")
    assert_accessible(b, "an English step on a Spanish page")
