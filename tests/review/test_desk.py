"""The desk: per couple the newest session, where its summary stands, and what may need attention."""

from __future__ import annotations

import pytest
from builders import (login, make_counselor, make_couple, make_results, make_signed_summary, make_unsigned_summary,
                      post_form)

from couples.extensions import db
from couples.models import Couple, utcnow

CALM = {"terse": ("Short replies", 1, 2)}


@pytest.fixture
def dana(app):
    with app.app_context():
        return make_counselor(email="dana@example.org")


def card_of(html: str, title: str) -> str:
    """The desk card of one couple."""
    start = html.index(title)
    end = html.find('class="card couple-card"', start)
    return html[start:end if end != -1 else len(html)]


def test_the_desk_follows_a_summary_from_signed_to_read_to_reviewed(app, client, dana):
    with app.app_context():
        couple = make_couple(dana)
        session_id = make_results(couple, ratings=CALM)
        make_signed_summary(session_id)
    login(client, dana.email)

    first = card_of(client.get("/counselor/").get_data(as_text=True), "Alex &amp; Sam")
    client.get(f"/counselor/sessions/{session_id}/summary")
    second = card_of(client.get("/counselor/").get_data(as_text=True), "Alex &amp; Sam")
    post_form(client, f"/counselor/sessions/{session_id}/summary", {},
              action=f"/counselor/sessions/{session_id}/reviewed")
    third = card_of(client.get("/counselor/").get_data(as_text=True), "Alex &amp; Sam")

    assert "Signed, not read yet" in first and f"/counselor/sessions/{session_id}/summary" in first
    assert "Signed and read, not reviewed" in second
    assert "Reviewed" in third and "badge-warn" not in third


def test_the_desk_flags_what_needs_attention(app, client, dana):
    with app.app_context():
        unfinished = make_couple(dana, names=("Una", "Finn"))
        make_results(unfinished, ratings=CALM, status="abandoned")
        steps_left = make_couple(dana, names=("Stella", "Left"))
        make_results(steps_left, ratings=CALM, unfinished=True)
        gaps = make_couple(dana, names=("Gail", "Apsley"))
        make_results(gaps, ratings={"terse": ("Short replies", 0, 2), "busy": ("Always busy", 1, 1)})
        waiting = make_couple(dana, names=("Wade", "Ina"))
        make_signed_summary(make_results(waiting, ratings=CALM, days_ago=10), signed_days_ago=9)
        unsigned = make_couple(dana, names=("Una", "Signe"))
        make_unsigned_summary(make_results(unsigned, ratings=CALM, days_ago=8), days_ago=8)
        fresh = make_couple(dana, names=("Fred", "Esh"))
        make_unsigned_summary(make_results(fresh, ratings=CALM, days_ago=2), days_ago=2)
        concerned = make_couple(dana, names=("Connie", "Cern"))
        db.session.get(Couple, concerned.id).safety_flagged_at = utcnow()
        db.session.commit()
    login(client, dana.email)

    html = client.get("/counselor/").get_data(as_text=True)

    assert "Session left unfinished" in card_of(html, "Una &amp; Finn")
    assert "Session left unfinished" in card_of(html, "Stella &amp; Left")
    assert "Large perception gaps" in card_of(html, "Gail &amp; Apsley")
    assert "Summary waiting more than 7 days" in card_of(html, "Wade &amp; Ina")
    assert "Summary waiting more than 7 days" in card_of(html, "Una &amp; Signe")
    assert "Being written" in card_of(html, "Fred &amp; Esh") and "badge-warn" not in card_of(html, "Fred &amp; Esh")
    assert "Safety concern" in card_of(html, "Connie &amp; Cern") and "Last session" not in card_of(html, "Connie")
    assert html.count("Large perception gaps") == 1


def test_how_long_a_summary_may_wait_is_a_setting(app, client, dana):
    app.config["SUMMARY_WAIT_DAYS"] = 2  # as COUPLES_SUMMARY_WAIT_DAYS=2 sets it (tests/test_config.py)
    with app.app_context():
        couple = make_couple(dana)
        make_unsigned_summary(make_results(couple, ratings=CALM, days_ago=3), days_ago=3)
    login(client, dana.email)

    assert "Summary waiting more than 2 days" in client.get("/counselor/").get_data(as_text=True)
