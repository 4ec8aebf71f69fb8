"""The protocol's promise that every message gets one of the two documented acks, whatever it looks like,
and that floods and refusals cost no database writes (Flask-SocketIO's test client, a real SQLite file)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from couples.domain import SessionState
from couples.extensions import db
from couples.models import LiveSession, SessionEvent
from couples.realtime.protocol import NAMESPACE

from .drive import complete_step


def stored(app, session_id: int) -> tuple[int, int]:
    """The session's version and how many event rows it has."""
    with app.app_context():
        version = db.session.get(LiveSession, session_id).version
        return version, db.session.query(SessionEvent).filter_by(session_id=session_id).count()


def code_of(ack: dict) -> str:
    assert ack["ok"] is False and set(ack) == {"ok", "error"} and set(ack["error"]) == {"code", "message"}, ack
    assert ack["error"]["message"], ack
    return ack["error"]["code"]


def test_an_event_with_a_second_argument_is_refused_as_bad_payload(app, pair, session_id):
    a, _ = pair
    before = stored(app, session_id)
    payload = {"id": "two-args", "session_id": session_id, "type": "ready", "step_id": "welcome", "data": {}}
    ack = a.socket.emit("event", payload, {"extra": True}, namespace=NAMESPACE, callback=True)
    assert code_of(ack) == "bad_payload"
    assert stored(app, session_id) == before


@pytest.mark.parametrize("name", ["dance", "Event", "on_event", "connect_error", ""])
def test_an_unknown_message_name_is_refused_as_unknown_event(app, pair, session_id, name):
    a, _ = pair
    ack = a.emit(name, {"session_id": session_id})
    assert code_of(ack) == "unknown_event"


@pytest.mark.parametrize("field, value, code", [
    ("type", "\ud800", "unknown_event"),
    ("type", "ready\udfff", "unknown_event"),
    ("step_id", "\udc00", "unknown_step"),
    ("step_id", "welcome\ud83d", "unknown_step"),
])
def test_lone_surrogates_in_type_or_step_id_are_refused_with_their_codes(app, pair, session_id, field, value, code):
    a, _ = pair
    before = stored(app, session_id)
    payload = {"id": f"surrogate-{field}", "session_id": session_id, "type": "ready", "step_id": "welcome",
               field: value}
    assert code_of(a.emit("event", payload)) == code
    assert stored(app, session_id) == before


def test_a_lone_surrogate_in_an_answer_is_refused_as_invalid_value(app, pair, drive, session_id):
    a, _ = pair
    complete_step(*drive)  # welcome
    complete_step(*drive)  # check-in
    before = stored(app, session_id)
    assert code_of(a.act("answer", "wish", {"value": "broken \ud800 text"})) == "invalid_value"
    assert stored(app, session_id) == before


def test_refusals_and_no_ops_write_no_rows_and_a_resent_refusal_gets_the_same_answer(app, pair, session_id):
    a, _ = pair
    refused = a.act("ready", "wish", event_id="too-early")
    assert code_of(refused) == "not_current_step"
    assert a.act("cancel_back", "welcome", event_id="nothing-to-cancel")["ok"]  # accepted, changes nothing
    assert stored(app, session_id)[1] == 0
    assert a.act("ready", "welcome", event_id="too-early") == refused
    assert a.act("ready", "welcome")["ok"]
    assert stored(app, session_id)[1] == 1


def test_an_applied_event_resent_after_the_session_moved_on_gets_its_first_ack(app, pair, session_id):
    a, b = pair
    first = a.act("ready", "welcome", event_id="a-ready")
    assert b.act("ready", "welcome")["ok"]  # the session moves on: "ready" on welcome would now be refused
    assert a.act("ready", "welcome", event_id="a-ready") == first


def test_refusals_stored_by_an_earlier_release_still_answer_a_resend(app, pair, session_id, couple):
    a, _ = pair
    old_refusal = {"ok": False, "error": {"code": "paused", "message": "The session is paused."}}
    with app.app_context():
        db.session.add(SessionEvent(session_id=session_id, user_id=couple.partner_a.id, client_event_id="old-row",
                                    type="ready", actor="a", step_id="welcome", data=None, ack=old_refusal, at=1.0))
        db.session.commit()
    assert a.act("ready", "welcome", event_id="old-row") == old_refusal
    assert stored(app, session_id)[0] == 1


def hold_as_an_earlier_release_stored_it(app, session_id: int) -> None:
    """Put the session on a safety hold the way release 1 stored one (holds start no more: docs/safety.md)."""
    with app.app_context():
        row = db.session.get(LiveSession, session_id)
        state = SessionState.from_dict(row.state)
        held = replace(state, version=state.version + 1, status="paused", hold=True, paused_at=state.step_started_at)
        row.state, row.version, row.status = held.to_dict(), held.version, held.status
        db.session.commit()


@pytest.mark.parametrize("name", ["pause", "resume", "ready"])
def test_during_a_hold_everything_but_release_answers_held(app, couple, pair, connect, session_id, name):
    a, b = pair
    assert a.act("ready", "welcome")["ok"] and b.act("ready", "welcome")["ok"]
    hold_as_an_earlier_release_stored_it(app, session_id)
    counselor = connect(couple.counselor)
    step = None if name in ("pause", "resume") else "check"
    assert code_of(b.act(name, step)) == "held"
    assert code_of(counselor.act("pause", None)) == "held"
    assert counselor.act("release", None)["ok"]
    assert code_of(counselor.act("release", None)) == "not_held"
