"""Follow-ups: exercises a counselor assigns between sessions, once or on a recurrence.

An assignment is written in the couple's local wall-clock time (a naive date-time plus an
IANA zone name) because that is how people think of homework: "every Sunday at 19:00".
Occurrences are expanded from an RFC 5545 rule in that wall-clock time and only then
turned into UTC instants, so a weekly 19:00 stays at 19:00 local across a daylight-saving
change (its UTC instant moves instead). A wall-clock time that does not exist on one day
(inside a spring-forward gap) takes the offset in force before the gap, as ``zoneinfo`` does.

Pure: the caller passes ``now``; no database, clock or framework here.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rrule, rrulestr

from .validate import is_whole_number

Mode = Literal["together", "apart", "either"]
Status = Literal["upcoming", "due", "overdue", "done", "not_finished", "cancelled"]

MODES: tuple[Mode, ...] = ("together", "apart", "either")
MAX_OCCURRENCES = 60
"""More than a year of weekly follow-ups; a rule asking for more is refused, not cut short."""
FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
"""Homework repeats at most daily; hourly and finer rules are refused."""
NOTE_MAX = 1000
RULE_MAX = 200
MAX_INTERVAL = 52
HORIZON = timedelta(days=2 * 366)
"""The last occurrence falls at most this long after the first."""
RULE_PARTS = ("FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "BYMONTHDAY", "WKST")
DUE_WINDOW = timedelta(hours=24)
"""How long before its time an occurrence counts as due rather than upcoming."""


@dataclass(frozen=True)
class Assignment:
    """What the counselor asks for: one plan, when (local wall-clock time in ``zone``), how often, how."""

    plan_id: str
    title: str
    due_local: datetime
    zone: str
    recurrence: str | None = None
    mode: Mode = "together"
    note: str = ""


@dataclass(frozen=True)
class Occurrence:
    """One time a follow-up falls due: its position in the series, local wall-clock time and UTC instant."""

    index: int
    local: datetime
    due_at: datetime


@dataclass(frozen=True)
class FollowupRejection:
    """An assignment refused; nothing changes.

    ``code`` is stable; ``message`` is English, for developers and logs. The domain stays free of
    Flask-Babel: people read the translation of ``code`` (``couples.services.followups.REFUSALS``),
    so a new code needs a message there too (a test checks every code has one)."""

    code: str
    message: str


REJECTION_CODES = (
    "due_in_past", "unknown_time_zone", "bad_recurrence", "unbounded_recurrence", "unsupported_frequency",
    "no_occurrences", "too_many_occurrences", "too_far_ahead", "due_too_far",
    "unknown_mode", "note_too_long",
)


def zone_named(name: str) -> ZoneInfo | None:
    """The IANA zone called ``name``, or None if there is no such zone."""
    if not name or name != name.strip() or ".." in name or name.startswith("/"):
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def to_utc(local: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant of a naive wall-clock time in ``zone``."""
    return local.replace(tzinfo=zone).astimezone(UTC)


def check(assignment: Assignment, now: datetime) -> FollowupRejection | None:
    """None if the assignment may be saved at ``now`` (aware), else why not."""
    if assignment.mode not in MODES:
        return FollowupRejection("unknown_mode", "Choose together, apart or either.")
    if len(assignment.note) > NOTE_MAX:
        return FollowupRejection("note_too_long", f"Keep the note under {NOTE_MAX} characters.")
    zone = zone_named(assignment.zone)
    if zone is None:
        return FollowupRejection("unknown_time_zone", f"{assignment.zone!r} is not a known time zone.")
    # Far-off dates are refused before any arithmetic: near year 1 or 9999 it would overflow.
    start, naive_now = assignment.due_local.replace(tzinfo=None), now.astimezone(UTC).replace(tzinfo=None)
    if start < naive_now - timedelta(days=2):
        return FollowupRejection("due_in_past", "Choose a time that is still ahead.")
    if start > naive_now + HORIZON:
        return FollowupRejection("due_too_far", "Choose a first time within the next two years.")
    expanded = _expand(assignment, zone)
    if isinstance(expanded, FollowupRejection):
        return expanded
    if expanded[0].due_at <= now:
        return FollowupRejection("due_in_past", "Choose a time that is still ahead.")
    return None


def occurrences(assignment: Assignment) -> tuple[Occurrence, ...]:
    """Every occurrence of a valid assignment (see :func:`check`), in time order."""
    zone = zone_named(assignment.zone)
    if zone is None:
        raise ValueError(f"unknown time zone {assignment.zone!r}")
    expanded = _expand(assignment, zone)
    if isinstance(expanded, FollowupRejection):
        raise ValueError(expanded.message)
    return expanded


def _expand(assignment: Assignment, zone: ZoneInfo) -> tuple[Occurrence, ...] | FollowupRejection:
    start = assignment.due_local.replace(tzinfo=None, second=0, microsecond=0)
    if not assignment.recurrence:
        return (Occurrence(0, start, to_utc(start, zone)),)
    rule = parse_rule(assignment.recurrence, start)
    if isinstance(rule, FollowupRejection):
        return rule
    locals_ = list(itertools.islice(rule, MAX_OCCURRENCES + 1))
    if not locals_:
        return FollowupRejection("no_occurrences", "That repetition never happens. Check its days and end.")
    if len(locals_) > MAX_OCCURRENCES:
        return FollowupRejection(
            "too_many_occurrences", f"That repeats more than {MAX_OCCURRENCES} times. Choose fewer.")
    if locals_[-1] > start + HORIZON:
        return FollowupRejection("too_far_ahead", "That repetition runs too far ahead. End it sooner.")
    return tuple(Occurrence(index, local, to_utc(local, zone)) for index, local in enumerate(locals_))


def parse_rule(text: str, start: datetime) -> rrule | FollowupRejection:
    """An RFC 5545 RRULE value (``FREQ=WEEKLY;COUNT=4``, ``RRULE:`` prefix allowed) from ``start``.

    The rule must end (COUNT or UNTIL, not both), repeat at most daily and use only the
    parts in :data:`RULE_PARTS`; UNTIL is a local wall-clock time like the start (no ``Z``).
    Those parts always meet a matching day within a year or so, which keeps expansion quick:
    dateutil searches up to the year 9999 for a rule that can never happen (say, 30 February).
    """
    body = text.strip().upper().removeprefix("RRULE:")
    if not body or len(body) > RULE_MAX or not body.isprintable():
        return _unreadable()
    parts = dict(part.partition("=")[::2] for part in body.split(";") if part)
    if not set(parts) <= set(RULE_PARTS):
        return FollowupRejection("bad_recurrence", "Repeat by day of the week or of the month only.")
    if parts.get("FREQ") not in FREQUENCIES:
        return FollowupRejection("unsupported_frequency", "Repeat daily, weekly, monthly or yearly.")
    if ("COUNT" in parts) == ("UNTIL" in parts):
        return FollowupRejection("unbounded_recurrence", "Say when the repetition ends: a number of times or a last day.")
    if not is_whole_number(parts.get("INTERVAL", "1")) or not 1 <= int(parts.get("INTERVAL", "1")) <= MAX_INTERVAL:
        return _unreadable()
    try:
        rule = rrulestr(body, dtstart=start)
    except (ValueError, TypeError, OverflowError):
        return _unreadable()
    return rule if isinstance(rule, rrule) else _unreadable()


def _unreadable() -> FollowupRejection:
    return FollowupRejection("bad_recurrence", "That repetition could not be read.")


def status_at(due_at: datetime, now: datetime, *, done: bool = False, cancelled: bool = False,
              unfinished: bool = False, window: timedelta = DUE_WINDOW) -> Status:
    """How an occurrence due at ``due_at`` stands at ``now`` (both aware).

    Cancelled wins over done (the counselor withdrew it); done wins over any time; a session
    started for it and closed unfinished (abandoned) makes it ``not_finished``; otherwise it is
    upcoming until ``window`` before its time, due until its time, then overdue.
    """
    if cancelled:
        return "cancelled"
    if done:
        return "done"
    if unfinished:
        return "not_finished"
    if now < due_at - window:
        return "upcoming"
    if now < due_at:
        return "due"
    return "overdue"


def simple_rule(frequency: str, count: int) -> str:
    """The RRULE for ``count`` occurrences, one per day, week, month or year (what the form offers)."""
    return f"FREQ={frequency.upper()};COUNT={count}"
