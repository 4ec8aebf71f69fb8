"""Follow-ups done apart: each partner alone on the live session page's socket, at their own pace,
resuming where they left; the reveal once both are done; an apart run never blocks a workshop;
a cancelled follow-up refuses further answers; assignment refused for what cannot be done apart."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from builders import PASSWORD, login, make_counselor, make_couple, post_form
from sqlalchemy import func, select

from couples.extensions import db, socketio
from couples.models import Couple, Followup, FollowupOccurrence, FollowupReminder, LiveSession, User
from couples.realtime.protocol import NAMESPACE
from couples.services import followups, live, reminders
from couples.services.plans import plan_by_id

BERLIN = ZoneInfo("Europe/Berlin")
CLOSING = "exercise:closing"
SECRET = "I was hurt when you left the party early"


@pytest.fixture
def world(app):
    with app.app_context():
        dana = make_counselor(email="dana@example.org")
        return {"dana": dana, "couple": make_couple(dana)}


def days_ahead(days: int) -> datetime:
    day = datetime.now(BERLIN).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, 19, 0)


def assign(app, world, plan_id: str = CLOSING, mode: str = "apart", recurrence: str | None = None) -> int:
    """Assign through the counselor's form; returns the first occurrence's id."""
    login(client := app.test_client(), "dana@example.org")
    due = days_ahead(3)
    form = {"plan_id": plan_id, "due_date": due.date().isoformat(), "due_time": "19:00", "repeat": "", "times": "",
            "mode": mode, "note": ""}
    if recurrence:
        form.update(repeat="weekly", times="4")
    response = post_form(client, f"/counselor/couples/{world['couple'].id}/follow-ups", form)
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        return db.session.scalar(select(func.min(FollowupOccurrence.id)))


def partner_http(app, partner):
    login(http := app.test_client(), partner.email, PASSWORD)
    return http


class Partner:
    """One partner on the live page's socket (Flask-SocketIO's test client over the real namespace)."""

    def __init__(self, app, user) -> None:
        self.http = partner_http(app, user)
        self.app, self.count, self.frames = app, 0, []
        self.socket = None
        self.session_id: int | None = None

    def open_apart(self, occurrence_id: int) -> int:
        """Press *Do it on my own* and follow the run it opens; returns the session id."""
        response = post_form(self.http, "/partner/follow-ups", {}, action=f"/partner/follow-ups/{occurrence_id}/apart")
        assert response.status_code == 302, response.get_data(as_text=True)
        self.session_id = int(response.headers["Location"].rsplit("/", 1)[1])
        page = self.http.get(f"/sessions/{self.session_id}")
        assert page.status_code == 200
        self.frames.append(("page", page.get_data(as_text=True)))
        self.socket = socketio.test_client(self.app, namespace=NAMESPACE, flask_test_client=self.http)
        assert self.emit("join", {"session_id": self.session_id, "last_version": 0})["ok"]
        return self.session_id

    def emit(self, name: str, payload: dict) -> dict:
        ack = self.socket.emit(name, payload, namespace=NAMESPACE, callback=True)
        self.frames.append(("ack", ack))
        return ack

    def act(self, type_: str, data: dict | None = None) -> dict:
        self.count += 1
        step_id = self.latest()["step"]["id"]
        # Ids are unique per user and session: a second device of the same partner uses its own.
        return self.emit("event", {"id": f"e{id(self)}-{self.count}", "session_id": self.session_id, "type": type_,
                                   "step_id": step_id, "data": data or {}})

    def latest(self) -> dict:
        received = self.socket.get_received(NAMESPACE)
        self.frames.extend(("frame", frame) for frame in received)
        snapshots = [frame["args"][0] for kind, frame in self.frames if kind == "frame" and frame["name"] == "snapshot"]
        return snapshots[-1]

    def leave(self) -> None:
        self.socket.disconnect(namespace=NAMESPACE)


def test_a_plan_with_a_check_in_cannot_be_assigned_apart_and_nothing_is_saved(app, world):
    login(client := app.test_client(), "dana@example.org")
    url = f"/counselor/couples/{world['couple'].id}/follow-ups"
    form = {"plan_id": "short-check-in", "due_date": days_ahead(3).date().isoformat(), "due_time": "19:00",
            "repeat": "", "times": "", "mode": "apart", "note": ""}

    refused = post_form(client, url, form)

    assert refused.status_code == 200
    assert "only do together" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Followup)) == 0
    assign(app, world)  # a single exercise, apart: accepted


def test_a_single_exercise_in_mode_either_is_done_together_after_the_check_in_or_apart_alone(app, world):
    assign(app, world, mode="either", recurrence="weekly")
    with app.app_context():
        first, second = db.session.scalars(select(FollowupOccurrence.id).order_by(FollowupOccurrence.id).limit(2))
    a, b = (partner_http(app, partner) for partner in (world["couple"].partner_a, world["couple"].partner_b))

    together = post_form(a, "/partner/follow-ups", {}, action=f"/partner/follow-ups/{first}/start")
    apart = post_form(b, "/partner/follow-ups", {}, action=f"/partner/follow-ups/{second}/apart")

    assert together.status_code == apart.status_code == 302
    with app.app_context():
        runs = [db.session.get(LiveSession, int(response.headers["Location"].rsplit("/", 1)[1]))
                for response in (together, apart)]
        assert [run.mode for run in runs] == ["together", "apart"]
        together_steps, apart_steps = ([step["id"] for step in run.plan["steps"]] for run in runs)
        assert together_steps[0].startswith("check-in.") and together_steps[-1].startswith("closing.")
        assert all(step.startswith("closing.") for step in apart_steps)


def test_each_partner_does_it_alone_resumes_where_they_left_and_both_see_the_reveal(app, world):
    couple = world["couple"]
    occurrence_id = assign(app, world)
    alex, sam = Partner(app, couple.partner_a), Partner(app, couple.partner_b)

    session_id = alex.open_apart(occurrence_id)
    assert alex.latest()["mode"] == "apart" and alex.latest()["finished"] == {"a": False, "b": False}
    assert alex.act("answer", {"value": SECRET})["ok"] and alex.act("ready")["ok"]
    assert alex.latest()["step_index"] == 1
    alex.leave()

    assert sam.open_apart(occurrence_id) == session_id  # one run for both, each at their own place
    assert sam.latest()["step_index"] == 0 and SECRET not in str(sam.latest())
    alex_again = Partner(app, couple.partner_a)
    alex_again.open_apart(occurrence_id)
    assert alex_again.latest()["step_index"] == 1  # resumed where Alex left
    ack = alex_again.act("ready")
    assert ack["ok"], ack
    assert alex_again.latest()["finished"] == {"a": True, "b": False}, alex_again.latest()

    assert sam.latest()["finished"] == {"a": True, "b": False}
    assert sam.act("answer", {"value": "Dinner on Sunday felt close"})["ok"]
    revealed = sam.latest()["state"]
    assert revealed["revealed"] and revealed["answers"]["a"] == SECRET  # both answered: the reveal
    assert sam.act("ready")["ok"] and sam.act("ready")["ok"]
    assert sam.latest()["status"] == "completed"

    page = alex_again.http.get("/partner/follow-ups").get_data(as_text=True)
    assert f'href="/sessions/{session_id}/summary"' in page and "My rating and reflection" in page
    summary = alex_again.http.get(f"/sessions/{session_id}/summary")
    assert summary.status_code == 200 and SECRET in summary.get_data(as_text=True)


def test_an_apart_run_never_blocks_a_live_workshop(app, world):
    couple = world["couple"]
    occurrence_id = assign(app, world)
    Partner(app, couple.partner_a).open_apart(occurrence_id)
    with app.app_context():
        row = db.session.get(Couple, couple.id)
        workshop = live.start_plan(db.session.get(User, couple.partner_b_id), row, plan_by_id(row, "short-check-in"))
        assert workshop.mode == "together" and workshop.plan_id == "short-check-in"
        assert [s.id for s in live.open_sessions(row)] == [workshop.id]
        assert db.session.scalar(select(func.count()).select_from(LiveSession)
                                 .where(LiveSession.status == "active")) == 2


def test_an_answer_after_the_follow_up_was_cancelled_is_refused_and_changes_nothing(app, world):
    couple = world["couple"]
    occurrence_id = assign(app, world)
    alex = Partner(app, couple.partner_a)
    session_id = alex.open_apart(occurrence_id)
    with app.app_context():
        followup_id = db.session.scalar(select(Followup.id))
        before = db.session.get(LiveSession, session_id).version
        followups.cancel(db.session.get(User, world["dana"].id), followup_id, datetime.now(BERLIN))

    ack = alex.act("answer", {"value": SECRET})

    assert ack["ok"] is False and ack["error"]["code"] == "followup_cancelled"
    assert "cancelled" in ack["error"]["message"]
    with app.app_context():
        row = db.session.get(LiveSession, session_id)
        assert row.version == before and SECRET not in str(row.state)
    again = post_form(alex.http, "/partner/follow-ups", {}, action=f"/partner/follow-ups/{occurrence_id}/apart")
    assert again.status_code == 302 and again.headers["Location"].endswith("/partner/follow-ups")


def test_opening_an_apart_run_stops_only_that_partners_reminders(app, world):
    couple = world["couple"]
    occurrence_id = assign(app, world)
    Partner(app, couple.partner_a).open_apart(occurrence_id)

    with app.app_context():
        left = db.session.execute(select(FollowupReminder.user_id).where(
            FollowupReminder.occurrence_id == occurrence_id)).scalars().all()
        assert sorted(set(left)) == [couple.partner_b_id] and len(left) == 2  # a day and an hour before
        deliveries = reminders.deliveries_for(list(db.session.scalars(select(FollowupReminder.id))))
        assert deliveries and all(delivery.live for delivery in deliveries)  # Sam is still reminded
    Partner(app, couple.partner_b).open_apart(occurrence_id)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(FollowupReminder)
                                 .where(FollowupReminder.occurrence_id == occurrence_id)) == 0
