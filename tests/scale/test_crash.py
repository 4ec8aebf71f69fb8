"""SIGKILL the server in the middle of a burst of events from many couples, start it again:
every acknowledged event is in the event log and in the session's state, no session is
half-updated (its version counts exactly the events applied), and every client resumes and
finishes. The one-couple version of this is tests/live/test_live_server.py; this one runs the
same real server (``wsgi.py`` on eventlet) and the same LiveClient, with 20 couples at once.
"""

from __future__ import annotations

import gc
import threading
import time
from dataclasses import dataclass, field

import pytest
import socketio
from servers import NAMESPACE, LiveClient
from sqlalchemy import select

from bench import infra
from couples.domain import Plan, PrivateAnswerStep, ReadStep, start
from couples.extensions import db
from couples.models import LiveSession, SessionEvent

pytestmark = pytest.mark.live

COUPLES = 20
READS = 10
PLAN = Plan(id="crash-burst", title="A burst", steps=(
    PrivateAnswerStep(id="wish", title="A wish", answer="text", max_length=200),
    *(ReadStep(id=f"read{n}", title=f"Read {n}", body="Together.") for n in range(READS)),
))
EVENTS_PER_COUPLE = 2 * (2 + READS)  # each partner: one answer, then Continue on every step
KILL_AFTER = COUPLES * EVENTS_PER_COUPLE // 4  # acknowledgements before the crash: a quarter of the burst
DEADLINE = 240  # seconds for the whole burst, crash and restart included


@dataclass
class Partner:
    """One partner's client and the events it had acknowledged, with the version each ack named."""

    client: LiveClient
    role: str
    user_id: int
    acked: list[tuple[str, int]] = field(default_factory=list)
    problem: str | None = None

    def text(self) -> str:
        return f"wish of {self.role} in session {self.client.session_id}"

    def send(self, event_id: str, type_: str, step_id: str, data: dict) -> None:
        """Send until acknowledged, with the same id each time: a retry after the crash is answered
        with the first outcome if the first try was committed, and applied once if it was not."""
        payload = {"id": event_id, "session_id": self.client.session_id, "type": type_, "step_id": step_id,
                   "data": data}
        give_up = time.monotonic() + DEADLINE
        while time.monotonic() < give_up:
            try:
                ack = self.client.sio.call("event", payload, namespace=NAMESPACE, timeout=5)
            except socketio.exceptions.SocketIOError:  # the server is gone, or not back yet
                self.client.joined.wait(1)
                continue
            if ack.get("ok"):
                self.acked.append((event_id, ack["version"]))
                return
            if ack["error"]["code"] != "busy":
                raise AssertionError(f"{event_id} refused: {ack}")
        raise AssertionError(f"{event_id} was never acknowledged")

    def wait_until(self, done, what: str) -> None:
        with self.client.changed:
            if not self.client.changed.wait_for(lambda: self.client.latest and done(self.client.latest), DEADLINE):
                raise AssertionError(f"{self.role} of session {self.client.session_id}: {what} never showed")

    def run(self) -> None:
        try:
            self.send(f"{self.role}-answer", "answer", "wish", {"value": self.text()})
            self.wait_until(lambda view: view["step"]["id"] != "wish" or all(view["state"]["answered"].values()),
                            "both answers")
            for step in PLAN.steps:
                self.send(f"{self.role}-ready-{step.id}", "ready", step.id, {})
                self.wait_until(lambda view, step_id=step.id: view["status"] == "completed"
                                or view["step"]["id"] != step_id, f"the step after {step.id}")
        except Exception as error:  # noqa: BLE001 - reported by the test, with the partner it happened to
            self.problem = repr(error)


@pytest.fixture(params=["sqlite", "postgresql"])
def crash_app(request):
    """The app on a fresh SQLite file, or on the module's PostgreSQL database (tests/scale/conftest.py)."""
    return request.getfixturevalue("app" if request.param == "sqlite" else "pg_app")


@pytest.fixture
def world(crash_app):
    """20 seeded couples, each in a fresh session of PLAN, and the real server on the same database."""
    app = crash_app
    seeded = infra.seed_couples(app, COUPLES, PLAN)
    server = infra.app_server(app.config["SQLALCHEMY_DATABASE_URI"], secret=app.config["SECRET_KEY"]).start()
    partners: list[Partner] = []
    try:
        for couple in seeded:
            for role in "ab":
                cookie = infra.session_cookie(app, couple[role])
                client = LiveClient(server.url, cookie, couple["sessions"][0]).connect()
                partners.append(Partner(client, role, couple[role]))
        yield server, partners
    finally:
        for partner in partners:
            partner.client.shutdown()
        server.stop()
        gc.collect()  # the sockets the crash dropped, collected here under the test's warning filter


# The crash drops every connection; websocket-client leaves the closed sockets to the garbage collector.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")

def test_a_crash_during_a_burst_loses_no_acknowledged_event_and_half_updates_no_session(crash_app, world):
    server, partners = world
    threads = [threading.Thread(target=partner.run, daemon=True) for partner in partners]
    for thread in threads:
        thread.start()
    while sum(len(p.acked) for p in partners) < KILL_AFTER:
        time.sleep(0.01)
    server.kill()  # SIGKILL, mid-burst
    acked_before_crash = sum(len(p.acked) for p in partners)
    server.start()
    for thread in threads:
        thread.join(DEADLINE)

    assert [p.problem for p in partners if p.problem] == []
    assert acked_before_crash < COUPLES * EVENTS_PER_COUPLE  # the crash really came mid-burst
    assert all(p.client.disconnects >= 1 for p in partners)  # every client lost the server and resumed
    assert all(p.client.latest["status"] == "completed" for p in partners)
    first_version = start(PLAN, 0.0).version
    with crash_app.app_context():
        for partner in partners:
            recorded = dict(db.session.execute(select(SessionEvent.client_event_id, SessionEvent.ack).where(
                SessionEvent.session_id == partner.client.session_id, SessionEvent.user_id == partner.user_id)).all())
            assert {event_id: recorded.get(event_id, {}).get("version") for event_id, _ in partner.acked} == \
                dict(partner.acked)  # each acknowledged event is in the log, with the version its ack named
        for session_id in {p.client.session_id for p in partners}:
            row = db.session.get(LiveSession, session_id)
            events = db.session.query(SessionEvent).filter_by(session_id=session_id).count()
            assert row.state["version"] == row.version == first_version + events == first_version + EVENTS_PER_COUPLE
            assert row.status == "completed"
            answers = row.state["steps"][0]["answers"]
            assert answers == {role: f"wish of {role} in session {session_id}" for role in "ab"}
