"""Quick exit ends the login on its way out: the beacon endpoint (HTTP) and a real browser."""

from __future__ import annotations

import re
import time

import pytest
from browser import PHONE, ConsoleErrors, assert_accessible, logged_in_page, shot
from builders import login, make_counselor, make_couple

from couples.extensions import db
from couples.models import AuditEntry

TOKEN = re.compile(r'data-exit-token="([0-9a-f]+)"')


@pytest.fixture
def partner_couple(app):
    with app.app_context():
        return make_couple(make_counselor())


def logged_in(app, email):
    client = app.test_client()
    login(client, email)
    return client


def exit_token_of(client) -> str:
    return TOKEN.search(client.get("/partner/").get_data(as_text=True)).group(1)


def is_logged_in(client) -> bool:
    return client.get("/partner/").status_code == 200


def test_the_beacon_with_the_logins_token_ends_every_login_of_the_account(app, partner_couple):
    phone, laptop = logged_in(app, partner_couple.partner_a.email), logged_in(app, partner_couple.partner_a.email)
    answer = phone.post("/quick-exit", data={"token": exit_token_of(phone)})
    assert answer.status_code == 204 and answer.get_data() == b""
    assert not is_logged_in(phone) and not is_logged_in(laptop)
    with app.app_context():
        assert db.session.query(AuditEntry).filter_by(action="auth.quick_exit").count() == 1


@pytest.mark.parametrize("token", ["", "0" * 64, "not-hex", None])
def test_a_beacon_without_the_logins_own_token_changes_nothing(app, partner_couple, token):
    client = logged_in(app, partner_couple.partner_a.email)
    answer = client.post("/quick-exit", data={} if token is None else {"token": token})
    assert answer.status_code == 204
    assert is_logged_in(client)


def test_one_partners_token_does_not_end_the_other_partners_login(app, partner_couple):
    alex, sam = logged_in(app, partner_couple.partner_a.email), logged_in(app, partner_couple.partner_b.email)
    assert sam.post("/quick-exit", data={"token": exit_token_of(alex)}).status_code == 204
    assert is_logged_in(sam) and is_logged_in(alex)


def test_a_token_stops_working_once_its_login_ended(app, partner_couple):
    client = logged_in(app, partner_couple.partner_a.email)
    old = exit_token_of(client)
    client.post("/quick-exit", data={"token": old})
    login(client, partner_couple.partner_a.email)
    assert exit_token_of(client) != old
    client.post("/quick-exit", data={"token": old})
    assert is_logged_in(client)


def test_the_beacon_without_a_login_answers_the_same(client):
    assert client.post("/quick-exit", data={"token": "x"}).status_code == 204


# --- in a real browser -------------------------------------------------------------

def wait_until_logged_out(page, server, timeout: float = 10) -> None:
    """The beacon is sent as the page goes: its effect lands a moment after the exit."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if "/login" in page.context.request.get(f"{server.url}/partner/").url:
            return
        time.sleep(0.1)
    raise AssertionError("the login did not end after Quick exit")


@pytest.mark.browser
@pytest.mark.parametrize("how", ["button", "escape twice"])
def test_after_quick_exit_back_and_the_site_show_the_login_page(browser, server, partner_couple, how):
    from playwright.sync_api import expect

    errors = ConsoleErrors()
    page = logged_in_page(browser, server, partner_couple.partner_a.email, PHONE, errors)
    page.goto(f"{server.url}/partner/summaries")
    assert_accessible(page, "a partner page with Quick exit")
    length = page.evaluate("history.length")
    if how == "button":
        page.get_by_role("link", name="Quick exit").click()
    else:
        page.keyboard.press("Escape")
        page.keyboard.press("Escape")
    page.wait_for_url(re.compile(r".*/weather$"))
    assert page.evaluate("history.length") == length  # the partner page was replaced, not left behind
    wait_until_logged_out(page, server)

    page.go_back()  # the entry before the replaced one: the partner's home, now behind the login
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    assert "/login" in page.url
    page.goto(f"{server.url}/")  # the public front page, not the partner's home
    expect(page.get_by_role("main").get_by_role("link", name="Log in")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)
    page.goto(f"{server.url}/partner/")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    shot(page, f"quick-exit-then-back-{how.replace(' ', '-')}")
    assert errors == [], errors
    page.context.close()
