"""Reminders: each is sent once, in-app over Socket.IO and by e-mail to a real SMTP server,
with only the exercise's name, the time and a link; a late one is closed unsent."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from builders import login, make_counselor, make_couple, make_followup, post_form, shown_day_and_time
from sqlalchemy import func, insert, select

from couples.config import SmtpSettings
from couples.extensions import db, socketio
from couples.models import FollowupOccurrence, FollowupReminder
from couples.realtime.protocol import NAMESPACE
from couples.services import reminders

NOTE = "Talk about the letter from your sister"  # must never travel in a reminder


@pytest.fixture
def assigned(app):
    """A couple in Berlin with a weekly follow-up whose first time is 30 minutes from now.

    Assigned "two days ago", so its hour-before and day-before reminders are both due now.
    """
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    due = (now + timedelta(minutes=30)).astimezone(ZoneInfo("Europe/Berlin")).replace(tzinfo=None)
    with app.app_context():
        counselor = make_counselor()
        couple = make_couple(counselor)
        make_followup(counselor, couple, due, now=now - timedelta(days=2), note=NOTE)
    return {"couple": couple, "now": now, "due": due}


def outcomes(app) -> dict[str | None, int]:
    with app.app_context():
        rows = db.session.execute(select(FollowupReminder.outcome, func.count()).group_by(FollowupReminder.outcome))
        return {outcome: number for outcome, number in rows}


def test_each_due_reminder_is_sent_once_and_a_second_pass_sends_nothing(app, assigned):
    with app.app_context():
        first = reminders.send_due_reminders(smtp=SmtpSettings())
        second = reminders.send_due_reminders(smtp=SmtpSettings())

    assert (first.claimed, first.sent) == (4, 4)  # two partners, an hour and a day before, for the first time only
    assert second.claimed == 0
    assert outcomes(app) == {"sent": 4, None: 12}


def test_a_reminder_whose_moment_has_passed_is_closed_without_being_sent(app, assigned, smtp_server):
    inbox, smtp = smtp_server
    with app.app_context():
        report = reminders.send_due_reminders(now=assigned["now"] + timedelta(hours=1), smtp=smtp)

    assert report.stale == 4 and report.sent == 0
    assert inbox.messages == []


def test_the_reminder_email_reaches_a_real_smtp_server_with_only_the_name_time_and_link(app, assigned, smtp_server):
    inbox, smtp = smtp_server
    couple = assigned["couple"]
    with app.app_context():
        report = reminders.send_due_reminders(smtp=smtp)

    assert report.sent == 4 and len(inbox.messages) == 4
    assert sorted(m["To"] for m in inbox.messages) == sorted([couple.partner_a.email] * 2 + [couple.partner_b.email] * 2)
    message = inbox.messages[0]
    body = message.get_content()
    assert message["Subject"] == "Reminder: Short check-in"
    due = assigned["due"].replace(tzinfo=ZoneInfo("Europe/Berlin"))
    assert f"{shown_day_and_time(app, due, 'Europe/Berlin')} (Europe/Berlin)" in body
    assert f"{app.config['SETTINGS'].public_url}/partner/follow-ups" in body
    assert NOTE not in body and "sister" not in message.as_string()
    assert [line for line in body.splitlines() if line] == [
        line for line in body.splitlines() if line and ("Short check-in" in line or "http" in line or "e-mails off" in line)
    ]


def test_a_partner_who_turned_email_off_gets_none_but_is_still_reminded_in_app(app, assigned, smtp_server):
    inbox, smtp = smtp_server
    couple = assigned["couple"]
    login(client := app.test_client(), couple.partner_a.email)
    post_form(client, "/partner/reminders", {"offset": ["60", "1440"], "timezone": ""})
    with app.app_context():
        report = reminders.send_due_reminders(smtp=smtp)

    assert report.sent == 4
    assert [m["To"] for m in inbox.messages] == [couple.partner_b.email] * 2


def test_an_online_partner_gets_the_reminder_over_socketio(app, assigned):
    couple = assigned["couple"]
    login(web := app.test_client(), couple.partner_a.email)
    socket = socketio.test_client(app, namespace=NAMESPACE, flask_test_client=web)
    assert socket.is_connected(NAMESPACE)
    socket.get_received(NAMESPACE)

    with app.app_context():
        reminders.send_due_reminders(smtp=SmtpSettings())
    received = [packet for packet in socket.get_received(NAMESPACE) if packet["name"] == "reminder"]

    assert len(received) == 2  # partner A's two reminders; partner B's went to B's room only
    payload = received[0]["args"][0]
    assert set(payload) == {"title", "due_at", "local_time", "url"}
    assert payload["title"] == "Short check-in" and NOTE not in str(payload)
    socket.disconnect(NAMESPACE)


def test_the_send_reminders_command_sends_what_is_due(app, assigned, runner):
    result = runner.invoke(args=["send-reminders"])

    assert result.exit_code == 0, result.output
    assert "4 claimed, 4 sent" in result.output
    assert outcomes(app)["sent"] == 4


def test_the_server_sends_reminders_by_itself_in_the_background(app, assigned, smtp_server):
    inbox, smtp = smtp_server
    app.config["SMTP"] = smtp
    app.config["SETTINGS"] = replace(app.config["SETTINGS"], reminder_interval_seconds=0.2)
    stop = threading.Event()
    task = reminders.start_reminder_task(app, stop)
    try:
        inbox.wait_for(4, seconds=15)
    finally:
        stop.set()
        task.join(5)

    assert len(inbox.messages) == 4
    assert outcomes(app)["sent"] == 4


def add_due_reminders(app, occurrence_id: int, user_id: int, count: int, now: datetime) -> None:
    """Many due reminders at once (one per extra offset), to measure a pass."""
    with app.app_context():
        db.session.execute(insert(FollowupReminder), [
            {"occurrence_id": occurrence_id, "user_id": user_id, "offset_minutes": 10_000 + n,
             "send_at": now - timedelta(minutes=1)} for n in range(count)])
        db.session.commit()


def test_one_pass_hands_over_ten_thousand_due_reminders(app, assigned):
    with app.app_context():
        occurrence_id = db.session.scalar(select(func.min(FollowupOccurrence.id)))
    add_due_reminders(app, occurrence_id, assigned["couple"].partner_a.id, 10_000, assigned["now"])

    # Its speed is measured in bench/followups.py: tests never assert wall-clock time.
    with app.app_context():
        report = reminders.send_due_reminders(smtp=SmtpSettings())

    assert report.sent == 10_004
