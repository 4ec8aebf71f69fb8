"""iCalendar files: a user's private feed and one follow-up's ``.ics``, built with ``icalendar``.

Each occurrence is its own event, in the couple's time zone (with the VTIMEZONE that
defines it), so calendar apps show it at the right instant on both sides of a
daylight-saving change, and a single occurrence can be cancelled. An event carries the
exercise's name and a link only: a calendar is often synced to a third party, so the
counselor's note never goes into it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _
from icalendar import Calendar, Event

from ..domain.followups import zone_named
from ..models import Couple, Followup, FollowupOccurrence, as_utc
from . import followups

EVENT_LENGTH = timedelta(minutes=30)
FEED_PAST = timedelta(days=30)
PRODUCT = "-//couples//follow-ups//EN"


def feed(couple: Couple, now: datetime, link: str) -> bytes:
    """The couple's follow-ups from a month back onwards, for a partner's private feed."""
    calendar = _calendar(_("Follow-ups"))
    for occurrence, followup in followups.occurrences_for_calendar(couple, now - FEED_PAST):
        calendar.add_component(_event(occurrence, followup, now, link))
    calendar.add_missing_timezones()
    return calendar.to_ical()


def followup_file(followup: Followup, now: datetime, link: str) -> bytes:
    """Every occurrence of one follow-up, as a ``.ics`` file to download."""
    calendar = _calendar(followup.title)
    for occurrence in followups.occurrence_list(followup):
        calendar.add_component(_event(occurrence, followup, now, link))
    calendar.add_missing_timezones()
    return calendar.to_ical()


def _calendar(name: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODUCT)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    return calendar


def _event(occurrence: FollowupOccurrence, followup: Followup, now: datetime, link: str) -> Event:
    zone = zone_named(followup.timezone)
    start = as_utc(occurrence.due_at)
    start = start.astimezone(zone) if zone else start
    event = Event()
    event.add("uid", f"followup-{followup.id}-{occurrence.id}@couples")
    event.add("dtstamp", now)
    event.add("summary", followup.title)
    event.add("dtstart", start)
    event.add("dtend", start + EVENT_LENGTH)
    event.add("url", link)
    event.add("status", "CANCELLED" if followup.cancelled_at else "CONFIRMED")
    return event
