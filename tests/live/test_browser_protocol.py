"""The browser client's side of the protocol, in Chromium against the real server: event ids on a plain-HTTP
LAN page (no ``crypto.randomUUID``), a long Cyrillic answer, an answer that never comes, the size check."""

from __future__ import annotations

import json
import re
import time

import pytest

from couples.domain.plan import Plan, PrivateAnswerStep, RatingItem, RatingStep, ReadStep, Scale
from couples.realtime.protocol import MAX_MESSAGE_BYTES

from browser import ARTIFACTS, DESKTOP, PHONE, assert_accessible, logged_in_page, shot

pytestmark = pytest.mark.browser

NO_RANDOM_UUID = "delete Crypto.prototype.randomUUID;"  # what a plain-HTTP page outside localhost lacks
LETTER_PLAN = Plan(
    id="browser-letter",
    title="A letter",
    steps=(
        ReadStep(id="hello", title="Welcome", body="Take a breath together."),
        PrivateAnswerStep(id="letter", title="A letter", prompt="Write to your partner", max_length=10000),
    ),
)
CYRILLIC = "Мне важно, чтобы ты слышал меня. "


@pytest.fixture
def plan():
    return LETTER_PLAN


def event_ids(frames: list[str], type_: str) -> list[str]:
    """The ids of the ``type_`` events in these Socket.IO frames, in order."""
    ids = []
    for frame in frames:
        match = re.match(r"^42/live,\d+(\[.*\])$", frame, re.DOTALL)
        if match:
            name, payload = json.loads(match.group(1))[:2]
            if name == "event" and payload.get("type") == type_:
                ids.append(payload["id"])
    return ids


class Watched:
    """A partner's page with its console errors and the Socket.IO frames it sent."""

    def __init__(self, page) -> None:
        self.page = page
        self.errors: list[str] = []
        self.sent: list[str] = []
        page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("websocket", lambda ws: ws.on("framesent", lambda frame: self.sent.append(str(frame))))

    def event_ids(self, type_: str) -> list[str]:
        """The ids of the ``type_`` events this page sent, in order (resends included)."""
        return event_ids(self.sent, type_)

    def assert_clean(self) -> None:
        """No console errors, and no accessibility violations on what the page shows now."""
        assert self.errors == [], self.errors
        assert_accessible(self.page)


def lan_page(browser, server, user, viewport, session_id, route=None) -> Watched:  # noqa: F811
    """A partner's page as a plain-HTTP LAN install serves it: no crypto.randomUUID."""
    page = logged_in_page(browser, server, user.email, viewport)
    page.add_init_script(NO_RANDOM_UUID)
    if route is not None:
        page.route_web_socket(re.compile(r".*/socket\.io/.*"), route)
    watched = Watched(page)
    page.goto(f"{server.url}/sessions/{session_id}")
    assert page.evaluate("typeof crypto.randomUUID") == "undefined"
    return watched


def test_a_plain_http_page_without_random_uuid_sends_a_long_cyrillic_answer(browser, server, couple,  # noqa: F811
                                                                          session_id):
    from playwright.sync_api import expect

    a = lan_page(browser, server, couple.partner_a, PHONE, session_id)
    b = lan_page(browser, server, couple.partner_b, DESKTOP, session_id)
    for partner in (a, b):
        expect(partner.page.get_by_role("heading", name="Welcome")).to_be_visible()
        partner.page.get_by_role("button", name="Continue").click()
    letter = (CYRILLIC * 400)[:10000]
    a.page.get_by_label("Write to your partner").fill(letter)
    a.page.get_by_role("button", name="Save my answer").click()
    expect(b.page.get_by_text("Alex has answered")).to_be_visible()
    b.page.get_by_label("Write to your partner").fill("Я тоже.")
    b.page.get_by_role("button", name="Save my answer").click()
    expect(b.page.get_by_text(letter.strip()[:200])).to_be_visible()
    assert all(re.fullmatch(r"[0-9a-f]{32}", event_id) for event_id in a.event_ids("answer") + a.event_ids("ready"))
    assert len(a.event_ids("answer")) == 1, "sent once, never looped"
    shot(b.page, "protocol-long-cyrillic-answer-desktop")
    a.assert_clean()
    b.assert_clean()


def test_an_answer_that_never_comes_is_told_and_the_event_resent_with_the_same_id(browser, server, couple,  # noqa: F811
                                                                                 session_id):
    from playwright.sync_api import expect

    dropped: list[str] = []
    readies: list[str] = []

    def lose_the_first_ready(ws) -> None:
        """The server never sees the page's "ready" twice while the socket stays open: no ack comes for 16 s."""
        server_side = ws.connect_to_server()

        def from_page(message) -> None:
            if '"type":"ready"' in str(message):
                readies.append(str(message))
            if '"type":"ready"' in str(message) and len(dropped) < 2:
                dropped.append(str(message))
                return
            server_side.send(message)

        ws.on_message(from_page)

    a = lan_page(browser, server, couple.partner_a, PHONE, session_id, route=lose_the_first_ready)
    b = lan_page(browser, server, couple.partner_b, DESKTOP, session_id)
    expect(a.page.get_by_role("heading", name="Welcome")).to_be_visible()
    expect(b.page.get_by_role("heading", name="Welcome")).to_be_visible()
    started = time.monotonic()
    a.page.get_by_role("button", name="Continue").click()
    banner = a.page.locator("p[data-connection]")
    expect(banner).to_have_text(re.compile("not answered yet"), timeout=15_000)
    shot(a.page, "protocol-ack-late-phone")
    a.assert_clean()
    expect(banner).to_be_hidden(timeout=15_000)
    assert time.monotonic() - started >= 15, "told only after the answer was really late, then resent"
    expect(a.page.get_by_role("button", name="Waiting for Sam…")).to_be_visible()
    assert len(dropped) == 2
    ids = event_ids(readies, "ready")
    assert len(ids) == 3 and len(set(ids)) == 1, "resent with the same id"
    b.page.get_by_role("button", name="Continue").click()
    expect(a.page.get_by_role("heading", name="A letter", level=2)).to_be_visible()
    expect(b.page.get_by_role("heading", name="A letter", level=2)).to_be_visible()
    a.assert_clean()
    b.assert_clean()


def test_the_page_knows_the_servers_limit_and_refuses_a_larger_message_itself(browser, server, couple,  # noqa: F811
                                                                             session_id):
    a = lan_page(browser, server, couple.partner_a, PHONE, session_id)
    assert int(a.page.locator("[data-live-session]").get_attribute("data-max-message-bytes")) == MAX_MESSAGE_BYTES
    sizes = a.page.evaluate("""async () => {
        const { encodedBytes } = await import("/static/js/live/connection.js");
        const event = (text) => ({ id: "x", session_id: 1, type: "answer", step_id: "letter", data: { value: text } });
        return [encodedBytes("event", event("Мне")), encodedBytes("event", event("\\u0001".repeat(50000)))];
    }""")
    assert sizes[0] < 200
    assert sizes[1] > MAX_MESSAGE_BYTES / 2 and sizes[1] >= 50000 * 6  # control characters take 6 bytes each
    a.assert_clean()


MANY_NOTES = Plan(
    id="browser-many-notes",
    title="Many notes",
    steps=(RatingStep(id="signs", title="What you notice", max_note_length=2000, scale=Scale(0, 4),
                      items=tuple(RatingItem(f"sign-{n}", f"Sign number {n}") for n in range(30))),),
)


@pytest.mark.parametrize("plan", [MANY_NOTES])
def test_a_message_over_the_limit_is_refused_by_the_page_with_a_clear_message(browser, server, couple,  # noqa: F811
                                                                              session_id):
    from playwright.sync_api import expect

    a = lan_page(browser, server, couple.partner_a, DESKTOP, session_id)
    expect(a.page.get_by_role("heading", name="What you notice")).to_be_visible()
    # Thirty notes of 2,000 control characters: within each note's limit, but JSON writes each as 6 bytes.
    a.page.evaluate("""() => {
        for (const radio of document.querySelectorAll('input[type=radio][value="0"]')) radio.checked = true;
        for (const area of document.querySelectorAll("textarea")) area.value = "\\u0001".repeat(2000);
    }""")
    a.page.get_by_role("button", name="Share my ratings").click()
    expect(a.page.get_by_role("alert")).to_contain_text("too long to send in one go")
    assert a.event_ids("rate") == [], "never sent, so never closed and resent in a loop"
    expect(a.page.locator("[data-live-session]")).to_have_attribute("data-connection", "connected")
    a.page.evaluate("window.scrollTo(0, 0)")
    a.page.screenshot(path=str(ARTIFACTS / "protocol-too-large-desktop.png"))  # the top: where the message is
    a.assert_clean()
