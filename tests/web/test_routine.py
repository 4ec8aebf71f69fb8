"""The counselor's routine "see each partner on their own first", set per couple (docs/safety.md)."""

from __future__ import annotations

import re

from builders import login, make_counselor, make_couple, post_form

from couples.extensions import db
from couples.models import AuditEntry, Couple, User
from couples.services import live
from couples.services.plans import library


def test_a_counselor_turns_the_routine_on_and_the_next_session_stops_after_the_check_in(app, client):
    with app.app_context():
        counselor = make_counselor()
        couple = make_couple(counselor)
    login(client, counselor.email)
    page = f"/counselor/couples/{couple.id}"
    assert "See each partner on their own first" in client.get(page).get_data(as_text=True)

    response = post_form(client, page, {"individual_time_first": "y"}, action=f"{page}/routine")

    assert response.status_code == 302
    assert re.search(r'<input[^>]*\bchecked\b[^>]*name="individual_time_first"', client.get(page).get_data(as_text=True))
    with app.app_context():
        row = db.session.get(Couple, couple.id)
        assert row.individual_time_first
        assert db.session.query(AuditEntry).filter_by(action="couple.individual_time_first", detail="on").count() == 1
        plan_id = next(iter(library().plans))
        session = live.start_session(db.session.get(User, couple.partner_a_id), row, plan_id)
        assert session.state["individual_time_first"] is True


def test_turning_the_routine_off_leaves_a_session_already_started_as_it_was(app, client):
    with app.app_context():
        counselor = make_counselor()
        couple = make_couple(counselor)
        row = db.session.get(Couple, couple.id)
        row.individual_time_first = True
        db.session.commit()
        session_id = live.start_session(db.session.get(User, couple.partner_a_id), row, next(iter(library().plans))).id
    login(client, counselor.email)
    page = f"/counselor/couples/{couple.id}"

    assert post_form(client, page, {}, action=f"{page}/routine").status_code == 302

    with app.app_context():
        assert not db.session.get(Couple, couple.id).individual_time_first
        assert db.session.get(live.LiveSession, session_id).state["individual_time_first"] is True
