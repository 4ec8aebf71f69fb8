"""Concerns for the counselor: the real-time alert, what raised it, and how to reach that partner.

A partner's check-in that raises a concern already flags the couple and writes a
``safety.concern`` audit entry in the event's transaction (``services.live``). After the commit, and
after both partners' snapshots are published, :func:`alert_counselor` tells the counselor's open
pages at once, on whichever process holds them. The couple's page then shows the answers that
raised it (:func:`concerns_for`) and the way that partner chose to be reached privately
(:func:`set_private_contact`). None of it ever reaches the other partner (docs/safety.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from ..domain.kinds.check_in import CheckInAnswer, raised_concerns
from ..domain.plan import in_language
from ..domain.state import SessionState
from ..extensions import db
from ..i18n import DEFAULT_LANGUAGE
from ..models import AuditEntry, Couple, LiveSession, User, as_utc, audit
from ..realtime import publisher
from .plans import plan_from_dict

CONCERN_ACTION = "safety.concern"
SHOWN_CONCERNS = 3
"""Sessions whose concerns the couple's page shows, newest first."""
PRIVATE_CONTACT_MAX_LENGTH = 300


@dataclass(frozen=True)
class ConcernReport:
    """One partner's concern in one session, as the counselor's couple page shows it."""

    session_id: int
    plan_title: str
    raised_at: datetime
    slot: str
    name: str
    step_title: str
    answers: tuple[CheckInAnswer, ...]
    private_contact: str | None


def alert_counselor(couple_id: int, session_id: int) -> None:
    """Tell the couple's counselor, on every page they have open, that a check-in raised a concern.

    Sent after the commit and after the partners' snapshots, so it can neither hold up nor show in
    what the partners receive. It names the couple and where to act, never an answer."""
    couple = db.session.get(Couple, couple_id)
    counselor = db.session.get(User, couple.counselor_id) if couple is not None else None
    if couple is None or counselor is None:
        return
    with force_locale(counselor.language or DEFAULT_LANGUAGE):  # the counselor's, not the partner's whose event it was
        message = _("A check-in by %(couple)s raised a concern.", couple=couple.title)
    publisher.send_concern(couple.counselor_id, {
        "couple_id": couple.id, "session_id": session_id, "message": message,
        "url": url_for("counselor.couple", couple_id=couple.id, _anchor="concerns"),
    })


def concerns_for(couple: Couple, language: str) -> list[ConcernReport]:
    """The concerns of the couple's latest sessions that had one, newest first (three queries), with the
    plan's words (titles, questions, the options chosen) in ``language`` where the plan has them."""
    raised = db.session.execute(
        select(AuditEntry.detail, AuditEntry.at).where(AuditEntry.action == CONCERN_ACTION,
                                                       AuditEntry.target == f"couple:{couple.id}")
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    ).all()
    latest: dict[int, datetime] = {}
    for detail, at in raised:
        session_id = _session_id(detail)
        if session_id is not None and session_id not in latest and len(latest) < SHOWN_CONCERNS:
            latest[session_id] = as_utc(at)
    if not latest:
        return []
    sessions = db.session.execute(select(LiveSession.id, LiveSession.plan, LiveSession.state)
                                  .where(LiveSession.id.in_(latest), LiveSession.couple_id == couple.id)).all()
    contacts = _private_contacts(couple)
    plans = {row.id: in_language(plan_from_dict(row.plan), language) for row in sessions}
    reports = [
        ConcernReport(row.id, plans[row.id].title, latest[row.id], concern.role, couple.name_of(concern.role),
                      concern.step_title, concern.answers, contacts.get(concern.role))
        for row in sessions
        for concern in raised_concerns(plans[row.id], SessionState.from_dict(row.state))
    ]
    return sorted(reports, key=lambda report: report.raised_at, reverse=True)


def _session_id(detail: str) -> int | None:
    """The session id in an audit entry's ``live_session:<id>`` detail."""
    prefix, _, number = detail.partition(":")
    return int(number) if prefix == "live_session" and number.isdigit() else None


def _private_contacts(couple: Couple) -> dict[str, str | None]:
    """Each joined partner's private contact, by slot."""
    ids = {couple.partner_a_id: "a", couple.partner_b_id: "b"}
    rows = db.session.execute(select(User.id, User.private_contact).where(User.id.in_([i for i in ids if i])))
    return {ids[user_id]: contact for user_id, contact in rows}


def set_private_contact(user: User, text: str) -> None:
    """Keep (or, with empty text, forget) how ``user``'s counselor can reach them privately."""
    cleaned = " ".join(text.split())[:PRIVATE_CONTACT_MAX_LENGTH] or None
    db.session.get(User, user.id).private_contact = cleaned
    audit(user, "partner.private_contact", f"user:{user.id}", "set" if cleaned else "removed")
    db.session.commit()
