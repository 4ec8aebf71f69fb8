"""The right to leave: a person deletes their own account (docs/leaving.md says what remains).

A partner's account becomes a tombstone (no name, no e-mail, no usable password), their open
session is closed, everything only they saw is erased from every session state, event log,
summary, item document, reminder, calendar feed and presence row, and their logins and
sockets end. What both partners saw stays with the one who remains. A counselor may leave
once no couple is left in their care. Everything happens in one transaction, committed once
by :func:`accounts.end_logins`, which then closes the sockets.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import cast

from flask_babel import gettext as _
from sqlalchemy import delete, select, update

from ..domain.leaving import forget_author, forget_partner, removed_items
from ..domain.plan import Role
from ..domain.state import SessionState
from ..domain.summary import SummaryState
from ..extensions import db
from ..models import (
    ABANDONED, OPEN_SESSION_STATUSES, CalendarFeed, Couple, CustomExercise, CustomPlan, FollowupReminder,
    Invitation, LiveSession, Presence, RecoveryCode, ReminderPreference, SessionEvent, Summary,
    SummaryEventRecord, SummaryItemDoc, User, audit,
)
from . import accounts, results, summaries


class LeavingError(ValueError):
    """Why the account cannot be deleted now; ``str(error)`` is safe to show."""


def check_password(user: User, password: str) -> None:
    """Deleting needs the password again: a borrowed, unlocked phone is not enough."""
    if not user.check_password(password or ""):
        raise LeavingError(_("That password is not right. Your account is unchanged."))


def counselor_may_leave(counselor: User) -> bool:
    """A counselor leaves only once no couple is in their care (their records stay with the couples)."""
    return db.session.scalar(select(Couple.id).where(Couple.counselor_id == counselor.id).limit(1)) is None


def delete_account(user: User, password: str) -> None:
    """Delete ``user``'s own account after checking ``password``; raises :class:`LeavingError`."""
    check_password(user, password)
    changed_summaries: list[tuple[summaries.Place, SummaryState]] = []
    if user.is_counselor:
        _delete_counselor(user)
    else:
        changed_summaries = _delete_partner(user)
    _make_tombstone(user)
    accounts.end_logins(user, "account.deleted")  # commits everything above, then closes the sockets
    for place, state in changed_summaries:  # the partner who remains sees their summaries as they are now
        summaries.publish_views(place, state, (place.viewer,))


def _delete_counselor(counselor: User) -> None:
    if not counselor_may_leave(counselor):
        raise LeavingError(_("Your couples are still in your care. An account with couples cannot be deleted yet."))
    db.session.execute(delete(CustomPlan).where(CustomPlan.counselor_id == counselor.id))
    db.session.execute(delete(CustomExercise).where(CustomExercise.counselor_id == counselor.id))


def _delete_partner(user: User) -> list[tuple[summaries.Place, SummaryState]]:
    """Erase what only ``user`` gave; returns the summaries changed, for the other partner's view."""
    couple = db.session.scalar(select(Couple).where((Couple.partner_a_id == user.id) | (Couple.partner_b_id == user.id)))
    changed: list[tuple[summaries.Place, SummaryState]] = []
    if couple is not None:
        role = cast(Role, couple.role_of(user))
        _close_open_session(couple.id)
        _forget_in_sessions(couple.id, role)
        changed = _forget_in_summaries(couple.id, role)
        _revoke_invitations(couple.id, role)
        setattr(couple, f"partner_{role}_left_at", datetime.now(UTC))
        # A change of seats: every process reloads what it remembers of the couple's sessions.
        couple.seats_version = (couple.seats_version or 0) + 1
    # synchronize_session=False: the ORM would otherwise compare the new value with loaded rows in
    # Python, which an encrypted column refuses (nothing may compare its contents).
    db.session.execute(update(SessionEvent).where(SessionEvent.user_id == user.id).values(data=None)
                       .execution_options(synchronize_session=False))
    for owned in (Presence, FollowupReminder, SummaryEventRecord):
        db.session.execute(delete(owned).where(owned.user_id == user.id))
    return changed


def _close_open_session(couple_id: int) -> None:
    """A session under way ends as abandoned: it can never be finished by two."""
    for session_id in db.session.scalars(select(LiveSession.id).where(
            LiveSession.couple_id == couple_id, LiveSession.status.in_(OPEN_SESSION_STATUSES))):
        db.session.execute(update(LiveSession).where(LiveSession.id == session_id).values(status=ABANDONED))
        results.record_unfinished(session_id)
        audit(None, "session.abandoned", f"live_session:{session_id}", "a partner left")


def _forget_in_sessions(couple_id: int, role: Role) -> None:
    for row in db.session.scalars(select(LiveSession).where(LiveSession.couple_id == couple_id)):
        row.state = forget_partner(SessionState.from_dict(row.state), role).to_dict()


def _forget_in_summaries(couple_id: int, role: Role) -> list[tuple[summaries.Place, SummaryState]]:
    other = cast(Role, "b" if role == "a" else "a")
    changed = []
    for row in db.session.scalars(select(Summary).where(Summary.couple_id == couple_id)):
        before = SummaryState.from_dict(row.state)
        after = forget_author(before, role)
        if after == before:
            continue
        gone = removed_items(before, after)
        if gone:
            db.session.execute(delete(SummaryItemDoc).where(SummaryItemDoc.summary_id == row.id,
                                                            SummaryItemDoc.item_id.in_(gone)))
        row.state, row.status, row.version = after.to_dict(), after.status, after.version
        changed.append((summaries.Place(row.id, row.session_id, other), after))
    return changed


def _revoke_invitations(couple_id: int, role: Role) -> None:
    """No open link may seat someone new in the seat of the partner who left."""
    db.session.execute(update(Invitation).where(
        Invitation.couple_id == couple_id, Invitation.slot == role, Invitation.used_at.is_(None),
        Invitation.revoked_at.is_(None)).values(revoked_at=datetime.now(UTC)))


def _make_tombstone(user: User) -> None:
    """What remains of the account: an id the audit log and the couple's records point to."""
    for owned in (ReminderPreference, CalendarFeed, RecoveryCode):
        db.session.execute(delete(owned).where(owned.user_id == user.id))
    user.email = f"left-{user.id}@deleted.invalid"
    user.display_name = ""
    user.set_password(secrets.token_urlsafe(32))  # nobody knows it: the account can never log in again
    user.totp_secret = user.totp_pending_secret = None
    user.left_at = datetime.now(UTC)
