"""In a real browser, with axe-core and console errors watched: a visitor switches the login page to
Spanish from the header, keeps it on the next page, and a counselor's account page changes their
language at once."""

from __future__ import annotations

import pytest
from browser import DESKTOP, PHONE, ConsoleErrors, assert_accessible, logged_in_page, shot
from builders import make_counselor

pytestmark = pytest.mark.browser


def test_a_visitor_switches_to_spanish_from_the_header_and_it_stays(browser, server):
    from playwright.sync_api import expect

    errors = ConsoleErrors()
    page = browser.new_context(viewport=PHONE, locale="en-US").new_page()
    errors.watch(page)
    page.goto(f"{server.url}/login")
    assert_accessible(page, "login in English, with the language switch")

    page.get_by_role("button", name="Español").click()

    expect(page.get_by_role("heading", name="Iniciar sesión")).to_be_visible()
    assert page.locator("html").get_attribute("lang") == "es"
    assert_accessible(page, "login in Spanish")
    shot(page, "languages-login-es")
    page.get_by_role("link", name="Registro para terapeutas").click()
    expect(page.get_by_role("heading", name="Crea una cuenta de terapeuta")).to_be_visible()
    assert page.get_by_label("Idioma", exact=True).input_value() == "es"
    assert not errors


def test_a_counselor_changes_their_language_on_the_account_page(app, browser, server):
    from playwright.sync_api import expect

    with app.app_context():
        make_counselor(email="dana@example.org")
    errors = ConsoleErrors()
    page = logged_in_page(browser, server, "dana@example.org", DESKTOP, errors)
    page.get_by_role("link", name="Account").click()

    page.get_by_label("Language", exact=True).select_option("es")
    page.get_by_role("button", name="Save the language").click()

    expect(page.get_by_text("Guardamos tu idioma: la aplicación ahora está en español.")).to_be_visible()
    expect(page.get_by_role("link", name="Mis parejas")).to_be_visible()
    assert_accessible(page, "account page in Spanish")
    assert not errors
