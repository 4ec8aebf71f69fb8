"""The follow-ups service: who may do what, refusals that change nothing, and what partners see."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from builders import make_counselor, make_couple, make_followup
from sqlalchemy import func, select

from couples.extensions import db
from couples.models import Couple, Followup, FollowupOccurrence, LiveSession, User
from couples.requestlog import redact
from couples.services import followups as service

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
SUNDAY = datetime(2027, 3, 14, 19, 0)


@pytest.fixture
def world(app):
    with app.app_context():
        dana, ravi = make_counselor(), make_counselor()
        return {"dana": dana, "ravi": ravi, "couple": make_couple(dana)}


def request(**changes) -> service.Request:
    base = {"plan_id": "short-check-in", "due_local": SUNDAY, "recurrence": "FREQ=WEEKLY;COUNT=4",
            "mode": "together", "note": ""}
    return service.Request(**{**base, **changes})


def user(value) -> User:
    return db.session.get(User, value.id)


def test_only_the_couples_own_counselor_may_assign_change_or_cancel(app, world):
    with app.app_context():
        followup_id = make_followup(world["dana"], world["couple"], SUNDAY, now=NOW)
        ravi, partner = user(world["ravi"]), user(world["couple"].partner_a)
        attempts = [
            lambda: service.assign(ravi, world["couple"].id, request(), NOW),
            lambda: service.assign(partner, world["couple"].id, request(), NOW),
            lambda: service.change(ravi, followup_id, request(note="mine now"), NOW),
            lambda: service.cancel(ravi, followup_id, NOW),
            lambda: service.cancel(partner, followup_id, NOW),
        ]
        for attempt in attempts:
            with pytest.raises(service.FollowupError) as refused:
                attempt()
            assert refused.value.code == "not_found"
        row = db.session.get(Followup, followup_id)
        assert (row.note, row.cancelled_at) == ("", None)
        assert db.session.scalar(select(func.count()).select_from(Followup)) == 1


@pytest.mark.parametrize(("changes", "code"), [
    ({"mode": "apart"}, "mode_unavailable"),
    ({"plan_id": "custom-999"}, "unknown_plan"),
    ({"due_local": datetime(2027, 2, 28, 19, 0)}, "due_in_past"),
    ({"recurrence": "FREQ=WEEKLY"}, "unbounded_recurrence"),
    ({"recurrence": "FREQ=MINUTELY;COUNT=2"}, "unsupported_frequency"),
])
def test_a_refused_assignment_leaves_nothing_behind(app, world, changes, code):
    with app.app_context():
        with pytest.raises(service.FollowupError) as refused:
            service.assign(user(world["dana"]), world["couple"].id, request(**changes), NOW)

        assert refused.value.code == code and refused.value.message
        assert db.session.scalar(select(func.count()).select_from(FollowupOccurrence)) == 0


def test_a_cancelled_follow_up_can_be_neither_changed_nor_started(app, world):
    with app.app_context():
        followup_id = make_followup(world["dana"], world["couple"], SUNDAY, now=NOW)
        service.cancel(user(world["dana"]), followup_id, NOW)
        occurrence_id = db.session.scalar(select(func.min(FollowupOccurrence.id)))

        with pytest.raises(service.FollowupError) as changed:
            service.change(user(world["dana"]), followup_id, request(note="again"), NOW)
        with pytest.raises(service.FollowupError) as started:
            service.start_together(user(world["couple"].partner_a), db.session.get(Couple, world["couple"].id),
                                   occurrence_id, NOW)

        assert changed.value.code == started.value.code == "cancelled"
        assert db.session.scalar(select(func.count()).select_from(LiveSession)) == 0


def test_changing_only_the_note_keeps_every_occurrence_and_reminder(app, world):
    with app.app_context():
        followup_id = make_followup(world["dana"], world["couple"], SUNDAY, now=NOW)
        before = db.session.execute(select(FollowupOccurrence.id, FollowupOccurrence.due_at)).all()

        service.change(user(world["dana"]), followup_id, request(note="Take your time."), NOW)

        assert db.session.execute(select(FollowupOccurrence.id, FollowupOccurrence.due_at)).all() == before
        assert db.session.get(Followup, followup_id).note == "Take your time."


def test_an_occurrence_is_done_once_its_session_has_completed(app, world):
    now = datetime.now(UTC)
    due = (now + timedelta(days=3)).replace(tzinfo=None, second=0, microsecond=0)
    with app.app_context():
        make_followup(world["dana"], world["couple"], due, recurrence=None, now=now)
        couple, partner = db.session.get(Couple, world["couple"].id), user(world["couple"].partner_b)
        occurrence_id = db.session.scalar(select(func.min(FollowupOccurrence.id)))
        session = service.start_together(partner, couple, occurrence_id, now)
        assert service.agenda(partner, couple, now)[0].session_open
        session.status = "completed"  # what the live service writes when the last step ends
        db.session.commit()

        (item,) = service.agenda(partner, couple, now)
        with pytest.raises(service.FollowupError) as again:
            service.start_together(partner, couple, occurrence_id, now)

    assert item.status == "done" and not item.session_open
    assert again.value.code == "already_done"


def test_a_calendar_feed_link_never_reaches_the_request_log():
    assert redact("/calendar/r8poB5cMmqUSsefS6WYoTPRKHjBKsUWilrqQPp8Ok4k.ics") == "/calendar/[redacted]"
