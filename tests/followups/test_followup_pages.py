"""Follow-up pages: the counselor assigns, changes and cancels; partners see theirs and start them;
calendar files; and everyone else gets a 404."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from builders import csrf_token, login, make_counselor, make_couple, make_followup, post_form, shown_day_and_time
from icalendar import Calendar
from scale.test_counselor_queries import counted
from sqlalchemy import func, select

from couples.extensions import db
from couples.models import Followup, FollowupOccurrence, FollowupReminder, LiveSession

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def world(app):
    """Dana with a joined couple in Berlin; Ravi with a couple of his own."""
    with app.app_context():
        dana = make_counselor(email="dana@example.org")
        ravi = make_counselor(email="ravi@example.org")
        return {"dana": dana, "ravi": ravi, "couple": make_couple(dana), "ravis": make_couple(ravi, names=("Jo", "Max"))}


def next_sunday_at_seven(weeks_ahead: int = 1) -> datetime:
    """A Sunday 19:00 (naive, Berlin wall clock) at least a few days ahead."""
    today = datetime.now(BERLIN).date() + timedelta(days=3)
    sunday = today + timedelta(days=(6 - today.weekday()) % 7 + 7 * (weeks_ahead - 1))
    return datetime(sunday.year, sunday.month, sunday.day, 19, 0)


def assign_form(due: datetime, **overrides) -> dict:
    data = {"plan_id": "short-check-in", "due_date": due.date().isoformat(), "due_time": due.strftime("%H:%M"),
            "repeat": "weekly", "times": "4", "mode": "together", "note": "Try it after dinner."}
    return {**data, **overrides}


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_the_counselor_assigns_a_weekly_follow_up_and_both_partners_see_it(app, client, world):
    couple = world["couple"]
    url = f"/counselor/couples/{couple.id}/follow-ups"
    login(client, "dana@example.org")
    assert f'href="{url}"' in client.get(f"/counselor/couples/{couple.id}").get_data(as_text=True)

    response = post_form(client, url, assign_form(next_sunday_at_seven()))

    assert response.status_code == 302
    assert count(app, FollowupOccurrence) == 4
    assert count(app, FollowupReminder) == 4 * 2 * 2  # two partners, a day and an hour before by default
    for partner in (couple.partner_a, couple.partner_b):
        other = app.test_client()
        login(other, partner.email)
        assert 'href="/partner/follow-ups"' in other.get("/partner/").get_data(as_text=True)
        page = other.get("/partner/follow-ups").get_data(as_text=True)
        first = shown_day_and_time(app, next_sunday_at_seven().replace(tzinfo=BERLIN), "Europe/Berlin")
        assert page.count("id=\"occurrence-") == 4 and first in page and "Try it after dinner." in page


@pytest.mark.parametrize(("overrides", "message"), [
    ({"due_date": "2020-01-05"}, "still ahead"),
    ({"due_date": "9999-12-31", "due_time": "23:59"}, "within the next two years"),
    ({"due_date": "not a date"}, "Not a valid date value"),
    ({"due_time": "25:99"}, "Not a valid time value"),
    ({"plan_id": "no-such-plan"}, "Not a valid choice"),
    ({"mode": "apart"}, "only do together"),
    ({"times": "500"}, "between 2 and"),
    ({"times": ""}, "how many times"),
    ({"repeat": "hourly"}, "Not a valid choice"),
    ({"note": "x" * 1001}, "Field cannot be longer"),
])
def test_bad_input_gets_a_clear_message_and_changes_nothing(app, client, world, overrides, message):
    url = f"/counselor/couples/{world['couple'].id}/follow-ups"
    login(client, "dana@example.org")

    response = post_form(client, url, assign_form(next_sunday_at_seven(), **overrides))

    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert count(app, Followup) == 0


def test_the_counselor_changes_the_day_and_only_the_times_ahead_move(app, client, world):
    couple = world["couple"]
    first = next_sunday_at_seven()
    with app.app_context():
        followup_id = make_followup(world["dana"], couple, first)
    login(client, "dana@example.org")
    url = f"/counselor/couples/{couple.id}/follow-ups/{followup_id}"
    assert "Try it" not in client.get(url).get_data(as_text=True)  # the form is prefilled from the row

    monday = first + timedelta(days=1)
    response = post_form(client, url, assign_form(monday, times="2", note="Monday works better."))

    assert response.status_code == 302
    with app.app_context():
        live = db.session.scalars(select(FollowupOccurrence).where(FollowupOccurrence.cancelled_at.is_(None))).all()
        local = sorted(o.due_at.replace(tzinfo=UTC).astimezone(BERLIN).strftime("%a %H:%M") for o in live)
        assert local == ["Mon 19:00"] * 2
        dropped = select(FollowupOccurrence.id).where(FollowupOccurrence.cancelled_at.is_not(None))
        assert db.session.scalar(select(func.count()).select_from(FollowupReminder)
                                 .where(FollowupReminder.occurrence_id.in_(dropped))) == 0
    login(partner := app.test_client(), couple.partner_a.email)
    assert "Monday works better." in partner.get("/partner/follow-ups").get_data(as_text=True)


def test_a_cancelled_follow_up_shows_as_cancelled_and_its_reminders_are_gone(app, client, world):
    couple = world["couple"]
    with app.app_context():
        followup_id = make_followup(world["dana"], couple, next_sunday_at_seven())
    login(client, "dana@example.org")

    response = post_form(client, f"/counselor/couples/{couple.id}/follow-ups",
                         {}, action=f"/counselor/couples/{couple.id}/follow-ups/{followup_id}/cancel")

    assert response.status_code == 302
    assert count(app, FollowupReminder) == 0
    login(partner := app.test_client(), couple.partner_b.email)
    page = partner.get("/partner/follow-ups").get_data(as_text=True)
    assert page.count("Cancelled") == 4 and "Start it together" not in page


def test_starting_a_follow_up_together_opens_one_live_session_for_both(app, world):
    couple = world["couple"]
    with app.app_context():
        make_followup(world["dana"], couple, next_sunday_at_seven())
        occurrence_id = db.session.scalar(select(func.min(FollowupOccurrence.id)))
    starts = []
    for partner in (couple.partner_a, couple.partner_b):
        login(client := app.test_client(), partner.email)
        starts.append(post_form(client, "/partner/follow-ups", {}, action=f"/partner/follow-ups/{occurrence_id}/start"))

    assert starts[0].status_code == starts[1].status_code == 302
    assert starts[0].headers["Location"] == starts[1].headers["Location"]
    assert count(app, LiveSession) == 1
    with app.app_context():
        session = db.session.scalar(select(LiveSession))
        assert session.plan_id == "short-check-in"
        assert db.session.get(FollowupOccurrence, occurrence_id).live_session_id == session.id
        assert db.session.scalar(select(func.count()).select_from(FollowupReminder)
                                 .where(FollowupReminder.occurrence_id == occurrence_id)) == 0
    assert "Continue the session" in client.get("/partner/follow-ups").get_data(as_text=True)


def test_a_pending_follow_up_never_takes_over_a_workshop_under_way(app, world):
    couple = world["couple"]
    with app.app_context():
        make_followup(world["dana"], couple, next_sunday_at_seven())
        occurrence_id = db.session.scalar(select(func.min(FollowupOccurrence.id)))
    login(client := app.test_client(), couple.partner_a.email)
    home = client.get("/partner/").get_data(as_text=True)
    client.post(f"/couples/{couple.id}/sessions", data={"plan_id": "opening-up", "csrf_token": csrf_token(home)})

    response = post_form(client, "/partner/follow-ups", {}, action=f"/partner/follow-ups/{occurrence_id}/start")

    assert response.status_code == 302 and response.headers["Location"] == "/partner/follow-ups"
    assert "Another session is under way" in client.get("/partner/follow-ups").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(FollowupOccurrence, occurrence_id).live_session_id is None


def test_a_partner_sees_times_in_their_own_time_zone(app, world):
    couple = world["couple"]
    with app.app_context():
        make_followup(world["dana"], couple, next_sunday_at_seven(), recurrence=None)
    login(client := app.test_client(), couple.partner_a.email)

    response = post_form(client, "/partner/reminders", {"offset": ["60"], "timezone": "America/New_York"})

    assert response.status_code == 302
    page = client.get("/partner/follow-ups").get_data(as_text=True)
    in_new_york = shown_day_and_time(app, next_sunday_at_seven().replace(tzinfo=BERLIN), "America/New_York")
    assert "1:00" in in_new_york and in_new_york in page and "America/New York" in page  # 19:00 in Berlin
    assert count(app, FollowupReminder, FollowupReminder.user_id == couple.partner_a.id) == 1


def test_bad_reminder_settings_are_refused_and_change_nothing(app, world):
    couple = world["couple"]
    with app.app_context():
        make_followup(world["dana"], couple, next_sunday_at_seven(), recurrence=None)
    login(client := app.test_client(), couple.partner_a.email)

    odd = post_form(client, "/partner/reminders", {"offset": ["61"], "timezone": ""})
    zone = post_form(client, "/partner/reminders", {"offset": ["60"], "timezone": "Mars/Olympus"})

    assert odd.status_code == 200 and "Choose reminder times from the list." in odd.get_data(as_text=True)
    assert zone.status_code == 200 and "Not a valid choice" in zone.get_data(as_text=True)
    assert count(app, FollowupReminder, FollowupReminder.user_id == couple.partner_a.id) == 2


def instants(body: bytes) -> list[datetime]:
    calendar = Calendar.from_ical(body)
    return sorted(event.decoded("dtstart").astimezone(UTC) for event in calendar.walk("VEVENT"))


def test_the_ics_file_holds_the_right_utc_instants_across_daylight_saving(app, world):
    couple = world["couple"]
    # 19:00 in Berlin every week from mid-October over the end of summer time (last Sunday of October).
    year = datetime.now(UTC).year + 1
    first = datetime(year, 10, 11, 19, 0)
    with app.app_context():
        followup_id = make_followup(world["dana"], couple, first, recurrence="FREQ=DAILY;INTERVAL=7;COUNT=4")
    login(client := app.test_client(), couple.partner_a.email)

    response = client.get(f"/follow-ups/{followup_id}.ics")

    assert response.status_code == 200 and response.mimetype == "text/calendar"
    expected = [(first + timedelta(weeks=n)).replace(tzinfo=BERLIN).astimezone(UTC) for n in range(4)]
    assert instants(response.data) == expected
    assert [t.hour for t in expected] == [17, 17, 17, 18] or [t.hour for t in expected] == [17, 17, 18, 18]
    assert b"Try it" not in response.data and b"TZID=Europe/Berlin" in response.data


def new_feed_url(client) -> str:
    """Make a new feed link through the page and read it from the one page that shows it."""
    post_form(client, "/partner/reminders", {}, action="/partner/calendar/reset")
    page = client.get("/partner/reminders").get_data(as_text=True)
    return page.split('id="feed-url"')[1].split(">")[1].split("<")[0]


def test_the_private_feed_works_until_its_link_is_reset(app, world):
    couple = world["couple"]
    with app.app_context():
        make_followup(world["dana"], couple, next_sunday_at_seven(), note="A private thought")
    login(client := app.test_client(), couple.partner_a.email)

    first_url = new_feed_url(client)
    assert first_url not in client.get("/partner/reminders").get_data(as_text=True)  # shown once
    feed = app.test_client().get(first_url)
    new_feed_url(client)

    assert feed.status_code == 200 and len(instants(feed.data)) == 4 and b"private thought" not in feed.data
    assert app.test_client().get(first_url).status_code == 404
    assert app.test_client().get("/calendar/made-up-token.ics").status_code == 404


def test_nobody_else_can_see_or_touch_a_follow_up(app, world):
    couple, ravis = world["couple"], world["ravis"]
    with app.app_context():
        followup_id = make_followup(world["dana"], couple, next_sunday_at_seven())
        occurrence_id = db.session.scalar(select(func.min(FollowupOccurrence.id)))
    login(ravi := app.test_client(), "ravi@example.org")
    login(stranger := app.test_client(), ravis.partner_a.email)
    base = f"/counselor/couples/{couple.id}/follow-ups"

    for url in (base, f"{base}/{followup_id}", f"/follow-ups/{followup_id}.ics"):
        assert ravi.get(url).status_code == 404
        assert stranger.get(url).status_code == 404
    own = f"/counselor/couples/{ravis.id}/follow-ups"
    assert ravi.get(f"{own}/{followup_id}").status_code == 404  # Dana's follow-up under Ravi's own couple
    assert post_form(ravi, own, {}, action=f"{base}/{followup_id}/cancel").status_code == 404
    assert post_form(ravi, own, assign_form(next_sunday_at_seven()), action=base).status_code == 404
    assert post_form(stranger, "/partner/", {}, action=f"/partner/follow-ups/{occurrence_id}/start").status_code == 404
    assert "Short check-in" not in stranger.get("/partner/follow-ups").get_data(as_text=True)
    assert count(app, Followup, Followup.cancelled_at.is_not(None)) == 0 and count(app, LiveSession) == 0


@pytest.mark.parametrize("who", ["partner", "counselor", "partner home", "desk", "timeline"])
def test_the_follow_up_pages_queries_stay_flat_as_follow_ups_grow(app, world, who):
    couple = world["couple"]
    email, url = {"partner": (couple.partner_a.email, "/partner/follow-ups"),
                  "counselor": ("dana@example.org", f"/counselor/couples/{couple.id}/follow-ups"),
                  "partner home": (couple.partner_a.email, "/partner/"),
                  "desk": ("dana@example.org", "/counselor/"),
                  "timeline": ("dana@example.org", f"/counselor/couples/{couple.id}/timeline")}[who]
    login(client := app.test_client(), email)
    sizes = []
    for weeks in (1, 2, 3):
        with app.app_context():
            make_followup(world["dana"], couple, next_sunday_at_seven(weeks) + timedelta(hours=weeks))
        with counted(app) as statements:
            assert client.get(url).status_code == 200
        sizes.append(len(statements))

    assert sizes[0] == sizes[1] == sizes[2]


def test_the_feed_of_a_year_of_weekly_follow_ups_holds_every_occurrence(app, world):
    # Its speed (p95) is measured in bench/followup_feed.py: tests never assert wall-clock time.
    couple = world["couple"]
    with app.app_context():
        make_followup(world["dana"], couple, next_sunday_at_seven(), recurrence="FREQ=WEEKLY;COUNT=52")
    login(client := app.test_client(), couple.partner_a.email)
    feed_url = new_feed_url(client)

    assert len(instants(app.test_client().get(feed_url).data)) == 52
