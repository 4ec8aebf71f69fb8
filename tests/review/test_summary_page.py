"""The counselor's summary page: the signed version, its facts and charts, a private note and the
"reviewed" mark; and the files that leave the app (PDF, JSON)."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET

from builders import login, make_results, make_unsigned_summary, post_form
from pypdf import PdfReader
from sqlalchemy import select

from couples.extensions import db
from couples.models import AuditEntry, CounselorNote, Summary
from couples.services.review import NOTE_MAX


def summary_row(app, summary_id: int) -> Summary:
    with app.app_context():
        row = db.session.get(Summary, summary_id)
        db.session.expunge(row)
        return row


def audit_actions(app) -> list[tuple[str, str]]:
    with app.app_context():
        return [(e.action, e.target) for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_the_page_shows_the_newest_signed_version_and_lists_the_older_one(client, world):
    login(client, "dana@example.org")

    html = client.get(f"/counselor/sessions/{world.session_id}/summary").get_data(as_text=True)

    assert "Мы меньше разговариваем по вечерам." in html
    assert "A walk on Sundays" not in html  # the builder's default items are not in this summary
    assert "Version 2, signed" in html and "Version 1, signed" in html
    assert "What we noticed" in html and "Questions for our counselor" in html
    assert "Short replies" in html  # a fact, and a row of the ratings table
    assert html.count("Large gap<") == 1  # 0 against 4 on a 0-4 scale; the other sign was rated alike
    older = client.get(f"/counselor/sessions/{world.session_id}/summary?number=1").get_data(as_text=True)
    assert 'aria-current="page">Version 1' in older


def test_opening_the_newest_version_marks_it_read_and_audits_the_read(app, client, world):
    login(client, "dana@example.org")
    assert summary_row(app, world.summary_id).read_number is None

    client.get(f"/counselor/sessions/{world.session_id}/summary?number=1")
    assert summary_row(app, world.summary_id).read_number is None  # an older version is not the one to read
    client.get(f"/counselor/sessions/{world.session_id}/summary")

    assert summary_row(app, world.summary_id).read_number == 2
    assert audit_actions(app).count(("summary.read", f"summary:{world.summary_id}")) == 2


def test_a_private_note_is_saved_audited_and_shown_only_to_the_counselor(app, client, world):
    login(client, "dana@example.org")
    page = f"/counselor/sessions/{world.session_id}/summary"

    response = post_form(client, page, {"text": "Ask about Sunday walks."},
                         action=f"/counselor/sessions/{world.session_id}/note")

    assert response.status_code == 302
    assert "Ask about Sunday walks." in client.get(page).get_data(as_text=True)
    actions = [action for action, _ in audit_actions(app)]
    assert "note.written" in actions and "note.read" in actions
    for slot in ("a", "b"):
        partner = app.test_client()
        login(partner, getattr(world.couple, f"partner_{slot}").email)
        for url in ("/partner/", "/partner/summaries", "/partner/export.json"):
            assert "Sunday walks" not in partner.get(url).get_data(as_text=True)


def test_a_note_too_long_is_refused_with_its_text_kept_and_nothing_saved(app, client, world):
    login(client, "dana@example.org")
    text = "x" * (NOTE_MAX + 1)

    response = post_form(client, f"/counselor/sessions/{world.session_id}/summary", {"text": text},
                         action=f"/counselor/sessions/{world.session_id}/note")

    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "at most 20000 characters" in html and text in html
    with app.app_context():
        assert db.session.scalar(select(CounselorNote)) is None


def test_marking_reviewed_records_the_newest_signed_number(app, client, world):
    login(client, "dana@example.org")
    page = f"/counselor/sessions/{world.session_id}/summary"

    response = post_form(client, page, {}, action=f"/counselor/sessions/{world.session_id}/reviewed")

    assert response.status_code == 302
    row = summary_row(app, world.summary_id)
    assert (row.reviewed_number, row.read_number) == (2, 2)
    assert "You have reviewed this version." in client.get(page).get_data(as_text=True)
    assert ("summary.reviewed", f"summary:{world.summary_id}") in audit_actions(app)


def test_nothing_signed_cannot_be_marked_reviewed_and_shows_why(app, client, world):
    with app.app_context():
        session_id = make_results(world.couple)
        summary_id = make_unsigned_summary(session_id)
    login(client, "dana@example.org")
    page = f"/counselor/sessions/{session_id}/summary"

    html = client.get(page).get_data(as_text=True)
    response = post_form(client, page, {}, action=f"/counselor/sessions/{session_id}/reviewed")

    assert "has not signed a summary" in html
    assert "Mark as reviewed" not in html
    assert "no signed summary to mark" in client.get(response.location).get_data(as_text=True)
    assert summary_row(app, summary_id).reviewed_number is None


def test_the_pdf_holds_the_signed_text_in_any_script(app, client, world):
    login(client, "dana@example.org")

    response = client.get(f"/counselor/sessions/{world.session_id}/summary.pdf")

    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    for expected in ("Мы меньше разговариваем по вечерам.", "Ein Spaziergang am Sonntag, Zoë.", "What we noticed",
                     "Short replies", "Alex & Sam"):
        assert expected in text
    assert ("summary.exported", f"summary:{world.summary_id}") in audit_actions(app)


def test_an_unsigned_summary_has_no_pdf(app, client, world):
    with app.app_context():
        session_id = make_results(world.couple)
        make_unsigned_summary(session_id)
    login(client, "dana@example.org")

    assert client.get(f"/counselor/sessions/{session_id}/summary.pdf").status_code == 404


def test_the_charts_are_svg_images_with_one_mark_per_rated_sign_per_partner(app, client, world):
    with app.app_context():
        make_results(world.couple, ratings={"terse": ("Short replies", 2, 2), "cold": ("Cold", 1, 4)})
    login(client, "dana@example.org")

    ratings = client.get(f"/counselor/sessions/{world.session_id}/ratings.svg")
    trends = client.get(f"/counselor/couples/{world.couple.id}/trends.svg")

    assert ratings.mimetype == trends.mimetype == "image/svg+xml"
    assert "script-src 'self'" in ratings.headers["Content-Security-Policy"]
    assert _marks(ratings.data) == 4  # two signs, two partners
    assert _marks(trends.data) == 6  # three signs over two sessions, two partners
    page = client.get(f"/counselor/sessions/{world.session_id}/summary").get_data(as_text=True)
    assert f'src="/counselor/sessions/{world.session_id}/ratings.svg"' in page
    assert f'src="/counselor/couples/{world.couple.id}/trends.svg"' in page
    assert "<table" in page and "The numbers behind the chart" in page


def _marks(svg: bytes) -> int:
    return sum(1 for element in ET.fromstring(svg).iter() if element.get("class") == "mark")


def test_the_counselors_export_holds_the_signed_versions_notes_and_ratings(app, client, world):
    login(client, "dana@example.org")
    post_form(client, f"/counselor/sessions/{world.session_id}/summary", {"text": "Private thought."},
              action=f"/counselor/sessions/{world.session_id}/note")

    response = client.get(f"/counselor/couples/{world.couple.id}/export.json")

    data = json.loads(response.data)
    [session] = data["sessions"]
    assert data["audience"] == "counselor" and data["couple"]["names"] == {"a": "Alex", "b": "Sam"}
    assert [v["number"] for v in session["summary"]["signed_versions"]] == [1, 2]
    assert session["counselor_note"]["text"] == "Private thought."
    assert {(r["sign"], r["partner"], r["value"]) for r in session["ratings"]} >= {("terse", "a", 0), ("terse", "b", 4)}
    assert ("export.counselor", f"couple:{world.couple.id}") in audit_actions(app)


def test_a_partners_export_holds_what_both_saw_and_the_counselors_copy_never_the_note(app, client, world):
    counselor = app.test_client()
    login(counselor, "dana@example.org")
    post_form(counselor, f"/counselor/sessions/{world.session_id}/summary", {"text": "Private thought."},
              action=f"/counselor/sessions/{world.session_id}/note")
    login(client, world.couple.partner_b.email)

    data = json.loads(client.get("/partner/export.json").data)

    [session] = data["sessions"]
    assert data["audience"] == "partner" and data["couple"]["you"] == "b"
    assert [r["step_id"] for r in session["results"]] == ["signs", "close"]
    assert session["signed_summary"]["number"] == 2
    assert session["signed_summary"]["read_by_counselor_at"]  # the counselor opened it above
    assert "Private thought" not in json.dumps(data) and "counselor_note" not in json.dumps(data)


def test_a_signed_summary_being_changed_still_shows_the_signed_version_and_says_so(app, client, world):
    with app.app_context():
        db.session.get(Summary, world.summary_id).status = "writing"  # as the summary service does on an edit
        db.session.commit()
    login(client, "dana@example.org")

    html = client.get(f"/counselor/sessions/{world.session_id}/summary").get_data(as_text=True)

    assert "Мы меньше разговариваем по вечерам." in html
    assert "The couple is changing this summary." in html
