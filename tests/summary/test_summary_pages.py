"""The summary page and its plain form posts (no JavaScript needed): write, share, sign, refuse."""

from __future__ import annotations

import re

import pytest
from builders import (
    PASSWORD,
    csrf_token,
    login,
    make_counselor,
    make_couple,
    make_finished_session,
)

from couples.extensions import db
from couples.models import AuditEntry, SignedSummary, Summary


@pytest.fixture
def world(app):
    with app.app_context():
        couple = make_couple(make_counselor())
        return couple, make_finished_session(couple)


def logged_in(app, user):
    client = app.test_client()
    login(client, user.email, PASSWORD)
    return client


def post(client, session_id: int, **data):
    page = client.get(f"/sessions/{session_id}/summary")
    return client.post(f"/sessions/{session_id}/summary",
                       data={**data, "csrf_token": csrf_token(page.get_data(as_text=True))})


def page_text(client, session_id: int) -> str:
    response = client.get(f"/sessions/{session_id}/summary", follow_redirects=True)  # the counselor's: review page
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_partners_write_share_and_sign_with_plain_forms_and_the_counselor_sees_only_what_was_shared(app, world):
    couple, session_id = world
    alex, sam = logged_in(app, couple.partner_a), logged_in(app, couple.partner_b)
    counselor = logged_in(app, couple.counselor)
    assert "has not signed a summary" in page_text(counselor, session_id)
    post(alex, session_id, type="add_item", section="noticed", visibility="me", text="ALEX-PRIVATE note")
    post(alex, session_id, type="add_item", section="commit", visibility="counselor", text="Walk on Sundays")
    post(sam, session_id, type="add_item", section="hard", visibility="us", text="Talking about money")
    assert "ALEX-PRIVATE" in page_text(alex, session_id)
    assert "ALEX-PRIVATE" not in page_text(sam, session_id) and "Talking about money" in page_text(sam, session_id)
    for client in (alex, sam):
        version = re.search(r'name="version" value="(\d+)"', page_text(client, session_id)).group(1)
        response = post(client, session_id, type="sign", version=version)
        assert response.status_code == 303
    counselor_page = page_text(counselor, session_id)
    assert "Walk on Sundays" in counselor_page
    assert "ALEX-PRIVATE" not in counselor_page and "Talking about money" not in counselor_page
    with app.app_context():
        summary = db.session.query(Summary).one()
        assert (summary.status, summary.signed_number) == ("signed", 1)
        assert db.session.query(SignedSummary).one().content["sections"][3]["items"][0]["text"] == "Walk on Sundays"
        assert {entry.action for entry in db.session.query(AuditEntry)} >= {"summary.signature", "summary.signed",
                                                                            "summary.read"}
        assert summary.read_number == 1


def test_a_refused_form_shows_its_message_and_changes_nothing(app, world):
    couple, session_id = world
    alex = logged_in(app, couple.partner_a)
    post(alex, session_id, type="add_item", section="noticed", visibility="us", text="first")
    with app.app_context():
        before = db.session.query(Summary).one().state
    response = post(alex, session_id, type="add_item", section="noticed", text="x" * 2001)
    assert response.status_code == 303
    assert "under 2000 characters" in page_text(alex, session_id)
    stale = post(alex, session_id, type="sign", version="1")
    assert stale.status_code == 303 and "changed since you last saw it" in page_text(alex, session_id)
    with app.app_context():
        assert db.session.query(Summary).one().state == before


def test_someone_outside_the_couple_gets_a_404(app, world):
    _, session_id = world
    with app.app_context():
        stranger = make_couple(make_counselor()).partner_a
    client = logged_in(app, stranger)
    assert client.get(f"/sessions/{session_id}/summary").status_code == 404
    assert client.post(f"/sessions/{session_id}/summary", data={"type": "reopen"}).status_code in (400, 404)


def test_a_form_submitted_twice_adds_its_item_once(app, world):
    couple, session_id = world
    alex = logged_in(app, couple.partner_a)
    token = csrf_token(page_text(alex, session_id))
    form = {"type": "add_item", "section": "went_well", "visibility": "us", "text": "We laughed",
            "event_id": "form-1", "csrf_token": token}
    for _ in range(2):
        assert alex.post(f"/sessions/{session_id}/summary", data=form).status_code == 303
    assert page_text(alex, session_id).count("data-item-text=") == 1


def statements_for_page(app, client, session_id: int) -> list[str]:
    from sqlalchemy import event

    client.get(f"/sessions/{session_id}/summary")  # warm
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(f"/sessions/{session_id}/summary").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return statements


def test_the_summary_page_runs_as_many_queries_for_many_items_as_for_one(app, world):
    couple, session_id = world
    alex = logged_in(app, couple.partner_a)
    post(alex, session_id, type="add_item", section="noticed", visibility="us", text="one")
    few = statements_for_page(app, alex, session_id)
    for number in range(12):
        post(alex, session_id, type="add_item", section="hard", visibility="counselor", text=f"item {number}")
    many = statements_for_page(app, alex, session_id)
    assert len(many) == len(few), "\n".join(many)


def item_text(app) -> str:
    with app.app_context():
        return db.session.query(Summary).one().state["items"][0]["text"]


def test_a_text_saved_from_an_older_page_is_merged_or_shown_as_a_conflict_with_both_texts(app, world):
    couple, session_id = world
    alex, sam = logged_in(app, couple.partner_a), logged_in(app, couple.partner_b)
    post(alex, session_id, type="add_item", section="commit", visibility="us", text="We walk on Sundays")
    base = "We walk on Sundays"
    post(alex, session_id, type="edit_text", item_id="i1", base=base, text="Together: We walk on Sundays")
    merged = post(sam, session_id, type="edit_text", item_id="i1", base=base, text="We walk on Sundays!")
    assert merged.status_code == 303 and item_text(app) == "Together: We walk on Sundays!"

    base = item_text(app)
    post(alex, session_id, type="edit_text", item_id="i1", base=base, text="Together: We run on Sundays!")
    conflict = post(sam, session_id, type="edit_text", item_id="i1", base=base, text="Together: We stroll on Sundays!")
    page = conflict.get_data(as_text=True)
    assert conflict.status_code == 409
    assert "Together: We stroll on Sundays!" in page and "Together: We run on Sundays!" in page
    assert item_text(app) == "Together: We run on Sundays!"


def test_the_sessions_facts_reach_the_counselor_only_when_both_partners_agree(app, world):
    couple, session_id = world
    alex, sam = logged_in(app, couple.partner_a), logged_in(app, couple.partner_b)
    counselor = logged_in(app, couple.counselor)
    page = page_text(alex, session_id)
    assert "Short replies" in page and "A ritual" in page  # the ratings side by side, the skipped step listed
    post(alex, session_id, type="set_visibility", item_id="f1", visibility="counselor")
    assert "Alex would like to share this with your counselor." in page_text(sam, session_id)

    def sign_both() -> None:
        for client in (alex, sam):
            version = re.search(r'name="version" value="(\d+)"', page_text(client, session_id)).group(1)
            post(client, session_id, type="sign", version=version)

    sign_both()
    assert "Short replies" not in page_text(counselor, session_id)
    post(sam, session_id, type="reopen")
    post(sam, session_id, type="set_visibility", item_id="f1", visibility="counselor")
    sign_both()
    assert "Short replies" in page_text(counselor, session_id)
    with app.app_context():
        assert [row.number for row in db.session.query(SignedSummary).order_by(SignedSummary.number)] == [1, 2]


def test_the_summary_opens_only_once_the_session_has_ended(app):
    from couples.models import Couple, User
    from couples.services import live

    with app.app_context():
        couple = make_couple(make_counselor())
        session_id = live.start_session(db.session.get(User, couple.partner_a_id),
                                        db.session.get(Couple, couple.id), "short-check-in").id
    alex = logged_in(app, couple.partner_a)
    response = alex.get(f"/sessions/{session_id}/summary")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/sessions/{session_id}")
    assert "The summary opens when the session has ended." in alex.get(response.headers["Location"]).get_data(
        as_text=True)
    with app.app_context():
        assert db.session.query(Summary).count() == 0


def test_a_partner_finds_the_summary_of_a_finished_session_from_home_on_another_device(app, world):
    couple, session_id = world
    home = logged_in(app, couple.partner_b).get("/partner/").get_data(as_text=True)

    assert f'href="/sessions/{session_id}/summary"' in home and "Write our summary" in home
