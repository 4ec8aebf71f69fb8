"""The next joint session: the counselor schedules it (date, time, plan) for one of their couples,
changes or cancels it; partners see it on their home page and in their calendars.

A time is written in the couple's wall-clock time and checked by the same domain rules as a
follow-up's first time (:func:`couples.domain.followups.check`): still ahead, within two years,
a known zone. Anyone but the couple's counselor gets ``not_found``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from ..domain.followups import Assignment, check, to_utc, zone_named
from ..extensions import db
from ..models import Couple, JointSession, User, audit
from .couples import couple_for_counselor, row_for_counselor
from .followups import FollowupError, refused
from .plans import plans_for_couple

SHOWN_AFTER_START = timedelta(hours=2)
"""How long after its start a joint session still counts as the next one (it may be under way)."""


@dataclass(frozen=True)
class Wanted:
    """What the counselor's form asks for; the couple's time zone is added by the service."""

    plan_id: str
    starts_local: datetime


def _not_found() -> FollowupError:
    return FollowupError("not_found", _("There is no such session, or it is not yours."))


def schedule(counselor: User, couple_id: int, wanted: Wanted, now: datetime) -> JointSession:
    """Schedule a joint session for the counselor's own couple."""
    couple = couple_for_counselor(counselor, couple_id)
    if couple is None:
        raise _not_found()
    row = JointSession(couple_id=couple.id, counselor_id=counselor.id, created_at=now)
    _fill(row, couple, wanted, now)
    db.session.add(row)
    db.session.flush()
    audit(counselor, "joint_session.scheduled", f"joint_session:{row.id}", wanted.plan_id)
    db.session.commit()
    return row


def session_for_counselor(counselor: User, session_id: int) -> JointSession:
    """The counselor's own joint session (of one of their couples), else ``not_found``."""
    return row_for_counselor(counselor, JointSession, session_id, _not_found)[0]


def change(counselor: User, session_id: int, wanted: Wanted, now: datetime) -> JointSession:
    """Move a scheduled joint session or change its plan; a cancelled one cannot be changed."""
    row, couple = row_for_counselor(counselor, JointSession, session_id, _not_found)
    if row.cancelled_at is not None:
        raise FollowupError("cancelled", _("This session was cancelled. Schedule a new one instead."))
    _fill(row, couple, wanted, now)
    audit(counselor, "joint_session.changed", f"joint_session:{row.id}", wanted.plan_id)
    db.session.commit()
    return row


def cancel(counselor: User, session_id: int, now: datetime) -> JointSession:
    """Cancel a scheduled joint session; partners see it cancelled, calendars mark it so."""
    row = session_for_counselor(counselor, session_id)
    if row.cancelled_at is None:
        row.cancelled_at = row.updated_at = now
        audit(counselor, "joint_session.cancelled", f"joint_session:{row.id}")
        db.session.commit()
    return row


def _fill(row: JointSession, couple: Couple, wanted: Wanted, now: datetime) -> None:
    """Check ``wanted`` and copy it into ``row``, or refuse without touching it."""
    spec = next((spec for spec in plans_for_couple(couple, keeping=row.plan_id) if spec.id == wanted.plan_id), None)
    if spec is None:
        raise FollowupError("unknown_plan", _("Choose one of the plans this couple can run."))
    starts_local = wanted.starts_local.replace(second=0, microsecond=0)
    rejection = check(Assignment(plan_id=spec.id, title=spec.title, due_local=starts_local, zone=couple.timezone), now)
    zone = zone_named(couple.timezone)
    if rejection is not None or zone is None:
        raise refused(rejection) if rejection else FollowupError("unknown_time_zone", _("The couple's time zone is unknown."))
    row.plan_id, row.title, row.starts_local, row.timezone = spec.id, spec.title, starts_local, couple.timezone
    row.starts_at, row.updated_at = to_utc(starts_local, zone), now


def sessions_of(couple_id: int) -> list[JointSession]:
    """The couple's joint sessions, the newest time first (the counselor's list)."""
    return list(db.session.scalars(
        select(JointSession).where(JointSession.couple_id == couple_id).order_by(JointSession.starts_at.desc())))


def next_for_couples(couple_ids: list[int], now: datetime) -> dict[int, JointSession]:
    """Per couple, the next joint session not cancelled (one query)."""
    rows = db.session.scalars(
        select(JointSession).where(JointSession.couple_id.in_(couple_ids), JointSession.cancelled_at.is_(None),
                                   JointSession.starts_at >= now - SHOWN_AFTER_START)
        .order_by(JointSession.starts_at.desc()))
    return {row.couple_id: row for row in rows}  # the earliest wins: it is written last


def for_calendar(couple_ids: list[int], since: datetime) -> list[JointSession]:
    """The joint sessions of these couples from ``since`` on, cancelled ones too (calendars mark them)."""
    return list(db.session.scalars(
        select(JointSession).where(JointSession.couple_id.in_(couple_ids), JointSession.starts_at >= since)
        .order_by(JointSession.starts_at)))
