"""Logging out on the real server (``python wsgi.py``, eventlet): the login's sockets close and stay closed."""

from __future__ import annotations

import json
import queue
import time

import engineio
import pytest
import socketio
from builders import PASSWORD
from servers import NAMESPACE, LiveClient, live_server, login_cookie, logout
from sqlalchemy import select

from couples.extensions import db
from couples.models import SessionEvent

pytestmark = pytest.mark.live


def test_logging_out_closes_the_partners_socket_and_its_cookie_is_refused_as_unauthorized(server, couple, session_id):
    cookie = login_cookie(server.url, couple.partner_a.email, PASSWORD)
    alex = LiveClient(server.url, cookie, session_id).connect()
    sam = LiveClient(server.url, login_cookie(server.url, couple.partner_b.email, PASSWORD), session_id).connect()

    logout(server.url, cookie)

    assert alex.gone.wait(10), "the socket stayed open after logout"
    assert ("signed_out", {}) in alex.frames
    replay = LiveClient(server.url, cookie, session_id)
    with pytest.raises(socketio.exceptions.ConnectionError):
        replay.connect()
    assert replay.refusal == {"message": "unauthorized"}
    assert not sam.gone.is_set()
    assert sam.act("ready", sam.latest["step"]["id"], {})["ok"]
    sam.close()


class RawSocket:
    """A client that speaks Engine.IO frames itself, so it can keep its connection after the server
    closes the namespace (as a hostile client would) and send events the polite client would not."""

    def __init__(self, base_url: str, cookie: str) -> None:
        self.messages: queue.Queue[str] = queue.Queue()
        self.eio = engineio.Client(websocket_extra_options={"suppress_origin": True})
        self.eio.on("message", self.messages.put)
        self.eio.connect(base_url, headers={"Cookie": cookie, "Origin": base_url}, transports=["websocket"],
                         engineio_path="socket.io")

    def send(self, frame: str) -> None:
        self.eio.send(frame)

    def next_frame(self, timeout: float = 5) -> str | None:
        try:
            return self.messages.get(timeout=timeout)
        except queue.Empty:
            return None


def test_after_logout_the_server_ignores_events_from_a_client_that_keeps_its_connection(app, server, couple,
                                                                                          session_id):
    cookie = login_cookie(server.url, couple.partner_a.email, PASSWORD)
    raw = RawSocket(server.url, cookie)
    raw.send(f"0{NAMESPACE},")  # Socket.IO CONNECT
    assert raw.next_frame().startswith(f"0{NAMESPACE},")
    heartbeat = json.dumps(["heartbeat", {"session_id": session_id}])
    raw.send(f"2{NAMESPACE},0{heartbeat}")  # the same frame shape is answered while logged in
    assert raw.next_frame().startswith(f'3{NAMESPACE},0[{{"ok":true,')
    ready = json.dumps(["event", {"id": "after-logout", "session_id": session_id, "type": "ready",
                                  "step_id": "welcome", "data": {}}])

    logout(server.url, cookie)
    assert raw.next_frame() == f'2{NAMESPACE},["signed_out",{{}}]'
    assert raw.next_frame() == f"1{NAMESPACE},"  # Socket.IO DISCONNECT
    raw.send(f"2{NAMESPACE},1{ready}")  # an EVENT asking for ack 1, sent anyway

    assert raw.next_frame(timeout=2) is None
    with app.app_context():
        assert db.session.scalars(select(SessionEvent).where(SessionEvent.session_id == session_id)).all() == []
    raw.eio.disconnect()


def test_a_login_left_idle_past_the_timeout_can_no_longer_open_a_socket(app, couple, session_id):
    server = live_server(app.config["SQLALCHEMY_DATABASE_URI"], extra_env={"COUPLES_IDLE_MINUTES": "0.05"}).start()
    try:
        cookie = login_cookie(server.url, couple.partner_a.email, PASSWORD)
        LiveClient(server.url, cookie, session_id).connect().close()

        time.sleep(4.5)  # past the three-second timeout, with nothing done in between
        late = LiveClient(server.url, cookie, session_id)

        with pytest.raises(socketio.exceptions.ConnectionError):
            late.connect()
        assert late.refusal == {"message": "unauthorized"}
    finally:
        server.stop()
