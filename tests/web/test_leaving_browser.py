"""In a real browser: a partner reads what deleting does and deletes their account; a counselor
sets up two-step login from the QR code's secret and logs in with a code. Every page is checked
with axe-core, and any console error (a CSP refusal of the inline QR code, say) fails the test."""

from __future__ import annotations

import time

import pyotp
import pytest
from browser import DESKTOP, PHONE, ConsoleErrors, assert_accessible, logged_in_page, shot
from builders import PASSWORD, make_counselor, make_couple

pytestmark = [pytest.mark.browser, pytest.mark.live]


@pytest.fixture
def people(app):
    with app.app_context():
        counselor = make_counselor()
        return counselor, make_couple(counselor)


def test_a_partner_reads_what_deleting_does_then_deletes_their_account_on_a_phone(browser, server, people):
    _counselor, couple = people
    errors = ConsoleErrors()
    page = logged_in_page(browser, server, couple.partner_b.email, PHONE, errors)
    page.get_by_role("link", name="Account").click()
    assert_accessible(page, "account page")
    page.get_by_role("link", name="What deleting does, and how").click()
    assert page.get_by_role("heading", name="What stays").is_visible()
    page.get_by_role("button", name="Delete my account").click()  # nothing filled in: errors, nothing deleted
    assert page.get_by_text("Please confirm that you understand.").is_visible()
    assert_accessible(page, "delete page with errors")
    shot(page, "leaving-delete-phone")
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_label("I understand that this cannot be undone.").check()
    page.get_by_role("button", name="Delete my account").click()
    assert page.get_by_role("heading", name="Your account is deleted").is_visible()
    assert_accessible(page, "deleted page")
    assert errors == []


def test_a_counselor_sets_up_two_step_login_and_logs_in_with_a_code(browser, server, people):
    counselor, _couple = people
    errors = ConsoleErrors()
    page = logged_in_page(browser, server, counselor.email, DESKTOP, errors)
    page.goto(f"{server.url}/account/totp")
    assert page.locator("figure.totp-qr svg").is_visible()
    assert_accessible(page, "TOTP setup")
    shot(page, "totp-setup-desktop")
    secret = page.locator("#totp-secret").inner_text()
    page.get_by_label("Code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Continue").click()
    assert page.locator(".recovery-codes li").count() == 10
    assert_accessible(page, "recovery codes")
    page.get_by_role("button", name="Log out").click()

    page.get_by_label("Email").fill(counselor.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/login/code**")
    assert_accessible(page, "code page")
    page.get_by_label("Code").fill(pyotp.TOTP(secret).at(time.time() + 30))  # the setup used this step's code
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/counselor/**")
    assert errors == []
