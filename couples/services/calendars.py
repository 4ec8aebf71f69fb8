"""iCalendar files: a user's private feed and one follow-up's ``.ics``, built with ``icalendar``.

Each occurrence is its own event, in the couple's time zone (with the VTIMEZONE that
defines it), so calendar apps show it at the right instant on both sides of a
daylight-saving change, and a single occurrence can be cancelled. An event carries the
exercise's name and a link only: a calendar is often synced to a third party, so the
counselor's note never goes into it. A feed is in its owner's language (a calendar app fetching it
says nothing about that); a downloaded file in the language of the person downloading it.

Feeds are polled by calendar apps and cost about a millisecond of CPU per event to build,
so each process keeps a built feed for up to :data:`FEED_CACHE_FOR`, keyed by what would
change it (the follow-ups' and joint sessions' newest change and number): any change to
them is in the next answer at once; only the window of the last month moves that late.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import datetime, timedelta
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import Calendar, Event
from flask import current_app
from sqlalchemy import func, select

from ..domain.followups import zone_named
from ..extensions import db
from ..i18n import DEFAULT_LANGUAGE, shown_language
from ..models import Couple, Followup, FollowupOccurrence, JointSession, User, as_utc
from . import followups, joint_sessions

EVENT_LENGTH = timedelta(minutes=30)
SESSION_LENGTH = timedelta(minutes=60)
FEED_PAST = timedelta(days=30)
PRODUCT = "-//couples//follow-ups//EN"
FEED_CACHE_FOR = timedelta(minutes=5)
FEED_CACHE_SIZE = 1024


def feed(partner: User, couple: Couple, now: datetime, link: str) -> bytes:
    """The couple's follow-ups and joint sessions from a month back onwards, for a partner's private
    feed, in the partner's language."""
    with force_locale(partner.language or DEFAULT_LANGUAGE):
        return _feed([couple.id], couple.counselor_id, now, link)


def counselor_feed(counselor: User, now: datetime, link: str) -> bytes:
    """The follow-ups and joint sessions of all the counselor's couples, for their private feed, in
    the counselor's language."""
    couple_ids = list(db.session.scalars(select(Couple.id).where(Couple.counselor_id == counselor.id)))
    with force_locale(counselor.language or DEFAULT_LANGUAGE):
        return _feed(couple_ids, counselor.id, now, link)


def _feed(couple_ids: list[int], counselor_id: int, now: datetime, link: str) -> bytes:
    """The built feed, from this process's cache while nothing in it changed (one query), else built."""
    name, language = _("Follow-ups"), shown_language()
    key = (tuple(couple_ids), link, language, _change_marker(couple_ids))
    cache = _cache()
    found = cache.get(key, now)
    if found is None:
        found = _built_feed(couple_ids, counselor_id, now, link, name)
        cache.put(key, now + FEED_CACHE_FOR, found)
    return found


def _change_marker(couple_ids: list[int]) -> tuple[Any, ...]:
    """The newest change and the number of the couples' follow-ups and joint sessions (one query).
    Every change to a follow-up or its occurrences, and to a joint session, moves ``updated_at``."""
    def newest_and_count(model: Any) -> tuple[Any, Any]:
        where = model.couple_id.in_(couple_ids)
        return (select(func.max(model.updated_at)).where(where).scalar_subquery(),
                select(func.count()).select_from(model).where(where).scalar_subquery())
    return tuple(db.session.execute(select(*newest_and_count(Followup), *newest_and_count(JointSession))).one())


class _FeedCache:
    """A bounded map of feed key -> (expiry, bytes), least recently stored forgotten first."""

    def __init__(self) -> None:
        self.entries: OrderedDict[tuple[Any, ...], tuple[datetime, bytes]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple[Any, ...], now: datetime) -> bytes | None:
        with self.lock:
            entry = self.entries.get(key)
        return entry[1] if entry is not None and entry[0] > now else None

    def put(self, key: tuple[Any, ...], expires: datetime, body: bytes) -> None:
        with self.lock:
            self.entries[key] = (expires, body)
            self.entries.move_to_end(key)
            while len(self.entries) > FEED_CACHE_SIZE:
                self.entries.popitem(last=False)


def _cache() -> _FeedCache:
    return current_app.extensions.setdefault("couples.feeds", _FeedCache())


def _built_feed(couple_ids: list[int], counselor_id: int, now: datetime, link: str, name: str) -> bytes:
    calendar = _calendar(name)
    found = followups.occurrences_for_calendar(couple_ids, now - FEED_PAST)
    titles = followups.titled(counselor_id, {followup for _occurrence, followup in found})
    for occurrence, followup in found:
        calendar.add_component(_event(occurrence, followup, titles[followup.id], now, link))
    rows = joint_sessions.for_calendar(couple_ids, now - FEED_PAST)
    titles = followups.titled(counselor_id, rows)
    for row in rows:
        calendar.add_component(_joint_event(row, titles[row.id], now, link))
    calendar.add_missing_timezones()
    return calendar.to_ical()


def joint_session_file(row: JointSession, now: datetime, link: str) -> bytes:
    """One joint session as a ``.ics`` file to download, in the reader's language."""
    title = followups.titled(row.counselor_id, [row])[row.id]
    calendar = _calendar(title)
    calendar.add_component(_joint_event(row, title, now, link))
    calendar.add_missing_timezones()
    return calendar.to_ical()


def followup_file(followup: Followup, now: datetime, link: str) -> bytes:
    """Every occurrence of one follow-up, as a ``.ics`` file to download, in the reader's language."""
    title = followups.titled(followup.counselor_id, [followup])[followup.id]
    calendar = _calendar(title)
    for occurrence in followups.occurrence_list(followup):
        calendar.add_component(_event(occurrence, followup, title, now, link))
    calendar.add_missing_timezones()
    return calendar.to_ical()


def _calendar(name: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODUCT)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    return calendar


def _event(occurrence: FollowupOccurrence, followup: Followup, title: str, now: datetime, link: str) -> Event:
    return _timed_event(f"followup-{followup.id}-{occurrence.id}@couples", title, as_utc(occurrence.due_at),
                        followup.timezone, cancelled=followup.cancelled_at is not None, now=now, link=link)


def _joint_event(row: JointSession, title: str, now: datetime, link: str) -> Event:
    return _timed_event(f"joint-session-{row.id}@couples", _("Session: %(plan)s", plan=title),
                        as_utc(row.starts_at), row.timezone, cancelled=row.cancelled_at is not None, now=now, link=link,
                        length=SESSION_LENGTH)


def _timed_event(uid: str, title: str, start: datetime, zone_name: str, *, cancelled: bool, now: datetime, link: str,
                 length: timedelta = EVENT_LENGTH) -> Event:
    """One event at ``start`` shown in ``zone_name`` (with its VTIMEZONE), holding a title and a link only."""
    zone = zone_named(zone_name)
    start = start.astimezone(zone) if zone else start
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", now)
    event.add("summary", title)
    event.add("dtstart", start)
    event.add("dtend", start + length)
    event.add("url", link)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    return event
