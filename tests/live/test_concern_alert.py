"""A concern reaches the counselor at once, on the couple's page with the answers that raised it and
the way that partner chose to be reached, and nothing of it reaches the other partner.

Also: a session one member starts appears on the others' open pages (their login rooms)."""

from __future__ import annotations

import threading
import time

import pytest
import socketio
from builders import PASSWORD, login, make_concern_session, post_form
from servers import login_cookie, start_in_browser

from couples.extensions import db
from couples.models import User
from couples.realtime.protocol import NAMESPACE

pytestmark = pytest.mark.live

CONTACT = "Text me at 555-0199 on weekdays before 5pm"


class LoginRoomSocket:
    """A page that follows no session: a socket in its login's room only (home pages, counselor pages)."""

    def __init__(self, server, email: str) -> None:
        self.frames: list[tuple[str, object]] = []
        self.arrived = threading.Condition()
        self.sio = socketio.Client(reconnection=False, websocket_extra_options={"suppress_origin": True})
        self.sio.on("*", self._on_any, namespace=NAMESPACE)
        self.sio.connect(server.url, namespaces=[NAMESPACE], transports=["websocket"], wait_timeout=10,
                         headers={"Cookie": login_cookie(server.url, email, PASSWORD), "Origin": server.url})

    def _on_any(self, event: str, data: object = None) -> None:
        with self.arrived:
            self.frames.append((event, data))
            self.arrived.notify_all()

    def wait_for(self, name: str, timeout: float = 10) -> object:
        with self.arrived:
            assert self.arrived.wait_for(lambda: any(event == name for event, _ in self.frames), timeout), (
                f"no {name} frame: {self.frames}")
        return next(data for event, data in self.frames if event == name)

    def names(self) -> list[str]:
        return [event for event, _ in self.frames]

    def close(self) -> None:
        self.sio.disconnect()


@pytest.fixture
def rooms(server, couple):
    """Login-room sockets of the counselor and both partners, as their open home pages hold them."""
    opened = {"counselor": LoginRoomSocket(server, couple.counselor.email),
              "a": LoginRoomSocket(server, couple.partner_a.email),
              "b": LoginRoomSocket(server, couple.partner_b.email)}
    yield opened
    for socket in opened.values():
        socket.close()


def to_check_in(clients) -> str:
    for role in ("a", "b"):
        assert clients[role].act("ready", clients[role].latest["step"]["id"], {})["ok"]
    clients["a"].wait_for_version(clients["b"].latest["version"])
    return clients["a"].latest["step"]["id"]


def test_a_concern_alerts_the_counselor_at_once_and_no_partner(clients, rooms, couple):
    check_in = to_check_in(clients)
    ack = clients["a"].act("answer", check_in, {"answers": {"safe": "no"}})
    assert ack["ok"], ack
    alert = rooms["counselor"].wait_for("concern")
    assert alert["couple_id"] == couple.id and "Alex & Sam" in alert["message"]
    assert alert["url"].endswith(f"/counselor/couples/{couple.id}#concerns")
    assert set(alert) == {"couple_id", "session_id", "message", "url"}  # no answer travels in it
    clients["b"].wait_for_version(ack["version"])
    time.sleep(1)  # time for any stray frame to arrive
    assert rooms["a"].names() == [] and rooms["b"].names() == []
    for role in ("a", "b"):
        assert all(name != "concern" for name, _ in clients[role].frames)


def test_a_safe_answer_alerts_nobody(clients, rooms):
    check_in = to_check_in(clients)
    ack = clients["a"].act("answer", check_in, {"answers": {"safe": "yes"}})
    clients["b"].wait_for_version(ack["version"])
    time.sleep(1)
    assert "concern" not in rooms["counselor"].names()


def test_a_session_started_by_one_partner_appears_on_the_others_pages(server, couple, rooms):
    post = start_in_browser(server, login_cookie(server.url, couple.partner_a.email, PASSWORD), couple.id,
                            "short-check-in")
    post()
    for who in ("counselor", "b", "a"):
        started = rooms[who].wait_for("session_started")
        assert started["couple_id"] == couple.id and started["plan_title"]
        assert isinstance(started["session_id"], int)


# --- the pages ---------------------------------------------------------------------------

@pytest.fixture
def concern_raised(app, couple, session_id, connect):
    """Partner A (who gave a private contact) raised a concern in the session's check-in."""
    with app.app_context():
        db.session.get(User, couple.partner_a_id).private_contact = CONTACT
        db.session.commit()
    a, b = connect(couple.partner_a), connect(couple.partner_b)
    for partner in (a, b):
        assert partner.act("ready", "welcome")["ok"]
    assert a.act("answer", "check", {"answers": {"safe": "no"}})["ok"]
    assert b.act("answer", "check", {"answers": {"safe": "yes"}})["ok"]
    return a, b


def test_the_couple_page_shows_the_answers_and_how_to_reach_that_partner(app, couple, concern_raised):
    counselor = app.test_client()
    login(counselor, couple.counselor.email)
    page = counselor.get(f"/counselor/couples/{couple.id}").get_data(as_text=True)
    concern = page.split('id="concerns"', 1)[1].split("</section>", 1)[0]
    assert "Do you feel safe?" in concern and "<strong>No</strong>" in concern
    assert "Next: contact Alex privately" in concern and CONTACT in concern
    assert "Sam" not in concern  # only the partner who raised it


def test_the_other_partner_finds_no_trace_of_it_anywhere(app, couple, session_id, concern_raised):
    a, b = concern_raised
    b.snapshot()
    for frame in b.frames:
        assert CONTACT not in str(frame) and "concern" not in str(frame.get("name"))
    for url in ("/partner/", f"/sessions/{session_id}", "/partner/summaries", "/partner/private-contact"):
        html = b.http.get(url).get_data(as_text=True)
        assert CONTACT not in html and "raised a concern" not in html, url


def test_a_partner_sets_and_removes_their_private_contact(app, couple):
    client = app.test_client()
    login(client, couple.partner_b.email)
    assert "Only your counselor sees this" in client.get("/partner/private-contact").get_data(as_text=True)
    post_form(client, "/partner/private-contact", {"private_contact": "  Call me\n at work  "})
    with app.app_context():
        assert db.session.get(User, couple.partner_b_id).private_contact == "Call me at work"
    too_long = post_form(client, "/partner/private-contact", {"private_contact": "x" * 301})
    assert "under 300 characters" in too_long.get_data(as_text=True)
    post_form(client, "/partner/private-contact", {"private_contact": ""})
    with app.app_context():
        assert db.session.get(User, couple.partner_b_id).private_contact is None


def test_counselors_have_no_private_contact_page(app, couple):
    client = app.test_client()
    login(client, couple.counselor.email)
    assert client.get("/partner/private-contact").status_code == 404


def test_the_couple_page_queries_as_much_for_one_concern_as_for_many(app, couple, plan):
    from scale.test_counselor_queries import counted

    counselor = app.test_client()
    login(counselor, couple.counselor.email)
    url = f"/counselor/couples/{couple.id}"
    with app.app_context():
        make_concern_session(couple, plan)
    counselor.get(url)
    with counted(app) as one:
        assert counselor.get(url).get_data(as_text=True).count("concern-report") == 1
    with app.app_context():
        for _ in range(5):
            make_concern_session(couple, plan)
    with counted(app) as many:
        assert counselor.get(url).get_data(as_text=True).count("concern-report") == 3  # the latest three
    assert len(many) == len(one), "\n".join(many)
