"""The second slice of follow-ups without apart runs: the next joint session, reflections and what
flows back to the counselor (desk, timeline), summaries linked from done follow-ups, abandoned ones
shown as not finished, and the counselor's calendar feed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from builders import login, make_counselor, make_couple, make_followup, post_form, shown_day_and_time
from icalendar import Calendar
from sqlalchemy import func, select, update

from couples.extensions import db
from couples.models import ABANDONED, FollowupOccurrence, FollowupReflection, JointSession, LiveSession

BERLIN = ZoneInfo("Europe/Berlin")
TOKYO = ZoneInfo("Asia/Tokyo")


@pytest.fixture
def world(app):
    """Dana with a joined couple in Berlin; Ravi with a couple of his own."""
    with app.app_context():
        dana = make_counselor(email="dana@example.org")
        ravi = make_counselor(email="ravi@example.org")
        return {"dana": dana, "ravi": ravi, "couple": make_couple(dana), "ravis": make_couple(ravi, names=("Jo", "Max"))}


def days_ahead(days: int, hour: int = 18) -> datetime:
    """A naive Berlin wall-clock time ``days`` from today."""
    day = datetime.now(BERLIN).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, 30)


def session_form(when: datetime, plan_id: str = "short-check-in") -> dict:
    return {"plan_id": plan_id, "starts_date": when.date().isoformat(), "starts_time": when.strftime("%H:%M")}


def partner_client(app, partner):
    login(client := app.test_client(), partner.email)
    return client


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


# -- the next joint session ---------------------------------------------------------------------


def test_the_counselor_schedules_the_next_session_and_partners_see_it_in_their_own_zone(app, client, world):
    couple = world["couple"]
    when = days_ahead(10)
    login(client, "dana@example.org")
    url = f"/counselor/couples/{couple.id}/next-session"

    assert post_form(client, url, session_form(when)).status_code == 302

    home = partner_client(app, couple.partner_a).get("/partner/").get_data(as_text=True)
    starts = when.replace(tzinfo=BERLIN)
    assert "Next session with your counselor" in home and shown_day_and_time(app, starts, "Europe/Berlin") in home
    tokyo = partner_client(app, couple.partner_b)
    post_form(tokyo, "/partner/reminders", {"timezone": "Asia/Tokyo", "offset": "60"})
    assert shown_day_and_time(app, starts, "Asia/Tokyo") in tokyo.get("/partner/").get_data(as_text=True)


def test_a_joint_session_can_be_moved_and_cancelled_and_calendars_follow(app, client, world):
    couple = world["couple"]
    login(client, "dana@example.org")
    base = f"/counselor/couples/{couple.id}/next-session"
    post_form(client, base, session_form(days_ahead(10)))
    with app.app_context():
        session_id = db.session.scalar(select(JointSession.id))
    later = days_ahead(12, hour=9)

    assert post_form(client, f"{base}/{session_id}", session_form(later), action=f"{base}/{session_id}").status_code == 302
    ics = Calendar.from_ical(partner_client(app, couple.partner_a).get(f"/joint-sessions/{session_id}.ics").data)
    (event,) = ics.walk("VEVENT")
    assert event.decoded("dtstart").astimezone(UTC) == later.replace(tzinfo=BERLIN).astimezone(UTC)

    post_form(client, base, {}, action=f"{base}/{session_id}/cancel")
    (event,) = Calendar.from_ical(client.get(f"/joint-sessions/{session_id}.ics").data).walk("VEVENT")
    assert str(event["status"]) == "CANCELLED"
    assert "Next session with your counselor" not in partner_client(app, couple.partner_b).get("/partner/").get_data(as_text=True)


@pytest.mark.parametrize(("form", "message"), [
    (session_form(days_ahead(-3)), "still ahead"),
    (session_form(days_ahead(900)), "within the next two years"),
    (session_form(days_ahead(5), plan_id="no-such-plan"), "Not a valid choice"),
    ({"plan_id": "short-check-in", "starts_date": "", "starts_time": "18:00"}, "Choose a date."),
])
def test_a_bad_joint_session_gets_a_clear_message_and_changes_nothing(app, client, world, form, message):
    login(client, "dana@example.org")
    response = post_form(client, f"/counselor/couples/{world['couple'].id}/next-session", form)

    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert count(app, JointSession) == 0


def test_another_counselor_cannot_see_or_change_a_couples_joint_sessions(app, client, world):
    couple = world["couple"]
    login(client, "dana@example.org")
    base = f"/counselor/couples/{couple.id}/next-session"
    post_form(client, base, session_form(days_ahead(10)))
    with app.app_context():
        session_id = db.session.scalar(select(JointSession.id))
    login(ravi := app.test_client(), "ravi@example.org")
    stranger = partner_client(app, world["ravis"].partner_a)

    assert ravi.get(base).status_code == 404
    assert ravi.get(f"/joint-sessions/{session_id}.ics").status_code == 404
    assert stranger.get(f"/joint-sessions/{session_id}.ics").status_code == 404
    own = f"/counselor/couples/{world['ravis'].id}/next-session"
    assert post_form(ravi, own, {}, action=f"{own}/{session_id}/cancel").status_code == 404
    assert count(app, JointSession, JointSession.cancelled_at.is_not(None)) == 0


# -- done together: the summary, abandoned ones, reflections ----------------------------------------


def done_together(app, world, status: str = "completed") -> tuple[int, int]:
    """A follow-up whose first occurrence was started together and then ended with ``status``;
    returns (occurrence id, session id)."""
    couple = world["couple"]
    with app.app_context():
        make_followup(world["dana"], couple, days_ahead(4), recurrence=None)
        occurrence_id = db.session.scalar(select(func.min(FollowupOccurrence.id)))
    post_form(partner_client(app, couple.partner_a), "/partner/follow-ups", {},
              action=f"/partner/follow-ups/{occurrence_id}/start")
    with app.app_context():
        session_id = db.session.scalar(select(LiveSession.id))
        db.session.execute(update(LiveSession).values(status=status))
        db.session.commit()
    return occurrence_id, session_id


def test_a_follow_up_done_together_links_to_its_summary_on_both_sides(app, client, world):
    occurrence_id, session_id = done_together(app, world)

    page = partner_client(app, world["couple"].partner_b).get("/partner/follow-ups").get_data(as_text=True)
    assert f'href="/sessions/{session_id}/summary"' in page and "Done" in page
    login(client, "dana@example.org")
    timeline = client.get(f"/counselor/couples/{world['couple'].id}/timeline").get_data(as_text=True)
    assert f'id="followup-line-{occurrence_id}"' in timeline and "Done together" in timeline
    assert f'href="/counselor/sessions/{session_id}/summary"' in timeline


def test_an_abandoned_follow_up_shows_as_not_finished(app, client, world):
    occurrence_id, _session_id = done_together(app, world, status=ABANDONED)

    page = partner_client(app, world["couple"].partner_a).get("/partner/follow-ups").get_data(as_text=True)
    assert "Not finished" in page and "Start it together" not in page
    login(client, "dana@example.org")
    assert "Not finished" in client.get(f"/counselor/couples/{world['couple'].id}/timeline").get_data(as_text=True)


def test_shared_reflections_reach_the_counselor_and_never_the_other_partner(app, client, world):
    couple = world["couple"]
    occurrence_id, _session_id = done_together(app, world)
    url = f"/partner/follow-ups/{occurrence_id}/reflection"
    alex, sam = partner_client(app, couple.partner_a), partner_client(app, couple.partner_b)

    assert post_form(alex, url, {"rating": "4", "text": "Easier than last week.", "shared": "y"}).status_code == 302
    assert post_form(sam, url, {"rating": "2", "text": "I felt rushed, keep this to me."}).status_code == 302

    login(client, "dana@example.org")
    timeline = client.get(f"/counselor/couples/{couple.id}/timeline").get_data(as_text=True)
    assert "Easier than last week." in timeline and "4 / 5" in timeline
    assert "rushed" not in timeline and "2 / 5" not in timeline
    desk = client.get("/counselor/").get_data(as_text=True)
    assert "1 done" in desk and "ratings shared: 4 / 5" in desk
    for page in ("/partner/", "/partner/follow-ups", url):
        assert "rushed" not in alex.get(page).get_data(as_text=True)
        assert "Easier than last week." not in sam.get(page).get_data(as_text=True)
    assert "I felt rushed" in sam.get(url).get_data(as_text=True)  # the writer sees their own


@pytest.mark.parametrize(("form", "message"), [
    ({"rating": "9"}, "Not a valid choice"),
    ({"text": ""}, "Choose a rating or write a few words."),
    ({"text": "x" * 2001}, "2000"),
])
def test_a_bad_reflection_gets_a_clear_message_and_saves_nothing(app, world, form, message):
    occurrence_id, _session_id = done_together(app, world)
    response = post_form(partner_client(app, world["couple"].partner_a), f"/partner/follow-ups/{occurrence_id}/reflection", form)

    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert count(app, FollowupReflection) == 0


def test_a_reflection_waits_until_the_follow_up_is_done_and_strangers_get_a_404(app, world):
    couple = world["couple"]
    with app.app_context():
        make_followup(world["dana"], couple, days_ahead(4), recurrence=None)
        occurrence_id = db.session.scalar(select(func.min(FollowupOccurrence.id)))
    url = f"/partner/follow-ups/{occurrence_id}/reflection"

    response = partner_client(app, couple.partner_a).get(url)
    assert response.status_code == 302 and response.headers["Location"].endswith("/partner/follow-ups")
    assert partner_client(app, world["ravis"].partner_a).get(url).status_code == 404
    assert post_form(partner_client(app, couple.partner_a), "/partner/follow-ups", {"rating": "3"}, action=url).status_code == 302
    assert count(app, FollowupReflection) == 0


# -- the desk flags overdue follow-ups; the counselor's calendar --------------------------------


def test_an_overdue_follow_up_is_flagged_on_the_desk_and_on_the_partners_home(app, client, world):
    couple = world["couple"]
    with app.app_context():
        make_followup(world["dana"], couple, days_ahead(3), recurrence=None)
        db.session.execute(update(FollowupOccurrence).values(due_at=datetime.now(UTC) - timedelta(days=2)))
        db.session.commit()
    login(client, "dana@example.org")

    assert "1 overdue" in client.get("/counselor/").get_data(as_text=True)
    home = partner_client(app, couple.partner_a).get("/partner/").get_data(as_text=True)
    assert "Overdue" in home and "Start it together" in home


def test_the_counselors_feed_holds_every_couples_follow_ups_and_sessions(app, client, world):
    other = None
    with app.app_context():
        other = make_couple(world["dana"], names=("Kim", "Lee"))
        make_followup(world["dana"], world["couple"], days_ahead(4), recurrence="FREQ=WEEKLY;COUNT=3")
        make_followup(world["dana"], other, days_ahead(5), recurrence=None)
        make_followup(world["ravi"], world["ravis"], days_ahead(6), recurrence=None)
    login(client, "dana@example.org")
    post_form(client, f"/counselor/couples/{other.id}/next-session", session_form(days_ahead(8)))
    post_form(client, "/counselor/calendar", {}, action="/counselor/calendar/reset")
    page = client.get("/counselor/calendar").get_data(as_text=True)
    feed_url = page.split('id="feed-url"')[1].split(">")[1].split("<")[0]

    events = Calendar.from_ical(app.test_client().get(feed_url).data).walk("VEVENT")
    assert len(events) == 3 + 1 + 1
    assert "Make a new calendar link" in client.get("/counselor/calendar").get_data(as_text=True)
    post_form(client, "/counselor/calendar", {}, action="/counselor/calendar/reset")
    assert app.test_client().get(feed_url).status_code == 404


def test_the_feed_shows_every_change_at_once_though_it_is_kept_built(app, client, world):
    couple = world["couple"]
    with app.app_context():
        followup_id = make_followup(world["dana"], couple, days_ahead(4), recurrence="FREQ=WEEKLY;COUNT=2")
    partner = partner_client(app, couple.partner_a)
    post_form(partner, "/partner/reminders", {}, action="/partner/calendar/reset")
    page = partner.get("/partner/reminders").get_data(as_text=True)
    feed_url = page.split('id="feed-url"')[1].split(">")[1].split("<")[0]
    reader = app.test_client()

    def statuses() -> list[str]:
        return sorted(str(event["status"]) for event in Calendar.from_ical(reader.get(feed_url).data).walk("VEVENT"))

    assert statuses() == ["CONFIRMED"] * 2 and statuses() == ["CONFIRMED"] * 2  # the second one from the cache
    login(client, "dana@example.org")
    base = f"/counselor/couples/{couple.id}"
    post_form(client, f"{base}/next-session", session_form(days_ahead(9)))
    assert statuses() == ["CONFIRMED"] * 3
    post_form(client, f"{base}/follow-ups", {}, action=f"{base}/follow-ups/{followup_id}/cancel")
    assert statuses() == ["CANCELLED", "CANCELLED", "CONFIRMED"]
