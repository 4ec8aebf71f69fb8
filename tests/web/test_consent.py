"""Before their first session a partner reads, and accepts, what their counselor can see; the
same page stays one click away on every partner page."""

from __future__ import annotations

import pytest
from builders import login, make_counselor, make_couple, post_form
from sqlalchemy import select

from couples.extensions import db
from couples.models import AuditEntry, Couple, LiveSession, User
from couples.services import live

CONSENT_PAGE = "/account/what-your-counselor-sees"


@pytest.fixture
def newcomers(app):
    """A joined couple whose partners have not yet accepted."""
    with app.app_context():
        return make_couple(make_counselor(email="dana@example.org"), consented=False)


def test_a_partner_who_has_not_accepted_is_led_to_the_page_when_starting_a_session(app, client, newcomers):
    login(client, newcomers.partner_a.email)

    response = post_form(client, "/partner/", {"plan_id": "short-check-in"}, action=f"/couples/{newcomers.id}/sessions")

    assert response.status_code == 302
    assert response.location.startswith(CONSENT_PAGE + "?next=")
    with app.app_context():
        assert db.session.scalar(select(LiveSession)) is None  # nothing started


def test_accepting_records_the_time_and_leads_back(app, client, newcomers):
    login(client, newcomers.partner_a.email)
    assert "Read what my counselor sees" in client.get("/partner/").get_data(as_text=True)

    response = post_form(client, f"{CONSENT_PAGE}?next=/partner/", {}, action=f"{CONSENT_PAGE}?next=/partner/")

    assert response.status_code == 302 and response.location == "/partner/"
    with app.app_context():
        user = db.session.get(User, newcomers.partner_a_id)
        assert user.consent_accepted_at is not None
        assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.actor_id == user.id)
                                 .order_by(AuditEntry.id.desc())) == "consent.accepted"
    started = post_form(client, "/partner/", {"plan_id": "short-check-in"}, action=f"/couples/{newcomers.id}/sessions")
    assert started.location.startswith("/sessions/")
    page = client.get(CONSENT_PAGE).get_data(as_text=True)
    assert "You agreed to this on" in page and "I have read this and I agree" not in page
    assert "Read what my counselor sees" not in client.get("/partner/").get_data(as_text=True)


def test_a_session_the_counselor_started_waits_until_the_partner_has_accepted(app, client, newcomers):
    with app.app_context():
        row = db.session.get(Couple, newcomers.id)
        session_id = live.start_session(row.counselor, row, "short-check-in").id
    login(client, newcomers.partner_b.email)

    response = client.get(f"/sessions/{session_id}")

    assert response.status_code == 302
    assert response.location == f"{CONSENT_PAGE}?next=/sessions/{session_id}"
    back = post_form(client, response.location, {}, action=response.location)
    assert back.location == f"/sessions/{session_id}"
    assert client.get(back.location).status_code == 200


def test_the_page_says_what_the_counselor_sees_and_what_nobody_else_does(client, newcomers):
    login(client, newcomers.partner_a.email)

    html = client.get(CONSENT_PAGE).get_data(as_text=True)

    for heading in ("Your counselor can see", "Your partner never sees", "Your counselor never sees"):
        assert heading in html
    for seen in ("Sessions, live.", "Your check-in answers.", "Answers for your counselor only.",
                 "Summaries you both signed."):
        assert seen in html


@pytest.mark.parametrize("page", ["/partner/", "/partner/summaries", "/partner/follow-ups", "/help"])
def test_every_partner_page_links_to_it(client, newcomers, page):
    login(client, newcomers.partner_a.email)

    assert f'href="{CONSENT_PAGE}"' in client.get(page).get_data(as_text=True)


def test_a_counselor_is_never_asked(app, client, newcomers):
    login(client, "dana@example.org")

    html = client.get(CONSENT_PAGE).get_data(as_text=True)

    assert "I have read this and I agree" not in html
    assert f'href="{CONSENT_PAGE}"' not in client.get("/counselor/").get_data(as_text=True)


def test_a_next_address_on_another_site_is_ignored(client, newcomers):
    login(client, newcomers.partner_a.email)
    url = f"{CONSENT_PAGE}?next=https://evil.example/"

    assert post_form(client, url, {}, action=url).location == "/partner/"
