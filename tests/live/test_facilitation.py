"""The counselor facilitating a live session against the real server (python wsgi.py, eventlet):
every action is an event with the same ack, version and id rules as the partners', recorded in the
session's event log, and its effect reaches both partners' screens."""

from __future__ import annotations

import pytest
from builders import PASSWORD
from servers import LiveClient, couple_driver, login_cookie
from sqlalchemy import select

from couples.domain.facilitation import FACILITATION
from couples.extensions import db
from couples.models import LiveSession, SessionEvent, StepResult

from .drive import complete_step

pytestmark = pytest.mark.live


@pytest.fixture
def counselor(server, couple, session_id, clients):
    """The couple's counselor, following the session from their own client."""
    client = LiveClient(server.url, login_cookie(server.url, couple.counselor.email, PASSWORD), session_id).connect()
    yield client
    client.close()


def everyone_sees(clients: dict[str, LiveClient], counselor: LiveClient, version: int) -> None:
    for client in (*clients.values(), counselor):
        client.wait_for_version(version)


def test_a_note_appears_on_both_partners_screens(clients, counselor):
    ack = counselor.act("note", None, {"text": "Take a breath, both of you."})
    assert ack["ok"], ack
    everyone_sees(clients, counselor, ack["version"])
    for client in (*clients.values(), counselor):
        assert client.latest["note"]["text"] == "Take a breath, both of you."


@pytest.mark.parametrize("event_type", sorted(FACILITATION.names))
def test_partners_are_refused_every_counselor_action(clients, event_type):
    step_id = clients["a"].latest["step"]["id"]
    ack = clients["a"].act(event_type, step_id, {"text": "x", "minutes": 1})
    assert ack["ok"] is False and ack["error"]["code"] == "not_allowed"


def test_forward_past_an_unfinished_step_is_recorded_as_skipped_and_logged(app, clients, counselor, session_id):
    first = clients["a"].latest["step"]["id"]
    ack = counselor.act("go_forward", first, {})
    assert ack["ok"], ack
    everyone_sees(clients, counselor, ack["version"])
    assert clients["b"].latest["step_index"] == 1
    again = counselor.act("go_forward", first, {})  # a second click on a screen that lagged behind
    assert again["error"]["code"] == "not_current_step"
    with app.app_context():
        outcome = db.session.scalar(select(StepResult.outcome).where(StepResult.session_id == session_id,
                                                                     StepResult.step_index == 0))
        logged = db.session.scalars(select(SessionEvent.actor).where(SessionEvent.session_id == session_id,
                                                                     SessionEvent.type == "go_forward")).all()
    assert outcome == "finished"  # a read step is complete at once
    assert logged == ["counselor"]


def test_back_forward_and_ending_by_the_counselor(app, clients, counselor, session_id):
    send, view = couple_driver(clients)
    complete_step(send, view)  # welcome
    check_in = view("a")["step"]["id"]
    back = counselor.act("go_back", check_in, {})
    assert back["ok"], back
    everyone_sees(clients, counselor, back["version"])
    assert view("a")["step_index"] == 0 == view("b")["step_index"]
    ended = counselor.act("end_session", None, {})
    assert ended["ok"], ended
    everyone_sees(clients, counselor, ended["version"])
    for role in ("a", "b"):
        assert view(role)["status"] == "completed" and view(role)["ending"] == "counselor_ended"
    assert counselor.act("note", None, {"text": "late"})["error"]["code"] == "completed"
    with app.app_context():
        row = db.session.get(LiveSession, session_id)
        outcomes = db.session.scalars(select(StepResult.outcome).where(StepResult.session_id == session_id)
                                      .order_by(StepResult.step_index)).all()
    assert row.status == "completed"
    assert outcomes[0] == "finished" and set(outcomes[1:]) == {"unfinished"}
    assert len(outcomes) == len(row.plan["steps"])


def test_a_timer_extension_reaches_both_partners(clients, counselor):
    send, view = couple_driver(clients)
    while view("a")["step"]["kind"] != "timer":
        complete_step(send, view)
    timer = view("a")["step"]["id"]
    ack = counselor.act("extend_timer", timer, {"minutes": 2})
    assert ack["ok"], ack
    everyone_sees(clients, counselor, ack["version"])
    assert view("b")["state"]["remaining"] > 60  # the step's own length is 60 seconds
    assert counselor.act("restart_timer", timer, {})["ok"]


def test_a_resent_counselor_action_is_applied_once(counselor):
    payload = {"id": "same-note", "session_id": counselor.session_id, "type": "note", "step_id": None,
               "data": {"text": "Once"}}
    first = counselor.sio.call("event", payload, namespace="/live", timeout=10)
    second = counselor.sio.call("event", payload, namespace="/live", timeout=10)
    assert first == second and first["ok"]
