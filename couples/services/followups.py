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

A follow-up in mode ``apart`` or ``either`` may be done apart: each partner steps through it
alone in an *apart run*, a live session row with ``mode = "apart"`` (the domain keeps each
partner's own position); such assignments are refused for plans the domain cannot run apart.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import replace as dataclass_replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, distinct, func, insert, or_, select, update

from ..domain.followups import (MAX_OCCURRENCES, MODES, NOTE_MAX, Assignment, FollowupRejection, Mode, Status, check,
                                occurrences, status_at, to_utc, zone_named)
from ..content import Exercise, PlanSpec, build_plan
from ..domain import machine
from ..domain.plan import Plan
from ..extensions import db
from ..i18n import shown_language
from ..models import (CalendarFeed, Couple, Followup, FollowupOccurrence, FollowupReminder, JointSession, LiveSession,
                      ReminderPreference, User, as_utc, audit, hash_token, utcnow)
from . import live
from .authoring import retired_exercise_ids
from .couples import couple_for_counselor, row_for_counselor
from .plans import exercises_for, library, plan_by_id, plans_for_couple

OFFSET_CHOICES = (10, 60, 180, 1440, 2880)
"""Minutes before an occurrence a partner may choose to be reminded."""
DEFAULT_OFFSETS = (1440, 60)
"""A day before and an hour before, until a partner chooses otherwise."""
APART_MODES: tuple[Mode, ...] = ("apart", "either")
"""Modes in which partners may do a follow-up each on their own."""
EXERCISE_PREFIX = "exercise:"
CHECK_IN_EXERCISE = "check-in"
"""The library's private safety check-in, which comes before a single exercise done together."""
"""Plan ids of single exercises assigned to be done apart (see :func:`plan_choices`)."""
AGENDA_PAST = timedelta(days=14)
"""How far back the partners' list reaches (overdue and recently done items)."""
AGENDA_LIMIT = 60


class FollowupError(Exception):
    """A request the service refuses; ``code`` names why, ``message`` is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# The domain stays free of Flask-Babel: its refusals carry a stable code and an English message (for
# logs and developers); people read the translation of the code, in the locale in force.
REFUSALS = {
    "due_in_past": _l("Choose a time that is still ahead."),
    "due_too_far": _l("Choose a first time within the next two years."),
    "unknown_time_zone": _l("Choose a time zone from the list."),
    "bad_recurrence": _l("That repetition could not be read."),
    "unbounded_recurrence": _l("Say when the repetition ends: a number of times or a last day."),
    "unsupported_frequency": _l("Repeat daily, weekly, monthly or yearly."),
    "no_occurrences": _l("That repetition never happens. Check its days and end."),
    "too_many_occurrences": _l("That repeats more than %(max)s times. Choose fewer.", max=MAX_OCCURRENCES),
    "too_far_ahead": _l("That repetition runs too far ahead. End it sooner."),
    "unknown_mode": _l("Choose together, apart or either."),
    "note_too_long": _l("Keep the note under %(max)s characters.", max=NOTE_MAX),
}


def refused(rejection: FollowupRejection) -> FollowupError:
    """The domain's refusal as the service's error, its message in the reader's language."""
    return FollowupError(rejection.code, str(REFUSALS.get(rejection.code, rejection.message)))


def not_found() -> FollowupError:
    """The one answer for "no such follow-up" and "not yours": existence is not leaked."""
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
    run_mode: str | None = None
    """``together`` or ``apart`` once a session was started for it, else None."""

    @property
    def may_do_apart(self) -> bool:
        """Whether the partner may start or resume doing it on their own now."""
        return self.mode in APART_MODES and self.status in ("upcoming", "due", "overdue") and (
            self.live_session_id is None or (self.session_open and self.run_mode == "apart"))

    @property
    def may_start_together(self) -> bool:
        """Whether *Start it together* applies (nothing was started for it yet)."""
        return self.mode != "apart" and self.status in ("upcoming", "due", "overdue") and self.live_session_id is None

    @property
    def ended_session_id(self) -> int | None:
        """The session whose results and summary belong to it, once it is done."""
        return self.live_session_id if self.status == "done" else None


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
        raise not_found()
    _refuse_if_archived(couple)
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


def _refuse_if_archived(couple: Couple) -> None:
    """accounts: an archived couple gets no new follow-up, and none of theirs starts."""
    if couple.archived_at is not None:
        raise FollowupError("archived", _("This space is closed: the counselor archived it."))


def followup_for_counselor(counselor: User, followup_id: int) -> Followup:
    """The counselor's own follow-up (of one of their couples), else ``not_found``."""
    return row_for_counselor(counselor, Followup, followup_id, not_found)[0]


def change(counselor: User, followup_id: int, request: Request, now: datetime) -> Followup:
    """Change what the counselor assigned; times already past stay as they were."""
    row, couple = row_for_counselor(counselor, Followup, followup_id, not_found)
    if row.cancelled_at is not None:
        raise FollowupError("cancelled", _("This follow-up was cancelled and can no longer be changed."))
    row.title = _checked(couple, request, now, keeping=row.plan_id)
    row.plan_id, row.due_local, row.recurrence = request.plan_id, request.due_local, request.recurrence or None
    row.mode, row.note, row.timezone, row.updated_at = request.mode, request.note, couple.timezone, now
    _sync_occurrences(row, couple, now)
    audit(counselor, "followup.changed", f"followup:{row.id}", request.plan_id)
    db.session.commit()
    return row


def still_to_start(plan_id: str) -> int:
    """How many follow-ups, not cancelled, still have a time whose session has not started, for
    ``plan_id``: what retiring that plan leaves running (they still start it, see :func:`start_together`)."""
    query = (select(func.count(distinct(Followup.id))).join(FollowupOccurrence, FollowupOccurrence.followup_id == Followup.id)
             .where(Followup.plan_id == plan_id, Followup.cancelled_at.is_(None),
                    FollowupOccurrence.cancelled_at.is_(None), FollowupOccurrence.live_session_id.is_(None)))
    return db.session.scalar(query) or 0


def cancel(counselor: User, followup_id: int, now: datetime) -> Followup:
    """Cancel a follow-up: partners see it cancelled and get no more reminders for it."""
    row = followup_for_counselor(counselor, followup_id)
    if row.cancelled_at is None:
        row.cancelled_at = row.updated_at = now
        _drop_unclaimed_reminders(select(FollowupOccurrence.id).where(FollowupOccurrence.followup_id == row.id))
        audit(counselor, "followup.cancelled", f"followup:{row.id}")
        db.session.commit()
    return row


# -- what may be assigned ---------------------------------------------------------------------


def plan_choices(couple: Couple, keeping: str | None = None) -> list[PlanSpec]:
    """What a follow-up may be: the plans the couple can run, then the single exercises they can
    each do on their own (``exercise:<id>``); a retired plan or exercise only as ``keeping``, the follow-up's own.

    Every plan opens with the safety check-in, which the domain never runs apart (a joint
    session may stop after it), so no plan can be done apart. A single exercise whose steps can
    all be done alone (reading, private answers, ratings, a timer) can be done apart, together
    (after the check-in, as every session together) or either. See docs/followups.md.
    """
    exercises = exercises_for(couple.counselor_id)
    retired = retired_exercise_ids(couple.counselor) - {(keeping or "").removeprefix(EXERCISE_PREFIX)}
    singles = [_exercise_spec(exercise) for exercise in sorted(exercises.values(), key=lambda e: (e.title, e.id))
               if exercise.id not in retired
               and machine.can_run_apart(_exercises_plan(f"{EXERCISE_PREFIX}{exercise.id}", exercise, (exercise,)))]
    return [*plans_for_couple(couple, keeping), *singles]


def followup_plan(couple: Couple, plan_id: str, together: bool = False) -> Plan | None:
    """The runnable plan of a follow-up's ``plan_id`` (a plan, or a single exercise), else None.

    A single exercise done ``together`` runs after the safety check-in, as every session together
    does; done apart it runs alone (no joint work, so no check-in first)."""
    if not plan_id.startswith(EXERCISE_PREFIX):
        return plan_by_id(couple, plan_id)
    library = exercises_for(couple.counselor_id)
    exercise = library.get(plan_id.removeprefix(EXERCISE_PREFIX))
    if exercise is None:
        return None
    first = (library[CHECK_IN_EXERCISE],) if together and exercise.id != CHECK_IN_EXERCISE else ()
    return _exercises_plan(plan_id, exercise, (*first, exercise))


def in_reader_language(spec: PlanSpec) -> PlanSpec:
    """A plan choice with its title and description in the reader's language where it has them."""
    return spec.in_language(shown_language()) or spec


def titles_in(counselor_id: int, plan_ids: Iterable[str], language: str | None = None) -> dict[str, str]:
    """The content's title of each plan id (a packaged plan, or a single exercise ``exercise:<id>``) in
    ``language`` (the reader's by default), where the content has it in that language.

    Follow-ups and joint sessions store the title they were assigned with; they are shown with the
    content's title in the reader's language instead. Ids the content does not translate (a counselor's
    own plan, or their exercise written in one language) are left out: the stored title is shown as
    written. At most one query (for the counselor's own exercises)."""
    language = language or shown_language()
    ids = set(plan_ids)
    plans = library().plans
    titles = {plan_id: shown.title for plan_id in ids
              if (spec := plans.get(plan_id)) is not None and (shown := spec.in_language(language)) is not None}
    wanted = {plan_id.removeprefix(EXERCISE_PREFIX): plan_id for plan_id in ids if plan_id.startswith(EXERCISE_PREFIX)}
    if wanted:
        exercises = exercises_for(counselor_id)
        titles.update({plan_id: shown.title for exercise_id, plan_id in wanted.items()
                       if (exercise := exercises.get(exercise_id)) is not None
                       and (shown := exercise.in_language(language)) is not None})
    return titles


def titled(counselor_id: int, rows: Iterable[Followup | JointSession]) -> dict[int, str]:
    """Each follow-up's (or each joint session's) title in the reader's language (see :func:`titles_in`), by id."""
    rows = list(rows)
    titles = titles_in(counselor_id, {row.plan_id for row in rows})
    return {row.id: titles.get(row.plan_id, row.title) for row in rows}


def _exercise_spec(exercise: Exercise) -> PlanSpec:
    """A single exercise as a plan choice, with its texts in each language it has."""
    def spec(version: Exercise, translations: tuple[tuple[str, PlanSpec], ...] = ()) -> PlanSpec:
        return PlanSpec(id=f"{EXERCISE_PREFIX}{exercise.id}", title=version.title, description=version.summary,
                        minutes=exercise.minutes, exercise_ids=(exercise.id,), language=version.language,
                        translations=translations)
    return spec(exercise, tuple((code, spec(version)) for code, version in exercise.translations))


def _exercises_plan(plan_id: str, named: Exercise, exercises: tuple[Exercise, ...]) -> Plan:
    """Exercises as one plan named after ``named``, built as library plans are (step ids
    ``<exercise id>.<step id>``, the texts of every language the exercises have)."""
    minutes = sum(exercise.minutes for exercise in exercises)
    ids = tuple(exercise.id for exercise in exercises)

    def spec_of(exercise: Exercise) -> PlanSpec:
        return PlanSpec(plan_id, exercise.title, exercise.summary, minutes, ids, exercise.language)

    spec = dataclass_replace(spec_of(named), translations=tuple(
        (language, spec_of(version)) for language, version in named.translations))
    return build_plan(spec, {exercise.id: exercise for exercise in exercises}, check_in_first=False)


def _checked(couple: Couple, request: Request, now: datetime, keeping: str | None = None) -> str:
    """The plan's title if the request may be saved, else the refusal; ``keeping``: the plan a
    follow-up being changed already has, allowed even if retired since."""
    if request.mode not in MODES:
        raise FollowupError("unknown_mode", _("Choose together, apart or either."))
    spec = next((spec for spec in plan_choices(couple, keeping) if spec.id == request.plan_id), None)
    if spec is None:
        raise FollowupError("unknown_plan", _("Choose one of the plans this couple can run."))
    if request.mode in APART_MODES:
        plan = followup_plan(couple, request.plan_id)
        if plan is None or not machine.can_run_apart(plan):
            raise FollowupError("mode_unavailable", _(
                "This exercise has steps the partners can only do together (taking turns, agreeing, the "
                "check-in). Choose \"together\", or an exercise they can do on their own."))
    rejection = check(_assignment(request, couple.timezone, spec.title), now)
    if rejection is not None:
        raise refused(rejection)
    return spec.title


def _assignment(request: Request, zone: str, title: str) -> Assignment:
    return Assignment(plan_id=request.plan_id, title=title, due_local=request.due_local, zone=zone,
                      recurrence=request.recurrence or None, mode=request.mode, note=request.note)  # type: ignore[arg-type]


def first_due(row: Followup) -> datetime:
    """The UTC instant of a follow-up's first time (its local wall-clock time in its zone)."""
    return to_utc(row.due_local, zone_named(row.timezone) or ZoneInfo("UTC"))


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


def _drop_unclaimed_reminders(occurrence_ids, user_id: int | None = None) -> None:
    """Delete the reminders no sender has taken yet for these occurrences (ids or a SELECT of them),
    only ``user_id``'s if given."""
    statement = delete(FollowupReminder).where(
        FollowupReminder.occurrence_id.in_(occurrence_ids), FollowupReminder.claimed_at.is_(None))
    if user_id is not None:
        statement = statement.where(FollowupReminder.user_id == user_id)
    db.session.execute(statement)


# -- the partners' side -----------------------------------------------------------------------


def viewer_zone(user: User, couple: Couple) -> ZoneInfo:
    """The zone a user sees times in: their own setting, else the couple's."""
    return zone_named(preferences_for(user.id).timezone or couple.timezone) or ZoneInfo("UTC")


def agenda(user: User, couple: Couple, now: datetime) -> list[AgendaItem]:
    """The couple's follow-up occurrences from two weeks back onwards, in ``user``'s time zone, titled in the
    reader's language (one query, and one for the counselor's own exercises if any is assigned)."""
    zone = viewer_zone(user, couple)
    rows = db.session.execute(
        select(FollowupOccurrence, Followup, LiveSession.status, LiveSession.mode, LiveSession.updated_at)
        .join(Followup, Followup.id == FollowupOccurrence.followup_id)
        .outerjoin(LiveSession, LiveSession.id == FollowupOccurrence.live_session_id)
        .where(Followup.couple_id == couple.id, FollowupOccurrence.cancelled_at.is_(None),
               FollowupOccurrence.due_at >= now - AGENDA_PAST)
        .order_by(FollowupOccurrence.due_at, FollowupOccurrence.id)
        .limit(AGENDA_LIMIT)
    )
    rows = list(rows)
    titles = titled(couple.counselor_id, {followup for _occurrence, followup, *_session in rows})
    return [_agenda_item(occurrence, followup, titles[followup.id], session, zone, now)
            for occurrence, followup, *session in rows]


def _agenda_item(occurrence: FollowupOccurrence, followup: Followup, title: str, session: list, zone: ZoneInfo,
                 now: datetime) -> AgendaItem:
    """``session`` is the linked live session's (status, mode, updated_at), all None without one."""
    session_status, run_mode, updated_at = session
    unfinished = session_status is not None and live.closed_unfinished(session_status, updated_at)
    due_at = as_utc(occurrence.due_at)
    return AgendaItem(
        occurrence_id=occurrence.id, followup_id=followup.id, title=title, note=followup.note,
        mode=followup.mode, due_at=due_at, local=due_at.astimezone(zone),
        status=status_at(due_at, now, done=session_status == "completed", cancelled=followup.cancelled_at is not None,
                         unfinished=unfinished),
        live_session_id=occurrence.live_session_id,
        session_open=session_status in live.OPEN_STATUSES and not unfinished, run_mode=run_mode,
    )


def _partners_occurrence(user: User, couple: Couple, occurrence_id: int) -> tuple[FollowupOccurrence, Followup]:
    """One occurrence of the partner's own couple with its follow-up; ``not_found`` otherwise,
    ``cancelled`` when the counselor withdrew it."""
    found = db.session.execute(
        select(FollowupOccurrence, Followup).join(Followup, Followup.id == FollowupOccurrence.followup_id)
        .where(FollowupOccurrence.id == occurrence_id, Followup.couple_id == couple.id)
    ).first()
    if found is None or couple.role_of(user) not in ("a", "b"):
        raise not_found()
    occurrence, followup = found
    if followup.cancelled_at is not None or occurrence.cancelled_at is not None:
        raise FollowupError("cancelled", _("Your counselor cancelled this follow-up."))
    return occurrence, followup


def _linked_open_session(occurrence: FollowupOccurrence, mode: str) -> LiveSession | None:
    """The occurrence's session if it is still open and of ``mode``; None when nothing is linked.
    Refused when it ended, or was started the other way."""
    if occurrence.live_session_id is None:
        return None
    session = db.session.get(LiveSession, occurrence.live_session_id)
    if session is None or session.status not in live.OPEN_STATUSES or live.is_closed_unfinished(session):
        raise FollowupError("already_done", _("This one is over: it was done, or left unfinished."))
    if session.mode != mode:
        raise FollowupError("other_mode", _("You started this one together: continue it together.")
                            if session.mode == "together" else _("You are doing this one each on your own."))
    return session


def start_together(user: User, couple: Couple, occurrence_id: int, now: datetime) -> LiveSession:
    """Open (or return) the live session for one occurrence, exactly like starting a plan by hand.

    Refused when the follow-up is cancelled or only to be done apart, the occurrence's session is
    already finished, or another session is under way (a pending follow-up never takes over a workshop).
    """
    occurrence, followup = _partners_occurrence(user, couple, occurrence_id)
    if followup.mode == "apart":
        raise FollowupError("other_mode", _("Your counselor asked you to do this one each on your own."))
    return _linked_open_session(occurrence, "together") or _start_and_link(user, couple, occurrence, followup, now)


def start_apart(user: User, couple: Couple, occurrence_id: int, now: datetime) -> LiveSession:
    """Start, or resume, the apart run of one occurrence: each partner does it alone, at their own pace.

    Both partners use the same run (each at their own position in it); resuming lands where the
    partner left. Refused when the follow-up is cancelled, is to be done together, its plan cannot
    be done apart, or it is over.
    """
    occurrence, followup = _partners_occurrence(user, couple, occurrence_id)
    if followup.mode not in APART_MODES:
        raise FollowupError("other_mode", _("Your counselor asked you to do this one together."))
    session = _linked_open_session(occurrence, "apart")
    if session is None:
        return _start_and_link(user, couple, occurrence, followup, now, apart=True)
    _drop_unclaimed_reminders([occurrence.id], user.id)  # this partner is on it; the other may still be reminded
    db.session.commit()
    return session


def _start_and_link(user: User, couple: Couple, occurrence: FollowupOccurrence, followup: Followup,
                    now: datetime, apart: bool = False) -> LiveSession:
    if not (couple.partner_a_id and couple.partner_b_id):
        raise FollowupError("partners_missing", _("Both partners need to have joined first."))
    _refuse_if_archived(couple)
    plan = followup_plan(couple, followup.plan_id, together=not apart)
    if plan is None:
        raise FollowupError("unknown_plan", _("This exercise is no longer available. Ask your counselor."))
    if apart and not machine.can_run_apart(plan):
        raise FollowupError("mode_unavailable", _("This exercise can only be done together."))
    occurrence_id = occurrence.id
    if apart:
        session = live.start_apart(user, couple, plan)  # commits
    else:
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
    # Apart, only the partner who opened the run is on it: the other is still reminded.
    _drop_unclaimed_reminders([occurrence_id], user.id if apart else None)
    db.session.commit()
    if not linked:  # the other partner linked a session of their own a moment earlier: use theirs
        theirs = db.session.get(FollowupOccurrence, occurrence_id)
        assert theirs is not None
        found = _linked_open_session(theirs, "apart" if apart else "together")
        if found is None:
            raise FollowupError("already_done", _("This one is over: it was done, or left unfinished."))
        return found
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


def occurrences_for_calendar(couple_ids: list[int], since: datetime) -> list[tuple[FollowupOccurrence, Followup]]:
    """These couples' occurrences from ``since`` on, with their follow-ups (one query), for calendars."""
    return list(db.session.execute(
        select(FollowupOccurrence, Followup).join(Followup, Followup.id == FollowupOccurrence.followup_id)
        .where(Followup.couple_id.in_(couple_ids), FollowupOccurrence.cancelled_at.is_(None),
               FollowupOccurrence.due_at >= since)
        .order_by(FollowupOccurrence.due_at)
    ))


def occurrence_list(followup: Followup) -> list[FollowupOccurrence]:
    """One follow-up's live occurrences in time order."""
    return list(db.session.scalars(
        select(FollowupOccurrence)
        .where(FollowupOccurrence.followup_id == followup.id, FollowupOccurrence.cancelled_at.is_(None))
        .order_by(FollowupOccurrence.due_at)))

