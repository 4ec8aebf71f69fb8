"""After a follow-up is done: each partner's 1-5 rating and short reflection, and what of the
follow-ups flows back to the counselor (the desk and the couple's timeline).

Who sees a reflection: its writer always; the counselor only when the writer chose to share
it; the other partner never (docs/followups.md, "Reflections"). A shared reflection shares the
rating with it: one choice, so nothing is half-shared by mistake.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import and_, or_, select

from ..domain.followups import Status, status_at
from ..extensions import db
from ..models import Couple, Followup, FollowupOccurrence, FollowupReflection, LiveSession, User, as_utc
from . import live
from .followups import FollowupError, not_found, titled

TEXT_MAX = 2000
RATING_RANGE = range(1, 6)
DESK_PAST = timedelta(days=30)
"""How far back the desk counts done and overdue follow-ups."""
TIMELINE_LIMIT = 60


@dataclass(frozen=True)
class Reflection:
    """One partner's rating and reflection as they wrote them."""

    rating: int | None
    text: str
    shared: bool


@dataclass(frozen=True)
class SharedReflection:
    """A reflection its writer shared with the counselor."""

    role: str
    rating: int | None
    text: str


@dataclass(frozen=True)
class OccurrenceLine:
    """One occurrence as the counselor's timeline shows it."""

    occurrence_id: int
    title: str
    due_at: datetime
    status: Status
    run_mode: str | None
    session_id: int | None
    reflections: tuple[SharedReflection, ...]


@dataclass(frozen=True)
class FollowupDesk:
    """What the desk shows of one couple's follow-ups over the last month."""

    overdue: int
    done: int
    ratings: tuple[int, ...]


# -- the partners' side -----------------------------------------------------------------------


def done_occurrence(user: User, couple: Couple, occurrence_id: int) -> tuple[FollowupOccurrence, Followup, int]:
    """An occurrence of the partner's couple that is done, with its follow-up and session id;
    ``not_found`` for anything else of another couple, ``not_done`` while it is not done."""
    found = db.session.execute(
        select(FollowupOccurrence, Followup, LiveSession.status)
        .join(Followup, Followup.id == FollowupOccurrence.followup_id)
        .outerjoin(LiveSession, LiveSession.id == FollowupOccurrence.live_session_id)
        .where(FollowupOccurrence.id == occurrence_id, Followup.couple_id == couple.id)
    ).first()
    if found is None or couple.role_of(user) not in ("a", "b"):
        raise not_found()
    occurrence, followup, session_status = found
    if session_status != "completed" or occurrence.live_session_id is None:
        raise FollowupError("not_done", _("You can add a reflection once you have both finished it."))
    return occurrence, followup, occurrence.live_session_id


def mine(user: User, occurrence_id: int) -> Reflection | None:
    """The partner's own reflection on an occurrence, if they wrote one."""
    row = db.session.scalar(select(FollowupReflection).where(
        FollowupReflection.occurrence_id == occurrence_id, FollowupReflection.user_id == user.id))
    return Reflection(row.rating, row.text, row.shared) if row else None


def save(user: User, couple: Couple, occurrence_id: int, wanted: Reflection, now: datetime) -> None:
    """Save (or replace) the partner's rating and reflection on a done occurrence."""
    done_occurrence(user, couple, occurrence_id)
    if wanted.rating is not None and wanted.rating not in RATING_RANGE:
        raise FollowupError("bad_rating", _("Choose a rating from 1 to 5."))
    if len(wanted.text) > TEXT_MAX:
        raise FollowupError("reflection_too_long", _("Keep your reflection under %(max)s characters.", max=TEXT_MAX))
    if wanted.rating is None and not wanted.text.strip():
        raise FollowupError("empty_reflection", _("Choose a rating or write a few words."))
    row = db.session.scalar(select(FollowupReflection).where(
        FollowupReflection.occurrence_id == occurrence_id, FollowupReflection.user_id == user.id))
    row = row or FollowupReflection(occurrence_id=occurrence_id, user_id=user.id)
    row.rating, row.text, row.shared, row.updated_at = wanted.rating, wanted.text.strip(), wanted.shared, now
    db.session.add(row)
    db.session.commit()


# -- the counselor's side ---------------------------------------------------------------------


@dataclass
class _Occurrence:
    """One occurrence as the counselor's pages read it, with the reflections shared on it."""

    occurrence: FollowupOccurrence
    followup: Followup
    session_status: str | None
    run_mode: str | None
    updated_at: datetime | None
    shared: list[SharedReflection]

    def status(self, now: datetime) -> Status:
        unfinished = (self.session_status is not None and self.updated_at is not None
                      and live.closed_unfinished(self.session_status, self.updated_at))
        return status_at(as_utc(self.occurrence.due_at), now, done=self.session_status == "completed",
                         cancelled=self.followup.cancelled_at is not None, unfinished=unfinished)


def _occurrences(couples: dict[int, Couple], since: datetime, until: datetime, limit: int | None = None) -> list[_Occurrence]:
    """The couples' occurrences due between ``since`` and ``until`` (and those done early), newest
    first, each with its session's standing and the reflections shared on it: one query."""
    query = (select(FollowupOccurrence, Followup, LiveSession.status, LiveSession.mode, LiveSession.updated_at,
                    FollowupReflection)
             .join(Followup, Followup.id == FollowupOccurrence.followup_id)
             .outerjoin(LiveSession, LiveSession.id == FollowupOccurrence.live_session_id)
             .outerjoin(FollowupReflection, and_(FollowupReflection.occurrence_id == FollowupOccurrence.id,
                                                 FollowupReflection.shared.is_(True)))
             .where(Followup.couple_id.in_(list(couples)), FollowupOccurrence.cancelled_at.is_(None),
                    FollowupOccurrence.due_at >= since,
                    or_(FollowupOccurrence.due_at <= until, LiveSession.status == "completed"))
             .order_by(FollowupOccurrence.due_at.desc(), FollowupOccurrence.id, FollowupReflection.id))
    found: dict[int, _Occurrence] = {}
    for occurrence, followup, status, mode, updated_at, reflection in db.session.execute(
            query.limit(2 * limit) if limit else query):  # at most two reflections per occurrence
        entry = found.setdefault(occurrence.id, _Occurrence(occurrence, followup, status, mode, updated_at, []))
        role = couples[followup.couple_id].role_of_id(reflection.user_id) if reflection is not None else None
        if role in ("a", "b"):
            entry.shared.append(SharedReflection(role, reflection.rating, reflection.text))
    return list(found.values())[:limit] if limit else list(found.values())


def timeline_lines(couple: Couple, now: datetime) -> list[OccurrenceLine]:
    """The couple's follow-up occurrences up to a week ahead (and any done early), newest first,
    titled in the reader's language, with the shared reflections (one query, and one for the
    counselor's own exercises if any is assigned)."""
    lines = []
    entries = _occurrences({couple.id: couple}, now - timedelta(days=366), now + timedelta(days=7), TIMELINE_LIMIT)
    titles = titled(couple.counselor_id, {entry.followup for entry in entries})
    for entry in entries:
        status = entry.status(now)
        lines.append(OccurrenceLine(
            entry.occurrence.id, titles[entry.followup.id], as_utc(entry.occurrence.due_at), status, entry.run_mode,
            entry.occurrence.live_session_id if status == "done" else None, tuple(entry.shared)))
    return lines


def desk(couples: list[Couple], now: datetime) -> dict[int, FollowupDesk]:
    """Per couple: follow-ups overdue and done over the last month (or early), and the ratings
    shared on them (one query for the whole page)."""
    counts: dict[int, dict[str, int]] = defaultdict(lambda: {"overdue": 0, "done": 0})
    ratings: dict[int, list[int]] = defaultdict(list)
    for entry in _occurrences({couple.id: couple for couple in couples}, now - DESK_PAST, now):
        couple_id, status = entry.followup.couple_id, entry.status(now)
        if status in ("overdue", "done"):
            counts[couple_id][status] += 1
        ratings[couple_id].extend(r.rating for r in entry.shared if r.rating is not None)
    entries = {couple_id: FollowupDesk(counts[couple_id]["overdue"], counts[couple_id]["done"], tuple(ratings[couple_id]))
               for couple_id in {*counts, *ratings}}
    return {couple_id: entry for couple_id, entry in entries.items() if entry.overdue or entry.done or entry.ratings}
