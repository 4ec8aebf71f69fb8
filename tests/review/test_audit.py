"""Audit both ways: every counselor read writes an audit row; the counselor sees the log of their
couples; partners see when their shared summary was read."""

from __future__ import annotations

import pytest
from builders import SIGNS_PLAN, login, post_form
from sqlalchemy import select

from couples.extensions import db
from couples.models import AuditEntry, Couple, User
from couples.services import live

READS = [
    ("/counselor/sessions/{session_id}/summary", {"summary.read", "note.read"}),
    ("/counselor/sessions/{session_id}/summary?number=1", {"summary.read", "note.read"}),
    ("/counselor/sessions/{session_id}/summary.pdf", {"summary.exported"}),
    ("/counselor/sessions/{session_id}/summary.pdf?number=1", {"summary.exported"}),
    ("/counselor/couples/{couple_id}/export.json", {"export.counselor"}),
]


def new_entries(app, after_id: int) -> list[AuditEntry]:
    with app.app_context():
        rows = list(db.session.scalars(select(AuditEntry).where(AuditEntry.id > after_id).order_by(AuditEntry.id)))
        db.session.expunge_all()
        return rows


def newest_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1)) or 0


@pytest.mark.parametrize(("url", "actions"), READS)
def test_every_counselor_read_writes_an_audit_row(app, client, world, url, actions):
    login(client, "dana@example.org")
    post_form(client, f"/counselor/sessions/{world.session_id}/summary", {"text": "A private note."},
              action=f"/counselor/sessions/{world.session_id}/note")
    for _ in range(2):  # the second read is audited as much as the first
        before = newest_id(app)

        assert client.get(url.format(session_id=world.session_id, couple_id=world.couple.id)).status_code == 200

        entries = new_entries(app, before)
        assert {entry.action for entry in entries} == actions
        assert all(entry.actor_id == world.dana.id and f"couple:{world.couple.id}" in
                   f"{entry.target} {entry.detail}" for entry in entries)


def test_the_counselor_sees_the_audit_log_of_their_couple_and_no_other(app, client, world):
    with app.app_context():
        started = live.start_plan(db.session.get(User, world.couple.partner_a_id),
                                  db.session.get(Couple, world.couple.id), SIGNS_PLAN).id
    login(client, "dana@example.org")
    client.get(f"/counselor/sessions/{world.session_id}/summary")
    other = app_client_for(client, "ravi@example.org")
    other.get(f"/counselor/sessions/{world.ravis_session_id}/summary")

    html = client.get(f"/counselor/couples/{world.couple.id}/audit").get_data(as_text=True)

    assert "summary.read" in html and f"summary:{world.summary_id}" in html
    assert "couple.created" in html and "invitation.accepted" in html
    assert f"live_session:{started}" in html and "Session started" in html
    assert f"session:{world.ravis_session_id}" not in html


def app_client_for(client, email: str):
    """Another browser, logged in as ``email``."""
    other = client.application.test_client()
    login(other, email)
    return other


def test_partners_see_when_their_shared_summary_was_read(client, world):
    login(client, world.couple.partner_a.email)
    before = client.get("/partner/summaries").get_data(as_text=True)
    counselor = app_client_for(client, "dana@example.org")
    counselor.get(f"/counselor/sessions/{world.session_id}/summary")
    counselor.get(f"/counselor/sessions/{world.session_id}/summary.pdf")

    after = client.get("/partner/summaries").get_data(as_text=True)

    assert "Your counselor has not opened it yet." in before
    assert "Your counselor read it on" in after and "Opened 2 times in all." in after
    assert "Мы меньше разговариваем по вечерам." in after  # the same content the counselor saw


def test_the_partner_home_links_to_the_summaries(client, world):
    login(client, world.couple.partner_b.email)

    assert 'href="/partner/summaries"' in client.get("/partner/").get_data(as_text=True)


def test_the_audit_log_cannot_be_rewritten(app, client, world):
    login(client, "dana@example.org")
    client.get(f"/counselor/sessions/{world.session_id}/summary")
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "summary.read"))
        entry.detail = "nothing to see"
        with pytest.raises(PermissionError):
            db.session.commit()
        db.session.rollback()
