"""A session left open: resumable for COUPLES_RESUME_DAYS, then closed as abandoned (at the next
Start, or by ``flask close-abandoned``) and shown as such."""

from __future__ import annotations

from datetime import datetime, timedelta, UTC

import pytest
from builders import PASSWORD, login
from sqlalchemy import update

from couples.extensions import db
from couples.models import AuditEntry, Couple, LiveSession, User
from couples.services import live

RESUME_DAYS = 7


@pytest.fixture
def app_config(app_config):
    return {**app_config, "RESUME_DAYS": RESUME_DAYS}


def untouched_for(app, session_id: int, days: float) -> None:
    with app.app_context():
        moment = datetime.now(UTC) - timedelta(days=days)
        db.session.execute(update(LiveSession).where(LiveSession.id == session_id).values(updated_at=moment))
        db.session.commit()


def start_again(app, couple, plan) -> int:
    with app.app_context():
        return live.start_plan(db.session.get(User, couple.partner_b_id), db.session.get(Couple, couple.id), plan).id


def status_of(app, session_id: int) -> str:
    with app.app_context():
        return db.session.get(LiveSession, session_id).status


def test_a_session_untouched_for_less_than_the_resume_days_is_taken_up_again(app, couple, plan, session_id):
    untouched_for(app, session_id, RESUME_DAYS - 1)
    assert start_again(app, couple, plan) == session_id
    assert status_of(app, session_id) == "active"


def test_the_next_start_closes_a_session_untouched_for_longer_and_opens_a_new_one(app, couple, plan, session_id):
    untouched_for(app, session_id, RESUME_DAYS + 1)
    new_id = start_again(app, couple, plan)
    assert new_id != session_id
    assert (status_of(app, session_id), status_of(app, new_id)) == ("abandoned", "active")
    with app.app_context():
        assert db.session.query(AuditEntry).filter_by(action="session.abandoned",
                                                      target=f"live_session:{session_id}").count() == 1


def test_the_command_closes_only_sessions_untouched_for_too_long(app, runner, couple, plan, session_id):
    assert "Closed 0 abandoned sessions." in runner.invoke(args=["close-abandoned"]).output
    untouched_for(app, session_id, RESUME_DAYS + 0.5)
    assert "Closed 1 abandoned session." in runner.invoke(args=["close-abandoned"]).output
    assert status_of(app, session_id) == "abandoned"


def test_an_abandoned_session_refuses_events_and_joins(app, couple, session_id, pair):
    a, b = pair
    untouched_for(app, session_id, RESUME_DAYS + 1)
    refusal = a.act("ready", "welcome")
    assert refusal["ok"] is False and refusal["error"]["code"] == "abandoned"
    assert b.join()["error"]["code"] == "abandoned"


def test_pages_show_an_abandoned_session_as_such_and_offer_a_new_start(app, couple, session_id):
    untouched_for(app, session_id, RESUME_DAYS + 1)
    http = app.test_client()
    login(http, couple.partner_a.email, PASSWORD)
    page = http.get(f"/sessions/{session_id}").get_data(as_text=True)
    assert "This session was left unfinished" in page and "data-live-session" not in page
    home = http.get("/partner/").get_data(as_text=True)
    assert "Start a session" in home and f"/sessions/{session_id}" not in home
