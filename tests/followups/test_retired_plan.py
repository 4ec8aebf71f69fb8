"""Retiring a plan (or an exercise) stops its new use; follow-ups assigned with it before keep it, and
the counselor is told."""

from __future__ import annotations

import re

from builders import login, make_counselor, make_couple, make_followup, post_form
from sqlalchemy import func, select
from followups.test_followup_pages import assign_form, next_sunday_at_seven

from couples.content.builder import ExerciseDraft, new_step
from couples.extensions import db
from couples.models import Followup, FollowupOccurrence, LiveSession, User
from couples.services import authoring


def own_plan(counselor: User) -> str:
    """A plan the counselor composed for all their couples (the check-in and one packaged exercise)."""
    row = authoring.compose_plan(db.session.get(User, counselor.id), "Calm plan", ["check-in", "closing"], None)
    return f"custom-{row.id}"


def retire(client, plan_id: str):
    number = plan_id.removeprefix("custom-")
    return post_form(client, "/counselor/library/", {}, action=f"/counselor/library/plans/{number}/retire")


def selected_plan(page: str) -> str | None:
    """The option the follow-up form's plan picker shows as chosen."""
    picker = re.search(r'<select[^>]*name="plan_id".*?</select>', page, re.S)
    assert picker is not None
    chosen = re.search(r'<option[^>]*selected[^>]*value="([^"]+)"|<option[^>]*value="([^"]+)"[^>]*selected', picker[0])
    return next(value for value in chosen.groups() if value) if chosen else None


def test_a_follow_up_assigned_before_its_plan_was_retired_still_starts_it(app, client):
    with app.app_context():
        counselor = make_counselor(email="dana@example.org")
        couple = make_couple(counselor)
        plan_id = own_plan(counselor)
        make_followup(counselor, couple, next_sunday_at_seven(), plan_id=plan_id)
        occurrence_id = db.session.scalar(select(func.min(FollowupOccurrence.id)))
    login(client, "dana@example.org")

    retired = retire(client, plan_id)
    told = client.get("/counselor/library/").get_data(as_text=True)

    assert retired.status_code == 302
    assert "no longer offered for new sessions or follow-ups" in told
    assert "1 follow-up assigned before still runs it as planned" in told
    login(partner := app.test_client(), couple.partner_a.email)
    started = post_form(partner, "/partner/follow-ups", {}, action=f"/partner/follow-ups/{occurrence_id}/start")
    assert started.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(LiveSession.plan_id)) == plan_id


def test_a_retired_plan_is_offered_for_no_new_follow_up_but_an_old_one_keeps_it_when_moved(app, client):
    with app.app_context():
        counselor = make_counselor(email="dana@example.org")
        couple = make_couple(counselor)
        plan_id = own_plan(counselor)
        followup_id = make_followup(counselor, couple, next_sunday_at_seven(), plan_id=plan_id)
    login(client, "dana@example.org")
    retire(client, plan_id)
    assign_url = f"/counselor/couples/{couple.id}/follow-ups"
    edit_url = f"{assign_url}/{followup_id}"

    new_form = client.get(assign_url).get_data(as_text=True)
    refused = post_form(client, assign_url, assign_form(next_sunday_at_seven(), plan_id=plan_id))
    edit_form = client.get(edit_url).get_data(as_text=True)
    moved = post_form(client, edit_url, assign_form(next_sunday_at_seven(weeks_ahead=2), plan_id=plan_id))

    assert f'value="{plan_id}"' not in new_form
    assert refused.status_code == 200
    assert selected_plan(edit_form) == plan_id
    assert moved.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Followup)) == 1
        assert db.session.get(Followup, followup_id).plan_id == plan_id


def test_retiring_a_plan_no_follow_up_uses_says_nothing_of_follow_ups(app, client):
    with app.app_context():
        counselor = make_counselor(email="dana@example.org")
        make_couple(counselor)
        plan_id = own_plan(counselor)
    login(client, "dana@example.org")

    retire(client, plan_id)

    told = client.get("/counselor/library/").get_data(as_text=True)
    assert "no longer offered" in told and "still run" not in told


def own_exercise(counselor: User) -> tuple[int, str]:
    """A one-step reading exercise of the counselor's (one partner can do it alone): its row id and follow-up id."""
    draft = ExerciseDraft(values={"title": "Calm words", "summary": "Read.", "minutes": "5", "roles": "Both read."})
    draft.steps.append(new_step(draft, "read"))
    draft.steps[0].values["title"] = "Read this"
    row = authoring.save_draft(db.session.get(User, counselor.id), draft)
    return row.id, f"exercise:{row.slug}"


def test_a_retired_exercise_is_offered_for_no_new_follow_up_but_one_assigned_before_keeps_it(app, client):
    with app.app_context():
        counselor = make_counselor(email="dana@example.org")
        couple = make_couple(counselor)
        exercise_row, exercise_id = own_exercise(counselor)
        followup_id = make_followup(counselor, couple, next_sunday_at_seven(), plan_id=exercise_id, mode="apart")
    login(client, "dana@example.org")
    assign_url = f"/counselor/couples/{couple.id}/follow-ups"
    offered_before = f'value="{exercise_id}"' in client.get(assign_url).get_data(as_text=True)

    post_form(client, "/counselor/library/", {}, action=f"/counselor/library/exercises/{exercise_row}/retire")

    assert offered_before and f'value="{exercise_id}"' not in client.get(assign_url).get_data(as_text=True)
    assert selected_plan(client.get(f"{assign_url}/{followup_id}").get_data(as_text=True)) == exercise_id
