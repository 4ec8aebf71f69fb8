"""Sending follow-up reminders, each exactly once, however many senders run at the same moment.

A pass claims due reminders in batches with one conditional UPDATE: it sets ``claimed_at``
only where it is still NULL, so two senders can never both take the same row (SQLite runs
one writer at a time; PostgreSQL re-checks the condition on a row another transaction just
changed, and ``FOR UPDATE SKIP LOCKED`` in the inner SELECT makes the senders pass over
each other's rows instead of waiting). The claim commits before anything is sent; then
the reminder is delivered in-app (a Socket.IO emit to the user's login room, carried by the
Redis queue to whichever process holds their socket) and by e-mail if SMTP is set and
the user wants it, and ``sent_at``/``outcome`` are written.

A sender that dies between its claim and its delivery leaves the reminder claimed and
unsent: it is never sent twice, at the price of possibly never (logged, visible in the
table). A reminder whose occurrence has already begun, been started or been cancelled is
closed as ``stale`` without a word to anyone.

What a reminder says, in the partner's own language: the exercise's name, the time in the
partner's zone and a link. Never a note, an answer or anything else from a session.
"""

from __future__ import annotations

import logging
import os
import smtplib
import socket
import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import click
from flask import Flask, current_app, url_for
from flask.cli import with_appcontext
from babel.dates import format_date, format_time, get_datetime_format
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from sqlalchemy import select, update

from ..config import SmtpSettings
from ..i18n import DEFAULT_LANGUAGE
from ..domain.followups import zone_named
from ..extensions import db, socketio
from ..models import (Couple, Followup, FollowupOccurrence, FollowupReminder, LiveSession, ReminderPreference, User, as_utc,
                      utcnow)
from ..realtime import publisher
from . import followups

log = logging.getLogger(__name__)

BATCH = 500
_REMINDERS = FollowupReminder.__table__


@dataclass(frozen=True)
class PassReport:
    """What one sender pass did."""

    claimed: int = 0
    sent: int = 0
    stale: int = 0
    failed: int = 0


@dataclass(frozen=True)
class Delivery:
    """One claimed reminder with what sending it needs; nothing private."""

    reminder_id: int
    user_id: int
    email: str
    title: str
    due_at: datetime
    zone: str
    email_enabled: bool
    live: bool
    language: str = DEFAULT_LANGUAGE
    """The recipient's: the reminder, in-app and by e-mail, is written in it."""
    plan_id: str = ""
    counselor_id: int = 0


# -- one pass ---------------------------------------------------------------------------------


def worker_name() -> str:
    """Who claimed a reminder: host and process, for the record."""
    return f"{socket.gethostname()}:{os.getpid()}"[:64]


def send_due_reminders(now: datetime | None = None, batch: int = BATCH, smtp: SmtpSettings | None = None) -> PassReport:
    """Claim and deliver every reminder due at ``now``, a batch at a time, until none is left."""
    now = now or utcnow()
    smtp = smtp or smtp_settings()
    totals = PassReport()
    while claimed := claim(now, batch):
        deliveries = deliveries_for(claimed)
        outcomes = deliver(deliveries, now, smtp)
        record(outcomes, utcnow())
        totals = PassReport(
            claimed=totals.claimed + len(claimed),
            sent=totals.sent + sum(1 for o in outcomes.values() if o == "sent"),
            stale=totals.stale + sum(1 for o in outcomes.values() if o == "stale"),
            failed=totals.failed + sum(1 for o in outcomes.values() if o == "failed"),
        )
    return totals


def claim(now: datetime, limit: int = BATCH) -> list[int]:
    """Take up to ``limit`` due reminders for this sender and commit; their ids.

    The outer ``claimed_at IS NULL`` is what makes the claim exclusive; ``SKIP LOCKED``
    (PostgreSQL only; SQLite ignores it) just keeps racing senders from queueing up.
    """
    candidates = (
        select(_REMINDERS.c.id)
        .where(_REMINDERS.c.claimed_at.is_(None), _REMINDERS.c.send_at <= now)
        .order_by(_REMINDERS.c.send_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    statement = (
        update(_REMINDERS)
        .where(_REMINDERS.c.id.in_(candidates.scalar_subquery()), _REMINDERS.c.claimed_at.is_(None))
        .values(claimed_at=now, claimed_by=worker_name())
        .returning(_REMINDERS.c.id)
    )
    ids = list(db.session.execute(statement).scalars())
    db.session.commit()
    return ids


def deliveries_for(reminder_ids: list[int]) -> list[Delivery]:
    """What sending these reminders needs, in one query."""
    rows = db.session.execute(
        select(FollowupReminder.id, User.id, User.email, Followup.title, FollowupOccurrence.due_at,
               ReminderPreference.timezone, Couple.timezone, ReminderPreference.email_enabled,
               Followup.cancelled_at, FollowupOccurrence.cancelled_at, FollowupOccurrence.started_at, LiveSession.mode,
               User.language, Followup.plan_id, Couple.counselor_id)
        .join(FollowupOccurrence, FollowupOccurrence.id == FollowupReminder.occurrence_id)
        .outerjoin(LiveSession, LiveSession.id == FollowupOccurrence.live_session_id)
        .join(Followup, Followup.id == FollowupOccurrence.followup_id)
        .join(Couple, Couple.id == Followup.couple_id)
        .join(User, User.id == FollowupReminder.user_id)
        .outerjoin(ReminderPreference, ReminderPreference.user_id == User.id)
        .where(FollowupReminder.id.in_(reminder_ids))
    )
    return [
        Delivery(reminder_id=rid, user_id=uid, email=email, title=title, due_at=as_utc(due_at),
                 zone=own_zone or couple_zone, email_enabled=wants_email is not False,
                 # Started apart, the partner who has not opened it yet is still reminded.
                 live=not (followup_cancelled or occurrence_cancelled or (started and run_mode != "apart")),
                 language=language or DEFAULT_LANGUAGE, plan_id=plan_id, counselor_id=counselor_id)
        for (rid, uid, email, title, due_at, own_zone, couple_zone, wants_email,
             followup_cancelled, occurrence_cancelled, started, run_mode, language, plan_id, counselor_id) in rows
    ]


def deliver(deliveries: list[Delivery], now: datetime, smtp: SmtpSettings) -> dict[int, str]:
    """Send each delivery in-app and by e-mail; its outcome by reminder id."""
    outcomes: dict[int, str] = {}
    current = [d for d in deliveries if d.live and d.due_at > now]
    outcomes.update({d.reminder_id: "stale" for d in deliveries if d not in current})
    link = agenda_link()
    with _mailer(smtp if any(d.email_enabled for d in current) else SmtpSettings()) as mailer:
        for delivery in in_own_words(current):
            with force_locale(delivery.language):
                when = local_time(delivery)
                publisher.send_reminder(delivery.user_id, {"title": delivery.title, "due_at": delivery.due_at.isoformat(),
                                                           "local_time": when, "url": link})
                wants_mail = delivery.email_enabled and smtp.enabled
                ok = not wants_mail or (mailer is not None and _mail(mailer, smtp, delivery, when, link))
            outcomes[delivery.reminder_id] = "sent" if ok else "failed"
    return outcomes


def in_own_words(deliveries: list[Delivery]) -> list[Delivery]:
    """The deliveries with the exercise's name in each recipient's language (one lookup per counselor
    and language, see :func:`couples.services.followups.titles_in`)."""
    wanted: dict[tuple[int, str], set[str]] = defaultdict(set)
    for delivery in deliveries:
        wanted[delivery.counselor_id, delivery.language].add(delivery.plan_id)
    titles = {key: followups.titles_in(key[0], plan_ids, key[1]) for key, plan_ids in wanted.items()}
    return [replace(delivery, title=titles[delivery.counselor_id, delivery.language].get(delivery.plan_id, delivery.title))
            for delivery in deliveries]


def record(outcomes: dict[int, str], at: datetime) -> None:
    """Write what happened to each claimed reminder."""
    for outcome in set(outcomes.values()):
        ids = [rid for rid, value in outcomes.items() if value == outcome]
        db.session.execute(update(_REMINDERS).where(_REMINDERS.c.id.in_(ids)).values(sent_at=at, outcome=outcome))
    db.session.commit()


# -- e-mail -----------------------------------------------------------------------------------


def smtp_settings() -> SmtpSettings:
    """The app's SMTP settings (``SMTP`` in the app config overrides the environment's)."""
    return current_app.config.get("SMTP") or current_app.config["SETTINGS"].smtp


def local_time(delivery: Delivery) -> str:
    """The occurrence's time as the partner reads it, in their zone and the locale in force."""
    return f"{day_and_time(delivery.due_at, delivery.zone)} ({delivery.zone.replace('_', ' ')})"


def day_and_time(moment: datetime, timezone: str) -> str:
    """``moment`` (naive means UTC) with its weekday, in ``timezone``, written the way of the locale in
    force: "Sunday, December 6, 2026, 7:00 PM", "domingo, 6 de diciembre de 2026, 19:00".

    Follow-ups and sessions are planned by the day of the week, so their pages and reminders name it."""
    zone = zone_named(timezone) or UTC
    local = as_utc(moment).astimezone(zone)
    locale = get_locale() or DEFAULT_LANGUAGE
    joined = get_datetime_format("medium", locale=locale).replace("'", "")
    return joined.format(format_time(local, "short", tzinfo=zone, locale=locale), format_date(local, "full", locale=locale))


def agenda_link() -> str:
    """The absolute address of the partners' follow-ups page."""
    with current_app.test_request_context(base_url=current_app.config["SETTINGS"].public_url):
        return url_for("followups.partner_agenda", _external=True)


@contextmanager
def _mailer(smtp: SmtpSettings) -> Iterator[smtplib.SMTP | None]:
    """One SMTP connection for a batch, or None when e-mail is off or the server is unreachable."""
    if not smtp.enabled:
        yield None
        return
    try:
        connection = smtplib.SMTP(smtp.host, smtp.port, timeout=15)
        if smtp.starttls:
            connection.starttls()
        if smtp.username:
            connection.login(smtp.username, smtp.password)
    except (OSError, smtplib.SMTPException) as error:
        log.warning("reminder e-mail is off for this batch: %s", error)
        yield None
        return
    try:
        yield connection
    finally:
        try:
            connection.quit()
        except (OSError, smtplib.SMTPException):
            pass


def reminder_message(smtp: SmtpSettings, delivery: Delivery, when: str, link: str) -> EmailMessage:
    """The e-mail: the exercise's name, the time and a link, nothing else."""
    message = EmailMessage()
    message["From"] = smtp.sender
    message["To"] = delivery.email
    message["Subject"] = _("Reminder: %(title)s", title=delivery.title)
    message.set_content("\n\n".join([
        _("A gentle reminder from your counselor: %(title)s is planned for %(when)s.", title=delivery.title, when=when),
        _("See it and start it here: %(link)s", link=link),
        _("You can change when you are reminded, or turn these e-mails off, on that page."),
    ]) + "\n")
    return message


def _mail(mailer: smtplib.SMTP, smtp: SmtpSettings, delivery: Delivery, when: str, link: str) -> bool:
    try:
        mailer.send_message(reminder_message(smtp, delivery, when, link))
    except (OSError, smtplib.SMTPException) as error:
        log.warning("reminder %s: e-mail not sent: %s", delivery.reminder_id, error)
        return False
    return True


# -- running it -------------------------------------------------------------------------------


@click.command("send-reminders")
@with_appcontext
def send_reminders_command() -> None:
    """Send the follow-up reminders that are due (for cron; the server also does it by itself)."""
    report = send_due_reminders()
    click.echo(f"Reminders: {report.claimed} claimed, {report.sent} sent, {report.stale} stale, {report.failed} failed.")


def start_reminder_task(app: Flask, stop: threading.Event | None = None) -> Any:
    """Run a sender pass every ``COUPLES_REMINDER_INTERVAL`` seconds in this server process.

    Call once from ``wsgi.py`` after the app is built; every process may run one (claims are
    exclusive). ``stop`` ends the loop after the current pass (tests use it).
    """
    interval = app.config["SETTINGS"].reminder_interval_seconds
    return socketio.start_background_task(_reminder_loop, app, interval, stop or threading.Event())


def _reminder_loop(app: Flask, interval: float, stop: threading.Event) -> None:
    while not stop.is_set():
        socketio.sleep(interval)
        with app.app_context():
            try:
                report = send_due_reminders()
                if report.claimed:
                    log.info("reminders: %s", report)
            except Exception:  # noqa: BLE001 - one failed pass must not stop the next ones
                log.exception("reminder pass failed")
                db.session.rollback()
            finally:
                db.session.remove()
