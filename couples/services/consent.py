"""A partner's consent to what their counselor can see, given once before their first session.

The text they accept is ``templates/account/what_counselor_sees.html``; this module records when
they accepted it and answers whether someone still has to.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..models import User, audit, utcnow


def needed_message() -> str:
    """What a partner reads when something is refused because they have not accepted yet."""
    return _("Before your first session, please read what your counselor can see, and accept it.")


def needs_consent(user: User) -> bool:
    """Whether ``user`` is a partner who has not yet accepted (counselors never need to)."""
    return user.role == "partner" and user.consent_accepted_at is None


def needs_consent_by_id(user_id: int) -> bool:
    """The same, by user id (for socket handlers, which keep only the id)."""
    row = db.session.execute(select(User.role, User.consent_accepted_at).where(User.id == user_id)).first()
    return row is not None and row.role == "partner" and row.consent_accepted_at is None


def accept(user: User) -> None:
    """Record that ``user`` read and accepted the text now (the first time only)."""
    if not needs_consent(user):
        return
    user.consent_accepted_at = utcnow()
    audit(user, "consent.accepted", f"user:{user.id}")
    db.session.commit()
