"""The protocol's limits and refusals on the real server (``python wsgi.py`` on eventlet), where they live:
message sizes, raw frames a Socket.IO library would never send, and floods."""

from __future__ import annotations

import gc
import json
import re

import pytest
import socketio
import websocket
from builders import PASSWORD
from servers import LiveClient, couple_driver, live_server, login_cookie

from bench import infra
from couples.domain.plan import Plan, PrivateAnswerStep, ReadStep
from couples.extensions import db
from couples.models import LiveSession, SessionEvent
from couples.realtime.protocol import MAX_MESSAGE_BYTES

from .drive import complete_step

pytestmark = pytest.mark.live

LONG_ANSWERS = Plan(
    id="long-answers",
    title="Long answers",
    steps=(
        ReadStep(id="hello", title="Welcome"),
        PrivateAnswerStep(id="letter", title="A letter", answer="text", max_length=10000),
    ),
)
CYRILLIC = "Мне важно, чтобы ты слышал меня. "  # 2 bytes a letter in UTF-8


@pytest.fixture
def plan() -> Plan:
    return LONG_ANSWERS


@pytest.fixture
def server(app):
    """The real server at a person's pace (the production default), not the tests' machine pace."""
    running = live_server(app.config["SQLALCHEMY_DATABASE_URI"], extra_env=infra.PERSON_PACE).start()
    yield running
    running.stop()


def test_the_longest_cyrillic_answer_content_allows_is_accepted(app, clients, session_id):
    send, view = couple_driver(clients)
    complete_step(send, view)
    letter = (CYRILLIC * 400)[:10000]
    assert len(letter.encode()) > 16 * 1024  # larger than the old message limit
    ack = send("a", "answer", "letter", {"value": letter})
    assert ack["ok"], ack
    assert clients["a"].latest["state"]["mine"] == letter.strip()
    with app.app_context():
        assert db.session.get(LiveSession, session_id).state["steps"][1]["answers"]["a"] == letter.strip()


def test_a_cyrillic_answer_over_the_steps_limit_is_refused_once_with_too_long(app, clients, session_id):
    send, view = couple_driver(clients)
    complete_step(send, view)
    ack = send("a", "answer", "letter", {"value": (CYRILLIC * 400)[:10001]})
    assert ack["error"]["code"] == "too_long"
    assert clients["a"].sio.connected, "a refusal keeps the connection"
    with app.app_context():
        assert db.session.query(SessionEvent).filter_by(session_id=session_id, type="answer").count() == 0


def test_the_message_limit_is_the_content_limit_in_bytes():
    worst_answer = json.dumps(["event", {"id": "x" * 64, "session_id": 2**31 - 1, "type": "answer",
                                         "step_id": "s" * 140, "data": {"value": "😀" * 10000}}],
                              ensure_ascii=False)
    assert len(worst_answer.encode()) < MAX_MESSAGE_BYTES


class RawSocket:
    """A WebSocket speaking Engine.IO/Socket.IO by hand, to send frames no library would."""

    def __init__(self, url: str, cookie: str) -> None:
        self.ws = websocket.create_connection(
            url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket",
            header=[f"Cookie: {cookie}"], origin=url, timeout=10)
        assert self.ws.recv().startswith("0")  # Engine.IO open
        self.ws.send("40/live,")
        assert self.ws.recv().startswith("40/live,")  # Socket.IO connect

    def ack(self, frame: str, ack_id: int) -> object:
        """Send ``frame`` and return the payload of the ack with ``ack_id``."""
        self.ws.send(frame)
        while True:
            message = self.ws.recv()
            if message == "2":  # Engine.IO ping
                self.ws.send("3")
                continue
            match = re.match(rf"^43/live,{ack_id}(.*)$", message, re.DOTALL)
            if match:
                return json.loads(match.group(1))[0]

    def close(self) -> None:
        self.ws.close()


@pytest.mark.parametrize("frame, code", [
    ('42/live,7["event",{"id":"x","session_id":', "bad_payload"),
    ('42/live,7{"not":"a list"}', "bad_payload"),
    ("42/live,7[]", "bad_payload"),
    ('42/live,7[5,{"session_id":1}]', "bad_payload"),
    ('42/live,7[["event"],{}]', "bad_payload"),
    ('42/live,7["event",{"id":"a"},{"second":"argument"}]', "bad_payload"),
    ('42/live,7["dance",{"session_id":1}]', "unknown_event"),
    ('42/live,7["join"]', "bad_payload"),
])
def test_raw_frames_a_library_would_never_send_get_a_documented_refusal(server, couple, session_id, frame, code):
    raw = RawSocket(server.url, login_cookie(server.url, couple.partner_a.email, PASSWORD))
    try:
        answer = raw.ack(frame, 7)
        assert answer["ok"] is False and answer["error"]["code"] == code, answer
        joined = raw.ack(f'42/live,8["join",{{"session_id":{session_id}}}]', 8)
        assert joined["ok"] is True, "the connection keeps working after a refusal"
    finally:
        raw.close()


# The server closes the flooding connection; websocket-client leaves the closed socket to the garbage collector.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_flood_is_slowed_then_closed_without_touching_the_database(app, server, clients, session_id):
    a, b = clients["a"], clients["b"]
    codes: list[str | None] = []
    with pytest.raises(socketio.exceptions.SocketIOError):  # closed by the server after slow_down went unheeded
        for _ in range(500):
            codes.append(a.act("cancel_back", "hello", {}).get("error", {}).get("code"))
    assert codes[:15] == [None] * 15, "a person's burst always gets through"
    assert "slow_down" in codes
    with app.app_context():
        assert db.session.query(SessionEvent).filter_by(session_id=session_id).count() == 0
    assert b.act("ready", "hello", {})["ok"], "the other partner never noticed"
    again = LiveClient(server.url, a.cookie, session_id).connect()  # the same person may come back
    try:
        assert again.act("ready", "hello", {})["ok"]
    finally:
        again.close()
    gc.collect()
