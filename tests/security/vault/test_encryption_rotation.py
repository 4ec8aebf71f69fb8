"""``flask --app couples rotate-key`` re-encrypts everything under a new key while a real server keeps
serving couples who send events the whole time: every acknowledged event is stored and readable,
and afterwards the database holds values under the new key only, the old key gone from the file."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import socketio
from builders import PASSWORD, make_counselor, make_couple
from servers import LiveClient, live_server, login_cookie
from sqlalchemy import select

from couples.crypto import read_key_file
from couples.domain.plan import Plan, PrivateAnswerStep, TurnsStep
from couples.extensions import db
from couples.models import Couple, LiveSession, SessionEvent, User
from couples.services import live
from couples.vault import encrypted_columns, key_usage

TURNS = 30
LONG_TALK = Plan(id="long-talk", title="A long talk", steps=(
    PrivateAnswerStep(id="wish", title="A wish", answer="text", max_length=200),
    TurnsStep(id="floor", title="Speaker and listener", turns=TURNS),
))
COUPLES = 3
ROOT = Path(__file__).resolve().parents[3]


class Talk(threading.Thread):
    """One couple talking through the long plan, as fast as the server acknowledges; each accepted
    event is remembered with its id, its data and when its acknowledgement came."""

    def __init__(self, clients: dict[str, LiveClient]) -> None:
        super().__init__(daemon=True)
        self.clients = clients
        self.acked: list[tuple[str, dict, float]] = []
        self.error: Exception | None = None
        self.stop = threading.Event()  # set by the test once it has seen enough events after the rotation

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


def rotate(app) -> tuple[subprocess.CompletedProcess, float, float]:
    """Run the real command in its own process, as an operator would; returns it with its start and end."""
    env = {**os.environ, "COUPLES_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "COUPLES_KEY_FILE": app.config["ENCRYPTION_KEY_FILE"], "COUPLES_ASYNC_MODE": "threading",
           "COUPLES_SECRET_KEY": "rotation-test"}
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "couples", "rotate-key", "--grace", "1"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    return result, started, time.monotonic()


def test_rotating_the_key_while_couples_send_events_loses_nothing(app):
    with app.app_context():
        couples = [make_couple(make_counselor()) for _ in range(COUPLES)]
        sessions = [live.start_plan(db.session.get(User, c.partner_a_id), db.session.get(Couple, c.id), LONG_TALK).id
                    for c in couples]
        old_keys = {key.id for key in read_key_file(Path(app.config["ENCRYPTION_KEY_FILE"]))}
    server = live_server(app.config["SQLALCHEMY_DATABASE_URI"],
                         extra_env={"COUPLES_KEY_FILE": app.config["ENCRYPTION_KEY_FILE"]}).start()
    talks = []
    try:
        for couple, session_id in zip(couples, sessions, strict=True):
            talks.append(Talk({role: LiveClient(server.url, login_cookie(server.url, user.email, PASSWORD),
                                                session_id).connect()
                               for role, user in (("a", couple.partner_a), ("b", couple.partner_b))}))
        for talk in talks:
            talk.start()
        while sum(len(talk.acked) for talk in talks) < 10 * COUPLES:
            time.sleep(0.05)

        result, started, ended = rotate(app)

        while any(talk.is_alive() and not [at for *_, at in talk.acked if at > ended] for talk in talks):
            time.sleep(0.05)
        for talk in talks:
            talk.stop.set()
            talk.join(120)
    finally:
        for talk in talks:
            for client in talk.clients.values():
                client.close()
        server.stop()

    assert result.returncode == 0, result.stderr
    assert [talk.error for talk in talks] == [None] * COUPLES
    during = sum(1 for talk in talks for *_, at in talk.acked if started < at < ended)
    after = sum(1 for talk in talks for *_, at in talk.acked if at > ended)
    assert during > 0 and after > 0, (during, after)  # the rotation really ran under load, and so did the server after it
    new_keys = {key.id for key in read_key_file(Path(app.config["ENCRYPTION_KEY_FILE"]))}
    assert len(new_keys) == 1 and not new_keys & old_keys  # the old key is retired
    assert f"New key {next(iter(new_keys))}" in result.stdout
    with app.app_context():
        stored = {(row.client_event_id): row.data for row in db.session.scalars(
            select(SessionEvent).where(SessionEvent.session_id.in_(sessions)))}
        assert {event_id: data for talk in talks for event_id, data, _ in talk.acked} == {
            event_id: stored.get(event_id) for talk in talks for event_id, _, _ in talk.acked}
        for session_id in sessions:
            state = db.session.get(LiveSession, session_id).state
            assert state["status"] == "completed", state["status"]
        with db.engine.connect() as connection:
            assert set(key_usage(connection, encrypted_columns(db.metadata))) == new_keys
