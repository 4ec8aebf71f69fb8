"""A counselor archives a couple they no longer see: read-only, off the desk, and back again."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from builders import (login, make_counselor, make_couple, make_followup, make_results, make_signed_summary,
                      post_form)
from scale.test_counselor_queries import counted
from sqlalchemy import func, select

from couples.extensions import db
from couples.models import AuditEntry, Couple, Followup, LiveSession, User, utcnow
from couples.services import couples as couple_service
from couples.services import followups, live


@pytest.fixture
def world(app):
    with app.app_context():
        counselor = make_counselor(email="dana@example.org")
        return {"counselor": counselor, "couple": make_couple(counselor),
                "other": make_couple(counselor, names=("Kim", "Lee"))}


def couple_url(couple) -> str:
    return f"/counselor/couples/{couple.id}"


def archive(client, couple):
    return post_form(client, couple_url(couple), {}, action=couple_url(couple) + "/archive")


def sessions_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(LiveSession))


def test_an_archived_couple_leaves_the_desk_for_the_archived_list_and_comes_back(app, client, world):
    login(client, "dana@example.org")

    archived = archive(client, world["couple"])

    assert "is archived" in client.get(archived.location).get_data(as_text=True)
    desk = client.get("/counselor/").get_data(as_text=True)
    assert "Alex &amp; Sam" not in desk and "Kim &amp; Lee" in desk
    assert "Archived couples (1)" in desk
    assert "Alex &amp; Sam" in client.get("/counselor/archived").get_data(as_text=True)
    page = client.get(couple_url(world["couple"])).get_data(as_text=True)
    assert "Bring this couple back" in page and "Start a session" not in page

    post_form(client, couple_url(world["couple"]), {}, action=couple_url(world["couple"]) + "/restore")

    assert "Alex &amp; Sam" in client.get("/counselor/").get_data(as_text=True)
    assert "Alex &amp; Sam" not in client.get("/counselor/archived").get_data(as_text=True)
    with app.app_context():
        actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"couple.archived", "couple.restored"} <= actions


def test_nothing_new_starts_for_an_archived_couple(app, client, world):
    with app.app_context():
        waiting = make_couple(db.session.get(User, world["counselor"].id), joined=False, names=("Jo", "Max"))
    login(client, "dana@example.org")
    archive(client, world["couple"])
    archive(client, waiting)

    started = post_form(client, couple_url(world["couple"]), {"plan_id": "short-check-in"},
                        action=f"/couples/{world['couple'].id}/sessions")
    reissued = post_form(client, couple_url(waiting), {}, action=couple_url(waiting) + "/invitations/a/reissue")

    assert started.status_code == 302 and reissued.status_code == 302
    assert sessions_count(app) == 0
    assert "This couple is archived" in client.get(couple_url(waiting)).get_data(as_text=True)
    assert app.test_client().get(f"/invite/{waiting.tokens['b']}").status_code == 410  # open links were revoked
    with app.app_context():
        counselor = db.session.get(User, world["counselor"].id)
        with pytest.raises(followups.FollowupError) as refusal:
            make_followup(counselor, world["couple"], datetime.now() + timedelta(days=3))
        assert refusal.value.code == "archived"
        with pytest.raises(live.LiveError) as refused_start:
            live.start_session(counselor, db.session.get(Couple, world["couple"].id), "short-check-in")
        assert refused_start.value.code == "archived"


def test_partners_see_calmly_that_the_space_is_closed_and_can_still_read_their_summaries(app, client, world):
    with app.app_context():
        make_signed_summary(make_results(world["couple"]))
    counselor = app.test_client()
    login(counselor, "dana@example.org")
    archive(counselor, world["couple"])
    login(client, world["couple"].partner_a.email)

    home = client.get("/partner/").get_data(as_text=True)
    summaries = client.get("/partner/summaries")

    assert "Your counselor has closed this space" in home
    assert "Start a session" not in home
    assert summaries.status_code == 200 and "We talk less in the evenings." in summaries.get_data(as_text=True)


def test_archiving_is_refused_while_a_session_is_under_way_and_nothing_changes(app, client, world):
    with app.app_context():
        row = db.session.get(Couple, world["couple"].id)
        live.start_session(db.session.get(User, world["couple"].partner_a_id), row, "short-check-in")
    login(client, "dana@example.org")

    archive(client, world["couple"])

    assert "A live session is under way" in client.get(couple_url(world["couple"])).get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Couple, world["couple"].id).archived_at is None


def test_archiving_is_refused_while_follow_ups_are_to_come_and_allowed_once_cancelled(app, client, world):
    with app.app_context():
        followup_id = make_followup(world["counselor"], world["couple"], datetime.now() + timedelta(days=2))
    login(client, "dana@example.org")

    archive(client, world["couple"])

    assert "still has follow-ups to come" in client.get(couple_url(world["couple"])).get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Couple, world["couple"].id).archived_at is None
        db.session.get(Followup, followup_id).cancelled_at = utcnow()
        db.session.commit()
    archive(client, world["couple"])
    with app.app_context():
        assert db.session.get(Couple, world["couple"].id).archived_at is not None


def test_restoring_a_couple_that_is_not_archived_is_refused(app, client, world):
    with app.app_context():
        counselor = db.session.get(User, world["counselor"].id)
        with pytest.raises(couple_service.CoupleError):
            couple_service.restore_couple(counselor, db.session.get(Couple, world["couple"].id))


def test_another_counselor_cannot_archive_or_restore(app, client, world):
    with app.app_context():
        make_counselor(email="ravi@example.org")
    login(client, "ravi@example.org")
    base = couple_url(world["couple"])

    assert post_form(client, "/counselor/", {}, action=base + "/archive").status_code == 404
    assert post_form(client, "/counselor/", {}, action=base + "/restore").status_code == 404
    with app.app_context():
        assert db.session.get(Couple, world["couple"].id).archived_at is None


def test_the_archived_list_runs_as_many_queries_for_many_couples_as_for_one(app, client, world):
    login(client, "dana@example.org")
    archive(client, world["couple"])
    client.get("/counselor/archived")
    with counted(app) as few:
        client.get("/counselor/archived")
    with app.app_context():
        counselor = db.session.get(User, world["counselor"].id)
        for index in range(6):
            couple = make_couple(counselor, joined=False, names=(f"A{index}", f"B{index}"))
            couple_service.archive_couple(counselor, db.session.get(Couple, couple.id))
    with counted(app) as many:
        page = client.get("/counselor/archived").get_data(as_text=True)

    assert page.count("couple-card") == 7
    assert len(many) == len(few), "\n".join(many)
