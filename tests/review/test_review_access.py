"""Who may reach the review pages: everything outside your own couple answers 404, like tests/web/test_access.py."""

from __future__ import annotations

import pytest
from builders import login, post_form
from sqlalchemy import func, select

from couples.extensions import db
from couples.models import AuditEntry, CounselorNote, Summary

REVIEW_PAGES = [
    "/counselor/couples/{couple_id}/timeline",
    "/counselor/sessions/{session_id}/summary",
    "/counselor/sessions/{session_id}/summary?number=1",
    "/counselor/sessions/{session_id}/summary.pdf",
    "/counselor/sessions/{session_id}/ratings.svg",
    "/counselor/couples/{couple_id}/trends.svg",
    "/counselor/couples/{couple_id}/export.json",
    "/counselor/couples/{couple_id}/audit",
]
REVIEW_ACTIONS = [
    "/counselor/sessions/{session_id}/note",
    "/counselor/sessions/{session_id}/reviewed",
]
PARTNER_PAGES = ["/partner/summaries", "/partner/export.json"]


def fill(url: str, world) -> str:
    return url.format(couple_id=world.couple.id, session_id=world.session_id)


def reads_and_notes(app) -> tuple[int, int, int | None]:
    with app.app_context():
        reads = db.session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action.in_(("summary.read", "summary.exported", "note.read", "export.counselor"))))
        notes = db.session.scalar(select(func.count()).select_from(CounselorNote))
        reviewed = db.session.scalar(select(Summary.reviewed_number).where(Summary.session_id.is_not(None)).limit(1))
        return reads, notes, reviewed


@pytest.mark.parametrize("url", REVIEW_PAGES)
@pytest.mark.parametrize("slot", ["a", "b"])
def test_partners_cannot_see_the_counselors_review_pages(client, world, url, slot):
    login(client, getattr(world.couple, f"partner_{slot}").email)

    assert client.get(fill(url, world)).status_code == 404


@pytest.mark.parametrize("url", REVIEW_ACTIONS)
def test_partners_cannot_use_the_counselors_review_actions(app, client, world, url):
    login(client, world.couple.partner_a.email)
    before = reads_and_notes(app)

    response = post_form(client, "/partner/", {"text": "sneaky"}, action=fill(url, world))

    assert response.status_code == 404
    assert reads_and_notes(app) == before


@pytest.mark.parametrize("url", REVIEW_PAGES)
def test_another_counselor_cannot_see_a_couples_review_pages_and_leaves_no_read(app, client, world, url):
    login(client, "ravi@example.org")
    before = reads_and_notes(app)

    assert client.get(fill(url, world)).status_code == 404
    assert reads_and_notes(app) == before


@pytest.mark.parametrize("url", REVIEW_ACTIONS)
def test_another_counselor_cannot_write_a_note_or_mark_reviewed(app, client, world, url):
    login(client, "ravi@example.org")
    before = reads_and_notes(app)

    response = post_form(client, "/counselor/", {"text": "not mine"}, action=fill(url, world))

    assert response.status_code == 404
    assert reads_and_notes(app) == before


@pytest.mark.parametrize("url", PARTNER_PAGES)
def test_counselors_cannot_see_the_partners_pages(client, world, url):
    login(client, "dana@example.org")

    assert client.get(url).status_code == 404


@pytest.mark.parametrize("url", REVIEW_PAGES + PARTNER_PAGES)
def test_anonymous_visitors_are_sent_to_log_in(client, world, url):
    response = client.get(fill(url, world))

    assert response.status_code == 302
    assert response.location.startswith("/login?next=")


@pytest.mark.parametrize("url", ["/counselor/sessions/999999/summary", "/counselor/sessions/999999/summary.pdf",
                                 "/counselor/couples/999999/timeline", "/counselor/couples/999999/audit"])
def test_unknown_records_look_the_same_as_another_counselors(client, world, url):
    login(client, "dana@example.org")

    assert client.get(url).status_code == 404


def test_a_partner_sees_only_their_own_couples_summaries(client, world):
    login(client, world.ravis.partner_a.email)

    html = client.get("/partner/summaries").get_data(as_text=True)

    assert "A walk on Sundays (version 1)." in html  # their own summary (the builder's default items)
    assert "Мы меньше" not in html and "Alex" not in html
