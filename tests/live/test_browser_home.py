"""Home pages that stay live in a real browser: a session one partner starts appears on the other
partner's home and on the counselor's couple page without a reload, and a concern raised in it
alerts the counselor on the page they have open, which then shows what raised it."""

from __future__ import annotations

import pytest
from browser import DESKTOP, PHONE, assert_accessible, logged_in_page, shot
from builders import PASSWORD
from servers import LiveClient, login_cookie

pytestmark = pytest.mark.browser


def raise_a_concern(server, couple, session_id: int) -> None:
    """Both partners go past the first step; partner A's check-in answers raise a concern."""
    clients = {role: LiveClient(server.url, login_cookie(server.url, user.email, PASSWORD), session_id).connect()
               for role, user in (("a", couple.partner_a), ("b", couple.partner_b))}
    try:
        for client in clients.values():
            assert client.act("ready", client.latest["step"]["id"], {})["ok"]
        clients["a"].wait_for_version(clients["b"].latest["version"])
        step = clients["a"].latest["step"]
        answers = {question["id"]: question["options"][-1]["id"] for question in step["questions"]}
        assert clients["a"].act("answer", step["id"], {"answers": answers})["ok"]
    finally:
        for client in clients.values():
            client.close()


def test_a_started_session_and_a_concern_appear_without_a_reload(browser, server, couple, errors):
    from playwright.sync_api import expect

    counselor = logged_in_page(browser, server, couple.counselor.email, DESKTOP, errors)
    counselor.goto(f"{server.url}/counselor/couples/{couple.id}")
    b = logged_in_page(browser, server, couple.partner_b.email, PHONE, errors)
    a = logged_in_page(browser, server, couple.partner_a.email, DESKTOP, errors)
    expect(b.get_by_role("button", name="Start a session")).to_be_visible()
    counselor.wait_for_function("document.querySelector('[data-live-sessions]') !== null")
    b.wait_for_timeout(500)  # the home pages' sockets connect

    a.locator('input[name="plan_id"][value="short-check-in"]').check()
    a.get_by_role("button", name="Start a session").click()
    a.wait_for_url("**/sessions/*")
    session_id = int(a.url.rstrip("/").rsplit("/", 1)[1])

    expect(b.get_by_role("link", name="Join Short check-in")).to_be_visible()
    expect(b.get_by_role("status").filter(has_text="A session has started")).to_have_count(1)
    expect(counselor.get_by_role("link", name="Observe Short check-in")).to_be_visible()
    shot(b, "home-session-appears-phone")
    assert_accessible(b, "a partner's home with a session that just appeared")

    raise_a_concern(server, couple, session_id)
    alert = counselor.get_by_role("alert").filter(has_text="raised a concern")
    expect(alert).to_contain_text("Alex & Sam")
    shot(counselor, "home-concern-alert-desktop")
    assert_accessible(counselor, "the couple page with a concern alert")
    alert.get_by_role("link", name="See what raised it").click()
    concerns = counselor.get_by_role("region", name="A check-in raised a concern")
    expect(concerns).to_contain_text("Next: contact Alex privately")
    expect(concerns).to_contain_text("Not safe")
    shot(counselor, "home-concern-answers-desktop")
    assert_accessible(counselor, "the couple page showing what raised a concern")
    expect(b.get_by_role("alert")).to_have_count(0)
