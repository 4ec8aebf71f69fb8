"""A live session over Flask-SocketIO's test client: two partners, one counselor, a real SQLite database."""

from __future__ import annotations

import json
import threading

import pytest
from builders import make_counselor, make_couple

from couples.extensions import db, socketio
from couples.models import LiveSession, SessionEvent
from couples.realtime.protocol import NAMESPACE

from .drive import complete_plan, complete_step


def stored_version(app, session_id: int) -> int:
    with app.app_context():
        return db.session.get(LiveSession, session_id).version


def test_a_connection_without_login_is_refused(app):
    socket = socketio.test_client(app, namespace=NAMESPACE)
    assert not socket.is_connected(NAMESPACE)


def test_joining_sends_the_viewers_own_snapshot(pair):
    a, b = pair
    assert a.snapshot()["viewer"] == "a"
    assert b.snapshot()["viewer"] == "b"
    assert a.snapshot()["step"]["id"] == "welcome"
    assert a.snapshot()["names"] == {"a": "Alex", "b": "Sam"}


@pytest.mark.parametrize("outsider", ["other_partner", "other_counselor"])
def test_a_join_to_another_couples_session_is_refused(app, connect, outsider):
    with app.app_context():
        counselor = make_counselor()
        other = make_couple(counselor, names=("Kim", "Lee"))
    stranger = other.partner_a if outsider == "other_partner" else counselor
    participant = connect(stranger, join=False)
    ack = participant.join()
    assert ack == {"ok": False, "error": {"code": "not_found", "message": ack["error"]["message"]}}
    assert participant.socket.get_received(NAMESPACE) == []


def test_two_partners_complete_a_plan_with_every_step_kind(app, pair, drive, session_id):
    complete_plan(*drive)
    a, b = pair
    assert a.snapshot()["status"] == b.snapshot()["status"] == "completed"
    with app.app_context():
        row = db.session.get(LiveSession, session_id)
        assert row.status == "completed"
        assert row.version == a.snapshot()["version"]


def test_every_change_reaches_both_partners_with_the_same_growing_version(pair, drive):
    a, b = pair
    versions = []
    for _ in range(4):
        complete_step(*drive)
        assert a.snapshot()["version"] == b.snapshot()["version"]
        assert a.snapshot()["step_index"] == b.snapshot()["step_index"]
        versions.append(a.snapshot()["version"])
    assert versions == sorted(set(versions))


def test_a_private_answer_reaches_the_partner_only_when_both_have_answered(pair, drive):
    a, b = pair
    complete_step(*drive)  # welcome
    complete_step(*drive)  # check-in
    assert a.act("answer", "wish", {"value": "SECRET-WISH-OF-A"})["ok"]
    assert "SECRET-WISH-OF-A" not in json.dumps(b.snapshot())
    assert b.snapshot()["state"]["answered"] == {"a": True, "b": False}
    assert b.act("answer", "wish", {"value": "wish of b"})["ok"]
    assert b.snapshot()["state"]["answers"] == {"a": "SECRET-WISH-OF-A", "b": "wish of b"}
    assert a.snapshot()["state"]["answers"]["b"] == "wish of b"


def test_check_in_answers_never_reach_the_other_partner(app, couple, pair, connect):
    a, b = pair
    counselor = connect(couple.counselor)
    assert a.act("ready", "welcome")["ok"] and b.act("ready", "welcome")["ok"]
    assert a.act("answer", "check", {"answers": {"safe": "no"}})["ok"]
    b_frames = json.dumps([frame for frame in b.frames] + [b.snapshot()])
    assert '"safe"' not in json.dumps(b.snapshot()["state"])
    assert b.snapshot()["status"] == "active" and b.snapshot()["paused_by"] is None
    assert b.snapshot()["support"] is False
    assert a.snapshot()["support"] is True
    assert "concern" not in b_frames
    assert counselor.snapshot()["state"]["concern"] == {"a": True, "b": False}
    assert counselor.snapshot()["held"] is False


def test_a_safety_concern_flags_the_couple_and_the_session_stops_after_the_check_in(app, couple, pair):
    a, b = pair
    a.act("ready", "welcome"), b.act("ready", "welcome")
    a.act("answer", "check", {"answers": {"safe": "no"}})
    with app.app_context():
        from couples.models import Couple
        assert db.session.get(Couple, couple.id).safety_flagged_at is not None
    assert b.act("answer", "check", {"answers": {"safe": "yes"}})["ok"]
    assert a.act("ready", "check")["ok"] and b.act("ready", "check")["ok"]
    assert (b.snapshot()["status"], b.snapshot()["ending"]) == ("completed", "individual_time")


def test_a_repeated_event_id_returns_the_same_ack_and_changes_nothing(app, pair, session_id):
    a, _ = pair
    first = a.act("ready", "welcome", event_id="same-id")
    version = stored_version(app, session_id)
    again = a.act("ready", "welcome", event_id="same-id")
    assert again == first
    assert stored_version(app, session_id) == version
    with app.app_context():
        assert db.session.query(SessionEvent).filter_by(client_event_id="same-id").count() == 1


@pytest.mark.parametrize(
    "payload, code",
    [
        ("not an object", "bad_payload"),
        ({"session_id": 1, "type": "ready"}, "bad_payload"),
        ({"id": "x" * 65, "session_id": 1, "type": "ready", "step_id": "welcome"}, "bad_payload"),
        ({"id": "ok-1", "session_id": True, "type": "ready", "step_id": "welcome"}, "bad_payload"),
        ({"id": "ok-2", "session_id": 1, "type": "ready", "step_id": "welcome", "data": []}, "bad_payload"),
        ({"id": "ok-3", "session_id": 1, "type": "ready", "step_id": 5}, "bad_payload"),
        ({"id": "ok-4", "session_id": 1, "type": "dance", "step_id": "welcome"}, "unknown_event"),
        ({"id": "ok-5", "session_id": 1, "type": "ready", "step_id": "nowhere"}, "unknown_step"),
        ({"id": "ok-6", "session_id": 1, "type": "ready", "step_id": "wish"}, "not_current_step"),
        ({"id": "ok-7", "session_id": 1, "type": "speak", "step_id": "welcome", "data": {"text": "hi"}}, "wrong_step_type"),
        ({"id": "ok-8", "session_id": 999, "type": "ready", "step_id": "welcome"}, "not_found"),
    ],
)
def test_bad_events_are_refused_with_a_code_and_leave_the_state_unchanged(app, pair, session_id, payload, code):
    a, b = pair
    if isinstance(payload, dict) and type(payload.get("session_id")) is int and payload["session_id"] == 1:
        payload = {**payload, "session_id": session_id}  # the test's own session, whatever its id
    before = stored_version(app, session_id)
    ack = a.emit("event", payload)
    assert ack["ok"] is False and ack["error"]["code"] == code
    assert stored_version(app, session_id) == before
    assert a.snapshot()["version"] == b.snapshot()["version"] == before


def test_a_turn_out_of_order_is_refused(pair, drive):
    a, b = pair
    for _ in range(4):
        complete_step(*drive)
    assert a.snapshot()["step"]["kind"] == "turns"
    assert b.act("speak", "floor", {"text": "me first"})["error"]["code"] == "not_your_turn"
    assert a.act("paraphrase", "floor", {"text": "too soon"})["error"]["code"] == "out_of_order"


def test_the_counselor_observes_and_may_pause_but_not_answer(couple, pair, connect):
    a, b = pair
    counselor = connect(couple.counselor)
    assert counselor.snapshot()["viewer"] == "counselor"
    assert counselor.act("ready", "welcome")["error"]["code"] == "not_allowed"
    assert counselor.act("pause", None)["ok"]
    assert a.snapshot()["status"] == b.snapshot()["status"] == "paused"
    assert a.snapshot()["paused_by"] == "counselor"
    assert a.act("resume", None)["ok"]
    assert b.snapshot()["status"] == "active"


def test_presence_shows_the_partner_joining_and_leaving(pair, couple, connect):
    a, b = pair
    presence = [frame["args"][0] for frame in a.socket.get_received(NAMESPACE) if frame["name"] == "presence"]
    assert presence[-1]["b"]["status"] == "joined"
    b.socket.disconnect(namespace=NAMESPACE)
    presence = [frame["args"][0] for frame in a.socket.get_received(NAMESPACE) if frame["name"] == "presence"]
    assert presence[-1]["b"]["status"] == "reconnecting"


def test_a_reconnecting_partner_gets_a_fresh_snapshot_with_everything_so_far(couple, pair, connect, drive):
    a, b = pair
    complete_step(*drive)
    seen_by_b = b.snapshot()["version"]
    b.socket.disconnect(namespace=NAMESPACE)
    assert a.act("answer", "check", {"answers": {"safe": "yes"}})["ok"]
    again = connect(couple.partner_b, join=False)
    assert again.join(last_version=seen_by_b)["ok"]
    assert again.snapshot()["version"] == a.snapshot()["version"]
    assert again.snapshot()["state"]["submitted"] == {"a": True, "b": False}


def test_simultaneous_answers_from_both_partners_both_count(app, pair, drive):
    a, b = pair
    complete_step(*drive)
    complete_step(*drive)
    acks = {}
    threads = [threading.Thread(target=lambda p=p: acks.__setitem__(p.user.id, p.act("answer", "wish", {"value": f"from {p.user.id}"})))
               for p in (a, b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert all(ack["ok"] for ack in acks.values())
    assert a.snapshot()["state"]["revealed"] is True
    assert set(a.snapshot()["state"]["answers"].values()) == {f"from {a.user.id}", f"from {b.user.id}"}


def test_a_partner_starts_a_session_from_the_home_page_and_both_see_it(app, couple):
    from builders import PASSWORD, login, post_form

    alex, sam = app.test_client(), app.test_client()
    login(alex, couple.partner_a.email, PASSWORD)
    login(sam, couple.partner_b.email, PASSWORD)
    started = post_form(alex, "/partner/", {"plan_id": "short-check-in"}, action=f"/couples/{couple.id}/sessions")
    assert started.status_code == 302 and "/sessions/" in started.headers["Location"]
    home = sam.get("/partner/").get_data(as_text=True)
    assert started.headers["Location"].split("/")[-1] in home and "Join" in home
    assert sam.get(started.headers["Location"]).status_code == 200


def test_the_counselor_can_start_and_open_a_session_but_other_couples_cannot(app, couple):
    from builders import PASSWORD, login, make_counselor, make_couple, post_form

    counselor = app.test_client()
    login(counselor, couple.counselor.email, PASSWORD)
    page = f"/counselor/couples/{couple.id}"
    started = post_form(counselor, page, {"plan_id": "short-check-in"}, action=f"/couples/{couple.id}/sessions")
    session_url = started.headers["Location"]
    assert counselor.get(session_url).status_code == 200
    with app.app_context():
        other = make_couple(make_counselor(), names=("Kim", "Lee"))
    stranger = app.test_client()
    login(stranger, other.partner_a.email, PASSWORD)
    assert stranger.get(session_url).status_code == 404
    assert post_form(stranger, "/partner/", {"plan_id": "short-check-in"}, action=f"/couples/{couple.id}/sessions").status_code == 404


def test_a_sockets_messages_sign_no_cookie_even_when_its_connect_changed_the_session(app, couple, session_id,
                                                                                    monkeypatch):
    from builders import PASSWORD, login

    from .conftest import Participant

    http = app.test_client()
    login(http, couple.partner_a.email, PASSWORD)
    # Another browser than the login's: Flask-Login marks the session no longer fresh (modified) at connect.
    socket = socketio.test_client(app, namespace=NAMESPACE, flask_test_client=http,
                                  headers={"User-Agent": "another browser"})
    a = Participant(couple.partner_a, http, socket, session_id)
    signed = []
    interface = app.session_interface
    monkeypatch.setattr(interface, "save_session",
                        lambda *args: signed.append(args) or type(interface).save_session(interface, *args))

    assert a.join()["ok"]
    assert a.act("ready", "welcome")["ok"]
    assert a.emit("heartbeat", {"session_id": session_id})["ok"]

    assert signed == []  # a socket can't set a cookie: nothing was signed for a response no one receives
    socket.disconnect(namespace=NAMESPACE)
