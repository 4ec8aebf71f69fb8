"""Follow-ups: the counselor assigns, changes and cancels them; partners see them and do them together.

Every change follows the house order: load with authorisation, let the domain
(:mod:`couples.domain.followups`) decide, persist, commit. A refusal raises
:class:`FollowupError` and changes nothing. Anyone who is not the couple's counselor
(or, for the partner functions, one of its partners) gets ``not_found``, so the answer
never reveals that a follow-up exists.

Occurrences are kept as rows so each can be linked to its live session and reminded of;
a change keeps the occurrences whose time stays, drops the ones that go (marking them
cancelled) and adds the new ones. Reminders are one row per occurrence, partner and
offset (see :mod:`couples.services.reminders` for sending them).

Apart mode is not built yet: such assignments are refused.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import delete, insert, or_, select, update

from ..domain.followups import Assignment, Mode, Status, check, occurrences, status_at, zone_named
from ..extensions import db
from ..models import (CalendarFeed, Couple, Followup, FollowupOccurrence, FollowupReminder, LiveSession,
                      ReminderPreference, User, as_utc, audit, hash_token, utcnow)
from . import live
from .couples import couple_for_counselor
from .plans import plan_by_id, plans_for_couple

OFFSET_CHOICES = (10, 60, 180, 1440, 2880)
"""Minutes before an occurrence a partner may choose to be reminded."""
DEFAULT_OFFSETS = (1440, 60)
"""A day before and an hour before, until a partner chooses otherwise."""
AVAILABLE_MODES: tuple[Mode, ...] = ("together", "either")
AGENDA_PAST = timedelta(days=14)
"""How far back the partners' list reaches (overdue and recently done items)."""
AGENDA_LIMIT = 60


class FollowupError(Exception):
    """A request the service refuses; ``code`` names why, ``message`` is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _not_found() -> FollowupError:
    return FollowupError("not_found", _("There is no such follow-up, or it is not yours."))


@dataclass(frozen=True)
class Request:
    """What the counselor's form asks for; the couple's time zone is added by the service."""

    plan_id: str
    due_local: datetime
    recurrence: str | None
    mode: str
    note: str


@dataclass(frozen=True)
class AgendaItem:
    """One occurrence as a partner sees it, in their own time zone."""

    occurrence_id: int
    followup_id: int
    title: str
    note: str
    mode: str
    due_at: datetime
    local: datetime
    status: Status
    live_session_id: int | None
    session_open: bool


@dataclass(frozen=True)
class Preferences:
    """How a user wants to be reminded; ``timezone`` None means the couple's."""

    offsets: tuple[int, ...]
    email_enabled: bool
    timezone: str | None


# -- the counselor's side ---------------------------------------------------------------------


def followups_of(couple: Couple) -> list[Followup]:
    """The couple's follow-ups, newest first (the counselor's list)."""
    return list(db.session.scalars(
        select(Followup).where(Followup.couple_id == couple.id).order_by(Followup.id.desc())))


def assign(counselor: User, couple_id: int, request: Request, now: datetime) -> Followup:
    """Assign a follow-up to the counselor's own couple."""
    couple = couple_for_counselor(counselor, couple_id)
    if couple is None:
        raise _not_found()
    title = _checked(couple, request, now)
    row = Followup(couple_id=couple.id, counselor_id=counselor.id, plan_id=request.plan_id, title=title,
                   due_local=request.due_local, timezone=couple.timezone, recurrence=request.recurrence or None,
                   mode=request.mode, note=request.note, created_at=now, updated_at=now)
    db.session.add(row)
    db.session.flush()
    _sync_occurrences(row, couple, now)
    audit(counselor, "followup.assigned", f"followup:{row.id}", request.plan_id)
    db.session.commit()
    return row


def followup_for_counselor(counselor: User, followup_id: int) -> Followup:
    """The counselor's own follow-up (of one of their couples), else ``not_found``."""
    row = db.session.get(Followup, followup_id)
    if row is None or couple_for_counselor(counselor, row.couple_id) is None:
        raise _not_found()
    return row


def change(counselor: User, followup_id: int, request: Request, now: datetime) -> Followup:
    """Change what the counselor assigned; times already past stay as they were."""
    row = followup_for_counselor(counselor, followup_id)
    if row.cancelled_at is not None:
        raise FollowupError("cancelled", _("This follow-up was cancelled and can no longer be changed."))
    couple = db.session.get(Couple, row.couple_id)
    assert couple is not None
    row.title = _checked(couple, request, now)
    row.plan_id, row.due_local, row.recurrence = request.plan_id, request.due_local, request.recurrence or None
    row.mode, row.note, row.timezone, row.updated_at = request.mode, request.note, couple.timezone, now
    _sync_occurrences(row, couple, now)
    audit(counselor, "followup.changed", f"followup:{row.id}", request.plan_id)
    db.session.commit()
    return row


def cancel(counselor: User, followup_id: int, now: datetime) -> Followup:
    """Cancel a follow-up: partners see it cancelled and get no more reminders for it."""
    row = followup_for_counselor(counselor, followup_id)
    if row.cancelled_at is None:
        row.cancelled_at = row.updated_at = now
        _drop_unclaimed_reminders(select(FollowupOccurrence.id).where(FollowupOccurrence.followup_id == row.id))
        audit(counselor, "followup.cancelled", f"followup:{row.id}")
        db.session.commit()
    return row


def _checked(couple: Couple, request: Request, now: datetime) -> str:
    """The plan's title if the request may be saved, else the refusal."""
    if request.mode not in AVAILABLE_MODES:
        raise FollowupError("mode_unavailable", _("Choose together or either; doing it apart is not available yet."))
    spec = next((spec for spec in plans_for_couple(couple) if spec.id == request.plan_id), None)
    if spec is None:
        raise FollowupError("unknown_plan", _("Choose one of the plans this couple can run."))
    rejection = check(_assignment(request, couple.timezone, spec.title), now)
    if rejection is not None:
        raise FollowupError(rejection.code, rejection.message)
    return spec.title


def _assignment(request: Request, zone: str, title: str) -> Assignment:
    return Assignment(plan_id=request.plan_id, title=title, due_local=request.due_local, zone=zone,
                      recurrence=request.recurrence or None, mode=request.mode, note=request.note)  # type: ignore[arg-type]


def assignment_of(row: Followup) -> Assignment:
    """A stored follow-up as the domain's assignment."""
    return Assignment(plan_id=row.plan_id, title=row.title, due_local=row.due_local, zone=row.timezone,
                      recurrence=row.recurrence, mode=row.mode, note=row.note)  # type: ignore[arg-type]


def _sync_occurrences(row: Followup, couple: Couple, now: datetime) -> None:
    """Make the stored future occurrences match the assignment, keeping those whose time stays."""
    wanted = {occurrence.due_at: occurrence for occurrence in occurrences(assignment_of(row))}
    stored = {as_utc(o.due_at): o for o in db.session.scalars(
        select(FollowupOccurrence).where(FollowupOccurrence.followup_id == row.id))}
    dropped = [o.id for due_at, o in stored.items()
               if due_at > now and due_at not in wanted and o.started_at is None and o.cancelled_at is None]
    if dropped:
        db.session.execute(update(FollowupOccurrence).where(FollowupOccurrence.id.in_(dropped)).values(cancelled_at=now))
        _drop_unclaimed_reminders(dropped)
    for due_at in wanted.keys() & stored.keys():
        stored[due_at].cancelled_at = None
    added = [FollowupOccurrence(followup_id=row.id, due_at=due_at) for due_at in wanted.keys() - stored.keys()]
    db.session.add_all(added)
    db.session.flush()
    _schedule_reminders([*added, *(stored[d] for d in wanted.keys() & stored.keys())], _partners(couple), now)


def _partners(couple: Couple) -> list[int]:
    """The partners to remind: those who joined and have not left."""
    return [user_id for slot, user_id in (("a", couple.partner_a_id), ("b", couple.partner_b_id))
            if user_id and not couple.has_left(slot)]


def _schedule_reminders(rows: list[FollowupOccurrence], user_ids: list[int], now: datetime) -> None:
    """Add the reminders still ahead for these occurrences and users (existing ones are kept)."""
    if not rows or not user_ids:
        return
    existing = set(db.session.execute(
        select(FollowupReminder.occurrence_id, FollowupReminder.user_id, FollowupReminder.offset_minutes)
        .where(FollowupReminder.occurrence_id.in_([o.id for o in rows]), FollowupReminder.user_id.in_(user_ids))
    ))
    offsets = {user_id: preferences_for(user_id).offsets for user_id in user_ids}
    new = [
        {"occurrence_id": o.id, "user_id": user_id, "offset_minutes": offset,
         "send_at": as_utc(o.due_at) - timedelta(minutes=offset)}
        for o in rows if o.started_at is None and o.cancelled_at is None
        for user_id in user_ids for offset in offsets[user_id]
        if as_utc(o.due_at) - timedelta(minutes=offset) > now and (o.id, user_id, offset) not in existing
    ]
    if new:
        db.session.execute(insert(FollowupReminder), new)


def _drop_unclaimed_reminders(occurrence_ids) -> None:
    """Delete the reminders no sender has taken yet for these occurrences (ids or a SELECT of them)."""
    db.session.execute(delete(FollowupReminder).where(
        FollowupReminder.occurrence_id.in_(occurrence_ids), FollowupReminder.claimed_at.is_(None)))


# -- the partners' side -----------------------------------------------------------------------


def viewer_zone(user: User, couple: Couple) -> ZoneInfo:
    """The zone a user sees times in: their own setting, else the couple's."""
    return zone_named(preferences_for(user.id).timezone or couple.timezone) or ZoneInfo("UTC")


def agenda(user: User, couple: Couple, now: datetime) -> list[AgendaItem]:
    """The couple's follow-up occurrences from two weeks back onwards, in ``user``'s time zone (one query)."""
    zone = viewer_zone(user, couple)
    rows = db.session.execute(
        select(FollowupOccurrence, Followup, LiveSession.status)
        .join(Followup, Followup.id == FollowupOccurrence.followup_id)
        .outerjoin(LiveSession, LiveSession.id == FollowupOccurrence.live_session_id)
        .where(Followup.couple_id == couple.id, FollowupOccurrence.cancelled_at.is_(None),
               FollowupOccurrence.due_at >= now - AGENDA_PAST)
        .order_by(FollowupOccurrence.due_at, FollowupOccurrence.id)
        .limit(AGENDA_LIMIT)
    )
    return [_agenda_item(occurrence, followup, session_status, zone, now)
            for occurrence, followup, session_status in rows]


def _agenda_item(occurrence: FollowupOccurrence, followup: Followup, session_status: str | None, zone: ZoneInfo,
                 now: datetime) -> AgendaItem:
    due_at = as_utc(occurrence.due_at)
    return AgendaItem(
        occurrence_id=occurrence.id, followup_id=followup.id, title=followup.title, note=followup.note,
        mode=followup.mode, due_at=due_at, local=due_at.astimezone(zone),
        status=status_at(due_at, now, done=session_status == "completed", cancelled=followup.cancelled_at is not None),
        live_session_id=occurrence.live_session_id, session_open=session_status in live.OPEN_STATUSES,
    )


def start_together(user: User, couple: Couple, occurrence_id: int, now: datetime) -> LiveSession:
    """Open (or return) the live session for one occurrence, exactly like starting a plan by hand.

    Refused when the follow-up is cancelled, the occurrence's session is already finished,
    or another session is under way (a pending follow-up never takes over a workshop).
    """
    found = db.session.execute(
        select(FollowupOccurrence, Followup).join(Followup, Followup.id == FollowupOccurrence.followup_id)
        .where(FollowupOccurrence.id == occurrence_id, Followup.couple_id == couple.id)
    ).first()
    if found is None or couple.role_of(user) not in ("a", "b"):
        raise _not_found()
    occurrence, followup = found
    if followup.cancelled_at is not None or occurrence.cancelled_at is not None:
        raise FollowupError("cancelled", _("Your counselor cancelled this follow-up."))
    if occurrence.live_session_id is not None:
        session = db.session.get(LiveSession, occurrence.live_session_id)
        if session is not None and session.status in live.OPEN_STATUSES:
            return session
        raise FollowupError("already_done", _("You have already done this one together."))
    return _start_and_link(user, couple, occurrence, followup, now)


def _start_and_link(user: User, couple: Couple, occurrence: FollowupOccurrence, followup: Followup,
                    now: datetime) -> LiveSession:
    if not (couple.partner_a_id and couple.partner_b_id):
        raise FollowupError("partners_missing", _("Both partners need to have joined first."))
    plan = plan_by_id(couple, followup.plan_id)
    if plan is None:
        raise FollowupError("unknown_plan", _("This exercise is no longer available. Ask your counselor."))
    occurrence_id = occurrence.id
    session = live.start_plan(user, couple, plan)  # commits; returns the open session if there is one
    if session.plan_id != plan.id:
        raise FollowupError("other_session_open",
                            _("Another session is under way. Finish or leave it first, then come back here."))
    linked = db.session.execute(
        update(FollowupOccurrence)
        .where(FollowupOccurrence.id == occurrence_id,
               or_(FollowupOccurrence.live_session_id.is_(None), FollowupOccurrence.live_session_id == session.id))
        .values(live_session_id=session.id, started_at=now)
    ).rowcount
    _drop_unclaimed_reminders([occurrence_id])
    db.session.commit()
    if not linked:  # the other partner linked a session of their own a moment earlier
        raise FollowupError("already_done", _("You have already done this one together."))
    return session


# -- reminder preferences ---------------------------------------------------------------------


def preferences_for(user_id: int) -> Preferences:
    """The user's reminder preferences, or the defaults."""
    row = db.session.get(ReminderPreference, user_id)
    if row is None:
        return Preferences(offsets=DEFAULT_OFFSETS, email_enabled=True, timezone=None)
    return Preferences(offsets=tuple(row.offsets), email_enabled=row.email_enabled, timezone=row.timezone)


def save_preferences(user: User, couple: Couple, wanted: Preferences, now: datetime) -> None:
    """Save a partner's preferences: reminders at offsets no longer wanted go, newly wanted ones still ahead come."""
    if not set(wanted.offsets) <= set(OFFSET_CHOICES):
        raise FollowupError("bad_offsets", _("Choose reminder times from the list."))
    if wanted.timezone is not None and zone_named(wanted.timezone) is None:
        raise FollowupError("unknown_time_zone", _("Choose a time zone from the list."))
    row = db.session.get(ReminderPreference, user.id) or ReminderPreference(user_id=user.id)
    row.offsets, row.email_enabled = sorted(set(wanted.offsets), reverse=True), wanted.email_enabled
    row.timezone, row.updated_at = wanted.timezone, now
    db.session.add(row)
    db.session.flush()
    ahead = select(FollowupOccurrence).join(Followup, Followup.id == FollowupOccurrence.followup_id).where(
        Followup.couple_id == couple.id, Followup.cancelled_at.is_(None), FollowupOccurrence.due_at > now)
    upcoming = list(db.session.scalars(ahead))
    db.session.execute(delete(FollowupReminder).where(
        FollowupReminder.occurrence_id.in_([o.id for o in upcoming]), FollowupReminder.user_id == user.id,
        FollowupReminder.claimed_at.is_(None), FollowupReminder.offset_minutes.not_in(row.offsets)))
    _schedule_reminders(upcoming, [user.id], now)
    db.session.commit()


# -- calendar feed tokens ---------------------------------------------------------------------


def has_feed(user: User) -> bool:
    """Whether the user has made a calendar feed link."""
    return db.session.get(CalendarFeed, user.id) is not None


def reset_feed(user: User, now: datetime | None = None) -> str:
    """A new secret feed token for ``user`` (shown once); the previous link stops working."""
    token = secrets.token_urlsafe(32)
    row = db.session.get(CalendarFeed, user.id) or CalendarFeed(user_id=user.id)
    row.token_hash, row.created_at = hash_token(token), now or utcnow()
    db.session.add(row)
    audit(user, "calendar.feed_reset", f"user:{user.id}")
    db.session.commit()
    return token


def user_for_feed(token: str) -> User | None:
    """The owner of a feed token, or None for an unknown or replaced one."""
    if not token or len(token) > 100:
        return None
    row = db.session.scalar(select(CalendarFeed).where(CalendarFeed.token_hash == hash_token(token)))
    return db.session.get(User, row.user_id) if row else None


def occurrences_for_calendar(couple: Couple, since: datetime) -> list[tuple[FollowupOccurrence, Followup]]:
    """The couple's occurrences from ``since`` on, with their follow-ups (one query), for calendars."""
    return list(db.session.execute(
        select(FollowupOccurrence, Followup).join(Followup, Followup.id == FollowupOccurrence.followup_id)
        .where(Followup.couple_id == couple.id, FollowupOccurrence.cancelled_at.is_(None),
               FollowupOccurrence.due_at >= since)
        .order_by(FollowupOccurrence.due_at)
    ))


def occurrence_list(followup: Followup) -> list[FollowupOccurrence]:
    """One follow-up's live occurrences in time order."""
    return list(db.session.scalars(
        select(FollowupOccurrence)
        .where(FollowupOccurrence.followup_id == followup.id, FollowupOccurrence.cancelled_at.is_(None))
        .order_by(FollowupOccurrence.due_at)))

