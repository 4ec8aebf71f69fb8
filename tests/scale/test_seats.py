"""Seats change (the demo command moves partners between couples; accounts get removed): every
process must notice at once, whichever process made the change, and forget sessions it no longer needs."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
from builders import PASSWORD

from bench import infra
from couples.extensions import db
from couples.models import Couple, utcnow
from couples.services import accounts
from couples.services.live import SessionMemos

from .conftest import start_session

pytestmark = [pytest.mark.live, pytest.mark.postgres]
PLAN = infra.library_plan("short-check-in")


@pytest.mark.redis
def test_a_seat_given_to_someone_else_reaches_every_process(pg_app, couple, cluster, partner_client):
    first, second = cluster(2)
    session_id = start_session(pg_app, couple, PLAN)
    a = partner_client(first, couple.partner_a, session_id)
    b = partner_client(second, couple.partner_b, session_id)
    welcome = a.latest["step"]["id"]
    assert a.act("ready", welcome, {})["ok"] and b.act("ready", welcome, {})["ok"]  # both processes remember the seats

    with pg_app.app_context():  # another process (here: the test) gives seat b to someone else
        newcomer = accounts.new_user(email="robin@example.org", display_name="Robin", password=PASSWORD, role="partner")
        row = db.session.get(Couple, couple.id)
        row.partner_b_id, row.partner_b_name = newcomer.id, "Robin"
        newcomer.consent_accepted_at = utcnow()  # has read what the counselor sees, so may join
        db.session.commit()
        newcomer = SimpleNamespace(email=newcomer.email)

    step = a.latest["step"]
    assert step["kind"] == "check_in"
    answers = {"answers": {question["id"]: question["options"][0]["id"] for question in step["questions"]}}
    refused = b.act("answer", step["id"], answers)
    assert refused["ok"] is False and refused["error"]["code"] == "not_found"
    robin = partner_client(first, newcomer, session_id)
    assert (robin.latest["viewer"], robin.latest["names"]["b"]) == ("b", "Robin")
    ack = robin.act("answer", step["id"], answers)
    assert ack["ok"], ack
    a.wait_for_version(ack["version"])
    assert a.latest["names"]["b"] == "Robin"
    time.sleep(0.5)  # time enough for a snapshot that should not come
    assert b.latest["version"] < ack["version"]  # the room of seat b no longer reaches the old partner
    assert b.sio.call("join", {"session_id": session_id}, namespace="/live", timeout=10)["error"]["code"] == "not_found"


def test_a_process_remembers_a_bounded_number_of_sessions_least_recently_used_first():
    memos = SessionMemos(size=2)
    for session_id in (1, 2):
        memos.put(session_id, f"memo {session_id}")
    assert memos.get(1) == "memo 1"  # 1 is now the most recently used
    memos.put(3, "memo 3")
    assert (memos.get(1), memos.get(2), memos.get(3), len(memos)) == ("memo 1", None, "memo 3", 2)
