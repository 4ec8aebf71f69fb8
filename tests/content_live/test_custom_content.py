"""A counselor's own exercise and plan: made through the pages, run by their couple, hidden from everyone else."""

from __future__ import annotations

import pytest
from builders import make_counselor, make_couple, post_form
from live.drive import complete_plan
from sqlalchemy import select

from couples.extensions import db
from couples.models import Couple, CustomPlan, LiveSession, User
from couples.services import live
from couples.services.plans import plans_for_couple
from couples.services.authoring import EXAMPLE_EXERCISE

from .conftest import row_count, signed_in

EXERCISE_PAGE = "/counselor/library/exercises/new"
PLAN_PAGE = "/counselor/library/plans/new"
PLAN_TITLE = "Good things first"


def make_custom_plan(counselor_client, couple_id: int | str = "all") -> str:
    """Save the example exercise and a plan using it through the pages; returns the plan id to start."""
    saved = post_form(counselor_client, EXERCISE_PAGE, {"source": EXAMPLE_EXERCISE})
    assert saved.status_code == 302, saved.get_data(as_text=True)
    composed = post_form(counselor_client, PLAN_PAGE, {
        "title": PLAN_TITLE, "couple": str(couple_id), "position-three-good-things": "2", "position-breathing-pause": "1",
    })
    assert composed.status_code == 302, composed.get_data(as_text=True)
    return newest_custom_plan_id(counselor_client.application)


def newest_custom_plan_id(app) -> str:
    with app.app_context():
        return f"custom-{db.session.scalar(select(CustomPlan.id).order_by(CustomPlan.id.desc()))}"


def start_from_home(partner_client, couple_id: int, plan_id: str):
    return post_form(partner_client, "/partner/", {"plan_id": plan_id}, action=f"/couples/{couple_id}/sessions")


@pytest.fixture
def custom_plan_id(app, couple, counselor_client) -> str:
    return make_custom_plan(counselor_client)


@pytest.fixture
def session_id(app, couple, custom_plan_id) -> int:
    """The session the partner starts from their home page with the counselor's plan."""
    partner = signed_in(app, couple.partner_a)
    assert PLAN_TITLE in partner.get("/partner/").get_data(as_text=True)
    started = start_from_home(partner, couple.id, custom_plan_id)
    assert started.status_code == 302 and started.location.startswith("/sessions/")
    return int(started.location.rsplit("/", 1)[1])


def test_the_counselors_plan_runs_to_the_end_for_their_couple(app, pair, drive, session_id, custom_plan_id):
    a, b = pair
    assert a.snapshot()["plan_title"] == PLAN_TITLE
    assert a.snapshot()["step"]["id"] == "check-in.just-for-you"
    complete_plan(*drive)
    assert a.snapshot()["status"] == b.snapshot()["status"] == "completed"
    with app.app_context():
        row = db.session.get(LiveSession, session_id)
        assert row.plan_id == custom_plan_id
        step_ids = [step["id"] for step in row.plan["steps"]]
    assert step_ids.index("breathing-pause.breathe") < step_ids.index("three-good-things.write")


def test_the_library_lists_the_counselors_own_content(counselor_client, custom_plan_id):
    page = counselor_client.get("/counselor/library/").get_data(as_text=True)
    assert "Three good things" in page and PLAN_TITLE in page and "all your couples" in page
    assert "Reconnection" in page and "Private check-in" in page


def test_another_counselors_couple_neither_sees_nor_starts_the_plan(app, custom_plan_id):
    with app.app_context():
        other_counselor = make_counselor()
        other = make_couple(other_counselor, names=("Kim", "Lee"))
    partner = signed_in(app, other.partner_a)
    assert PLAN_TITLE not in partner.get("/partner/").get_data(as_text=True)

    refused = start_from_home(partner, other.id, custom_plan_id)

    assert refused.location == "/partner/"
    assert "Please choose one of the plans." in partner.get("/partner/").get_data(as_text=True)
    assert row_count(app, LiveSession) == 0
    with app.app_context(), pytest.raises(live.LiveError) as refusal:
        live.start_session(db.session.get(User, other.partner_a_id), db.session.get(Couple, other.id), custom_plan_id)
    assert refusal.value.code == "unknown_plan"
    other_library = signed_in(app, other_counselor).get("/counselor/library/").get_data(as_text=True)
    assert "Three good things" not in other_library and PLAN_TITLE not in other_library


def test_another_counselor_cannot_put_the_exercise_in_their_plan(app, custom_plan_id):
    with app.app_context():
        other = make_counselor()
    client = signed_in(app, other)

    page = post_form(client, PLAN_PAGE, {"title": "Borrowed", "couple": "all", "position-three-good-things": "1"})

    assert "there is no &#39;three-good-things&#39;" in page.get_data(as_text=True)
    assert row_count(app, CustomPlan) == 1


def test_a_plan_for_one_couple_is_not_offered_to_the_counselors_other_couples(app, couple, counselor_client):
    with app.app_context():
        sibling = make_couple(db.session.get(User, couple.counselor_id), names=("Jo", "Max"))
    plan_id = make_custom_plan(counselor_client, couple_id=couple.id)
    with app.app_context():
        assert plan_id in [spec.id for spec in plans_for_couple(db.session.get(Couple, couple.id))]
        assert plan_id not in [spec.id for spec in plans_for_couple(db.session.get(Couple, sibling.id))]
    assert PLAN_TITLE not in signed_in(app, sibling.partner_a).get("/partner/").get_data(as_text=True)


@pytest.mark.parametrize("url", ["/counselor/library/", EXERCISE_PAGE, PLAN_PAGE])
def test_partners_get_404_on_the_content_pages(app, couple, url):
    assert signed_in(app, couple.partner_a).get(url).status_code == 404
