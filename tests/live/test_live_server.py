"""The real server (``python wsgi.py`` on eventlet) with python-socketio clients, through a crash."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
import requests
import socketio
from builders import PASSWORD
from servers import LiveClient, couple_driver, login_cookie

from couples.config import WRITE_BUFFER_BYTES
from couples.extensions import db
from couples.models import LiveSession, SessionEvent
from couples.realtime.protocol import MAX_MESSAGE_BYTES

from .drive import complete_plan, complete_step

pytestmark = pytest.mark.live


def test_responses_larger_than_the_write_buffer_arrive_whole_one_after_another(server):
    script = Path(__file__).resolve().parents[2] / "static" / "vendor" / "summary.js"
    with requests.Session() as http:  # one kept-alive connection: each response must end where it says
        pages = [http.get(f"{server.url}{path}", timeout=10) for path in ("/static/vendor/summary.js", "/login") * 2]
    assert [page.status_code for page in pages] == [200] * 4
    assert pages[0].content == pages[2].content == script.read_bytes()
    assert len(pages[0].content) > WRITE_BUFFER_BYTES
    assert b"</html>" in pages[1].content and len(pages[1].content) > WRITE_BUFFER_BYTES


def test_a_socket_from_a_foreign_origin_is_refused(server, couple, session_id):
    cookie = login_cookie(server.url, couple.partner_a.email, PASSWORD)
    stranger = LiveClient(server.url, cookie, session_id, origin="http://evil.example")
    with pytest.raises(socketio.exceptions.ConnectionError):
        stranger.connect()


def test_a_socket_without_login_is_refused_as_unauthorized(server, session_id):
    anonymous = LiveClient(server.url, "", session_id)
    with pytest.raises(socketio.exceptions.ConnectionError):
        anonymous.connect()
    assert anonymous.refusal == {"message": "unauthorized"}


def test_partners_finish_a_plan_across_a_server_crash_and_lose_nothing(app, server, clients, session_id):
    send, view = couple_driver(clients)
    for _ in range(3):  # welcome, check-in, private answer
        complete_step(send, view)
    rating_step = view("a")["step"]["id"]
    assert send("a", "rate", rating_step, {"ratings": {"terse": 4, "busy": 1}, "notes": {}})["ok"]

    server.kill()
    server.start()
    for client in clients.values():
        assert client.joined.wait(15), "client did not rejoin after the restart"

    assert view("a")["state"]["mine"]["values"] == {"terse": 4, "busy": 1}
    assert view("b")["state"]["answered"] == {"a": True, "b": False}
    complete_plan(send, view)
    assert view("b")["status"] == "completed"
    with app.app_context():
        row = db.session.get(LiveSession, session_id)
        assert row.status == "completed"
        answers = [step.get("answers") for step in row.state["steps"] if step.get("kind") == "private_answer"]
        assert answers and all(set(entry) == {"a", "b"} for entry in answers)
        assert db.session.query(SessionEvent).filter_by(session_id=session_id, type="rate").count() >= 3


# The server closes the connection; websocket-client leaves the closed socket to the garbage collector.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_an_oversized_message_is_refused_and_changes_nothing(app, clients, session_id):
    a = clients["a"]
    before = a.latest["version"]
    with pytest.raises(Exception):  # noqa: B017 - whichever error the client raises for a dropped connection
        # Over the message limit: the server drops the connection instead of reading it.
        a.act("answer", a.latest["step"]["id"], {"value": "x" * (MAX_MESSAGE_BYTES + 1)})
    with app.app_context():
        assert db.session.get(LiveSession, session_id).version == before
        assert db.session.query(SessionEvent).filter_by(session_id=session_id).count() == 0
    assert a.joined.wait(10), "the client did not reconnect"
    gc.collect()  # collect the dropped socket here, under this test's warning filter, not in the next test


def test_text_over_the_steps_limit_is_refused_with_too_long(clients):
    send, view = couple_driver(clients)
    complete_step(send, view)  # welcome
    complete_step(send, view)  # check-in
    step = view("a")["step"]
    ack = send("a", "answer", step["id"], {"value": "y" * (step["max_length"] + 1)})
    assert ack["error"]["code"] == "too_long"
    assert view("b")["state"]["answered"] == {"a": False, "b": False}
