"""Couples talking to a real server as fast as it acknowledges (for the rotation and crash tests):
a long plan, one thread per couple, every acknowledged event remembered with its id and data."""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import socketio
from builders import PASSWORD, make_counselor, make_couple
from servers import LiveClient, live_server, login_cookie
from sqlalchemy import select

from couples.domain.plan import Plan, PrivateAnswerStep, TurnsStep
from couples.extensions import db
from couples.models import Couple, LiveSession, SessionEvent, User
from couples.services import live

TURNS = 30
LONG_TALK = Plan(id="long-talk", title="A long talk", steps=(
    PrivateAnswerStep(id="wish", title="A wish", answer="text", max_length=200),
    TurnsStep(id="floor", title="Speaker and listener", turns=TURNS),
))


class Talk(threading.Thread):
    """One couple talking through :data:`LONG_TALK`; after the last turn it pauses and resumes until
    ``stop`` is set, then finishes the plan. Stops at the first failure (kept in ``error``)."""

    def __init__(self, clients: dict[str, LiveClient]) -> None:
        super().__init__(daemon=True)
        self.clients = clients
        self.acked: list[tuple[str, dict, float]] = []  # (client event id, data, when acknowledged)
        self.error: Exception | None = None
        self.stop = threading.Event()

    def send(self, role: str, type_: str, step_id: str | None, data: dict) -> None:
        client = self.clients[role]
        ack = client.act(type_, step_id, data)
        assert ack["ok"], ack
        self.acked.append((f"c{id(client)}-{client.count}", data, time.monotonic()))
        for each in self.clients.values():
            each.wait_for_version(ack["version"])

    def run(self) -> None:
        try:
            for role in ("a", "b"):
                self.send(role, "answer", "wish", {"value": f"the secret wish of {role}"})
            for role in ("a", "b"):
                self.send(role, "ready", "wish", {})
            for turn in range(TURNS):
                speaker, listener = ("a", "b") if turn % 2 == 0 else ("b", "a")
                self.send(speaker, "speak", "floor", {"text": f"{speaker} says private thing {turn}"})
                self.send(listener, "paraphrase", "floor", {"text": f"{listener} heard private thing {turn}"})
                self.send(speaker, "confirm", "floor", {"ok": True})
            while not self.stop.is_set():  # keep the server busy until the test has seen enough
                self.send("a", "pause", None, {})
                self.send("b", "resume", None, {})
            for role in ("a", "b"):
                self.send(role, "ready", "floor", {})
        except (AssertionError, OSError, socketio.exceptions.SocketIOError) as error:  # reported by the test
            self.error = error

    def acked_since(self, moment: float) -> int:
        return sum(1 for *_, at in self.acked if at > moment)

    def close(self) -> None:
        for client in self.clients.values():
            client.close()


@contextmanager
def talking(app, count: int, first_acks: int) -> Iterator[tuple[object, list[Talk], list[int]]]:
    """A real server on the app's database and key file, with ``count`` couples talking to it; yields
    (server, talks, session ids) once ``first_acks`` events were acknowledged. Everything is closed after."""
    server = live_server(app.config["SQLALCHEMY_DATABASE_URI"],
                         extra_env={"COUPLES_KEY_FILE": app.config["ENCRYPTION_KEY_FILE"]}).start()
    talks: list[Talk] = []
    try:
        talks, sessions = _start_talks(app, server, count)
        for talk in talks:
            talk.start()
        wait_for_acks(talks, first_acks)
        yield server, talks, sessions
    finally:
        for talk in talks:
            talk.stop.set()
            talk.close()
        server.stop()
        gc.collect()  # sockets a killed server dropped are closed now, under the test's warning filters


def finish(talks: list[Talk]) -> None:
    """Let each couple end its plan, and wait for them."""
    for talk in talks:
        talk.stop.set()
        talk.join(120)


def _start_talks(app, server, count: int) -> tuple[list[Talk], list[int]]:
    """``count`` new couples, each in a session of :data:`LONG_TALK` on ``server``; threads not started."""
    with app.app_context():
        couples = [make_couple(make_counselor()) for _ in range(count)]
        sessions = [live.start_plan(db.session.get(User, c.partner_a_id), db.session.get(Couple, c.id), LONG_TALK).id
                    for c in couples]
    talks = [Talk({role: LiveClient(server.url, login_cookie(server.url, user.email, PASSWORD), session_id).connect()
                   for role, user in (("a", couple.partner_a), ("b", couple.partner_b))})
             for couple, session_id in zip(couples, sessions, strict=True)]
    return talks, sessions


def wait_for_acks(talks: list[Talk], total: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while sum(len(talk.acked) for talk in talks) < total:
        assert time.monotonic() < deadline, "the couples did not get going"
        time.sleep(0.02)


def stored_events(app, sessions: list[int]) -> dict[str, dict | None]:
    """Client event id -> the data stored for it, for every event of ``sessions``."""
    with app.app_context():
        return {row.client_event_id: row.data for row in db.session.scalars(
            select(SessionEvent).where(SessionEvent.session_id.in_(sessions)))}


def acknowledged(talks: list[Talk]) -> dict[str, dict]:
    """Client event id -> data, for every event a server acknowledged."""
    return {event_id: data for talk in talks for event_id, data, _ in talk.acked}


def half_updated(app, sessions: list[int]) -> list[tuple[int, int, int]]:
    """(session id, its version, the newest version its event log acknowledged) for each session whose
    state and event log disagree: none, when each event was stored with its state in one transaction."""
    with app.app_context():
        found = []
        for session_id in sessions:
            acks = db.session.scalars(select(SessionEvent.ack).where(SessionEvent.session_id == session_id)).all()
            version, logged = db.session.get(LiveSession, session_id).version, max(ack["version"] for ack in acks)
            if version != logged:
                found.append((session_id, version, logged))
        return found
