"""Fixtures for live sessions: a joined couple, a plan with every step kind, and Socket.IO test clients."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

import pytest
from builders import PASSWORD, login, make_counselor, make_couple
from servers import LiveClient, live_server, login_cookie

from couples.domain.plan import (AgreeStep, CheckInStep, CheckQuestion, Option, Plan, PrivateAnswerStep, RatingItem,
                                 RatingStep, ReadStep, Scale, TimerStep, TurnsStep)
from couples.extensions import db, socketio
from couples.models import Couple, User
from couples.realtime.protocol import NAMESPACE
from couples.services import live

YES_NO = (Option("yes", "Yes"), Option("no", "No"))
HEARTBEAT = 1  # seconds: COUPLES_HEARTBEAT_SECONDS shortens the 30 s default for lossy_server

EVERY_KIND = Plan(
    id="every-kind",
    title="Every kind of step",
    steps=(
        ReadStep(id="welcome", title="Welcome", body="Read this together."),
        CheckInStep(id="check", title="Check-in", questions=(
            CheckQuestion(id="safe", label="Do you feel safe?", options=YES_NO, concern_if=("no",)),)),
        PrivateAnswerStep(id="wish", title="A wish", answer="text", max_length=200),
        RatingStep(id="signs", title="Signs", items=(RatingItem("terse", "Short replies"), RatingItem("busy", "Busy")),
                   scale=Scale(0, 4, ("Never", "Rarely", "Sometimes", "Often", "Almost always"))),
        TurnsStep(id="floor", title="Speaker and listener", turns=2),
        TimerStep(id="breathe", title="Breathe", seconds=60),
        AgreeStep(id="ritual", title="A ritual", options=(Option("walk", "A walk"), Option("tea", "Tea together"))),
    ),
)


@dataclass
class Participant:
    """One person in a live session: their user, HTTP client and Socket.IO test client."""

    user: User
    http: Any
    socket: Any
    session_id: int
    latest: dict | None = None
    frames: list = field(default_factory=list)

    def emit(self, name: str, payload: Any) -> Any:
        return self.socket.emit(name, payload, namespace=NAMESPACE, callback=True)

    def act(self, type_: str, step_id: str | None, data: dict | None = None, event_id: str | None = None) -> dict:
        """Send one event and return its acknowledgement."""
        self._count = getattr(self, "_count", 0) + 1
        payload = {"id": event_id or f"{self.user.id}-{self._count}", "session_id": self.session_id,
                   "type": type_, "step_id": step_id, "data": data or {}}
        return self.emit("event", payload)

    def snapshot(self) -> dict:
        """The newest snapshot received so far (frames are kept in ``frames``)."""
        for frame in self.socket.get_received(NAMESPACE):
            self.frames.append(frame)
            if frame["name"] == "snapshot":
                self.latest = frame["args"][0]
        assert self.latest is not None, "no snapshot received"
        return self.latest

    def join(self, last_version: int = 0) -> dict:
        return self.emit("join", {"session_id": self.session_id, "last_version": last_version})


@pytest.fixture
def errors():
    """Console errors of every page a browser test opens; none may occur."""
    from browser import ConsoleErrors

    collected = ConsoleErrors()
    yield collected
    assert collected == [], collected


@pytest.fixture
def couple(app) -> Couple:
    with app.app_context():
        return make_couple(make_counselor())


@pytest.fixture
def plan() -> Plan:
    """The plan the session runs; override in a module to run another."""
    return EVERY_KIND


@pytest.fixture
def session_id(app, couple, plan) -> int:
    with app.app_context():
        return live.start_plan(db.session.get(User, couple.partner_a_id), db.session.get(Couple, couple.id), plan).id


@pytest.fixture
def connect(app, session_id):
    """connect(user) -> a joined Participant; sockets are disconnected at the end."""
    opened = []

    def _connect(user: User, join: bool = True, sid: int | None = None) -> Participant:
        http = app.test_client()
        login(http, user.email, PASSWORD)
        socket = socketio.test_client(app, namespace=NAMESPACE, flask_test_client=http)
        opened.append(socket)
        participant = Participant(user, http, socket, sid or session_id)
        if join:
            assert participant.join()["ok"]
        return participant

    yield _connect
    for socket in opened:
        if socket.is_connected(NAMESPACE):
            socket.disconnect(namespace=NAMESPACE)


@pytest.fixture
def pair(connect, couple):
    """Both partners connected and joined: (a, b)."""
    return connect(couple.partner_a), connect(couple.partner_b)


@pytest.fixture
def drive(pair):
    """(send, view) callables over the two partners, for tests/live/drive.py."""
    by_role = dict(zip("ab", pair, strict=True))
    return (lambda role, type_, step_id, data: by_role[role].act(type_, step_id, data)), (lambda role: by_role[role].snapshot())


@pytest.fixture
def lossy_server(app):
    """The real server, whose published snapshots to partner B all fail after the commit."""
    server = live_server(app.config["SQLALCHEMY_DATABASE_URI"],
                         extra_env={"LOSSY_VIEWER": "b", "COUPLES_HEARTBEAT_SECONDS": str(HEARTBEAT)},
                         command=[sys.executable, "tests/live/lossy_wsgi.py"]).start()
    yield server
    server.stop()


@pytest.fixture
def clients(server, couple, session_id):
    """Both partners on python-socketio clients against ``server``, joined: {"a": LiveClient, "b": LiveClient}."""
    opened = {
        role: LiveClient(server.url, login_cookie(server.url, user.email, PASSWORD), session_id).connect()
        for role, user in (("a", couple.partner_a), ("b", couple.partner_b))
    }
    yield opened
    for client in opened.values():
        client.close()
