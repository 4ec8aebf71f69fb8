"""Couples and their invitation links.

Only the SHA-256 of an invitation token is stored, so a link can be shown once:
the functions that make one return the token to the caller, which shows it.
"""

from __future__ import annotations

import secrets
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Protocol, TypeVar

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..i18n import LANGUAGES
from ..models import Couple, Followup, FollowupOccurrence, Invitation, User, as_utc, audit, hash_token, utcnow
from .accounts import AccountError, check_name, new_user
from .live import open_sessions

SLOTS = ("a", "b")


class InvitationUnavailable(Exception):
    """The link cannot be used; ``reason`` is 'used', 'expired', 'revoked' or 'unknown'."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"invitation {reason}")


class CoupleError(ValueError):
    """A request about a couple that cannot be carried out; the message is safe to show."""


@dataclass(frozen=True)
class SlotStatus:
    """How far one partner of a couple has got: 'joined', 'left', 'open', 'expired', 'revoked' or 'none'."""

    slot: str
    name: str
    state: str
    expires_at: datetime | None = None

    @property
    def can_reissue(self) -> bool:
        return self.state not in ("joined", "left")


@cache
def timezone_names() -> tuple[str, ...]:
    """The IANA time zones this system knows, sorted."""
    return tuple(sorted(zoneinfo.available_timezones()))


# -- loading, with authorisation -------------------------------------------------------------


def couple_for_counselor(user: User, couple_id: int) -> Couple | None:
    """The couple if ``user`` is its counselor, else None (callers answer 404 either way)."""
    if not user.is_counselor:
        return None
    couple = db.session.get(Couple, couple_id)
    return couple if couple is not None and couple.counselor_id == user.id else None


class _OfACouple(Protocol):
    """A row that belongs to one couple (a follow-up, a joint session)."""

    @property
    def couple_id(self) -> int: ...


Row = TypeVar("Row", bound=_OfACouple)


def row_for_counselor(user: User, model: type[Row], row_id: int, missing: Callable[[], Exception]) -> tuple[Row, Couple]:
    """The ``model`` row ``row_id`` and its couple if that is one of ``user``'s couples; else ``missing()``
    is raised, one answer for "no such row" and "not yours", so that existence is not leaked."""
    row = db.session.get(model, row_id)
    couple = None if row is None else couple_for_counselor(user, row.couple_id)
    if row is None or couple is None:
        raise missing()
    return row, couple


def couple_for_partner(user: User) -> Couple | None:
    """The couple ``user`` is a partner in, or None."""
    if user.role != "partner":
        return None
    return db.session.scalar(select(Couple).where(or_(Couple.partner_a_id == user.id, Couple.partner_b_id == user.id)))


def set_individual_time_first(counselor: User, couple: Couple, required: bool) -> None:
    """Turn the counselor's "individual time first" routine on or off for ``couple``.

    It applies to sessions started from now on: each then stops after the private check-in,
    with the same message a safety concern produces (docs/safety.md).
    """
    if couple.individual_time_first == required:
        return
    couple.individual_time_first = required
    audit(counselor, "couple.individual_time_first", f"couple:{couple.id}", "on" if required else "off")
    db.session.commit()


COUPLES_PER_PAGE = 25


def all_couples_of(counselor: User) -> list[Couple]:
    """Every couple of a counselor, by name (for choosing one in a form)."""
    query = select(Couple).where(Couple.counselor_id == counselor.id).order_by(Couple.partner_a_name, Couple.id)
    return list(db.session.scalars(query))


@dataclass(frozen=True)
class CouplePage:
    """One page of a counselor's couples."""

    couples: list[Couple]
    number: int
    pages: int
    total: int
    archived: int = 0
    """How many couples the counselor has archived (not on these pages)."""


def couples_of(counselor: User, page: int = 1, per_page: int = COUPLES_PER_PAGE) -> CouplePage:
    """A page of a counselor's current (not archived) couples: those needing attention first, then
    newest first, with their invitations loaded (two queries per page, however many couples there are)."""
    current = (Couple.counselor_id == counselor.id, Couple.archived_at.is_(None))
    everyone, archived = db.session.execute(  # one query counts both (the desk's query count stays flat)
        select(func.count(), func.count(Couple.archived_at)).where(Couple.counselor_id == counselor.id)).one()
    total = everyone - archived
    pages = max(1, -(-total // per_page))
    number = min(max(1, page), pages)
    couples = db.session.scalars(
        select(Couple)
        .where(*current)
        .options(selectinload(Couple.invitations))
        .order_by(Couple.safety_flagged_at.is_(None), Couple.safety_flagged_at.desc(),
                  Couple.created_at.desc(), Couple.id.desc())
        .limit(per_page)
        .offset((number - 1) * per_page)
    )
    return CouplePage(list(couples), number, pages, total, archived)


def slot_statuses(couple: Couple, now: datetime | None = None) -> list[SlotStatus]:
    """For each partner: joined, or the state of their newest invitation link."""
    now = now or utcnow()
    statuses = []
    for slot in SLOTS:
        name = couple.name_of(slot)
        if couple.has_left(slot):  # deleted their account (docs/leaving.md): the seat is not offered again
            statuses.append(SlotStatus(slot, name, "left"))
            continue
        if getattr(couple, f"partner_{slot}_id") is not None:
            statuses.append(SlotStatus(slot, name, "joined"))
            continue
        latest = max((i for i in couple.invitations if i.slot == slot), key=lambda i: i.id, default=None)
        if latest is None:
            statuses.append(SlotStatus(slot, name, "none"))
        else:
            statuses.append(SlotStatus(slot, name, latest.status(now), as_utc(latest.expires_at)))
    return statuses


# -- changes --------------------------------------------------------------------------------


def create_couple(
    counselor: User, *, partner_a_name: str, partner_b_name: str, timezone: str,
    languages: Mapping[str, str | None] | None = None,
) -> tuple[Couple, dict[str, str]]:
    """Create a couple and one invitation per partner; returns the couple and ``{slot: token}``.

    ``languages`` (slot -> code, optional): what the counselor knows of each partner's language; their
    invitation page opens in it (unless the visitor picked one) and offers it for their account."""
    languages = languages or {}
    if not counselor.is_counselor:
        raise CoupleError(_("Only counselors can create couples."))
    for name in (partner_a_name, partner_b_name):
        problem = check_name(name)
        if problem:
            raise CoupleError(problem)
    if timezone not in timezone_names():
        raise CoupleError(_("Choose a time zone from the list."))
    if any(language not in (None, *LANGUAGES) for language in languages.values()):
        raise CoupleError(_("Choose a language from the list."))
    couple = Couple(
        counselor_id=counselor.id,
        partner_a_name=partner_a_name.strip(),
        partner_b_name=partner_b_name.strip(),
        timezone=timezone,
    )
    db.session.add(couple)
    db.session.flush()
    audit(counselor, "couple.created", f"couple:{couple.id}")
    tokens = {slot: _issue(counselor, couple, slot, languages.get(slot)) for slot in SLOTS}
    db.session.commit()
    return couple, tokens


def revoke_invitation(counselor: User, couple: Couple, invitation_id: int) -> Invitation:
    """Revoke one open link of ``couple``; raises :class:`CoupleError` if it is not open."""
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.couple_id != couple.id:
        raise CoupleError(_("That link does not belong to this couple."))
    if invitation.status(utcnow()) != "open":
        raise CoupleError(_("That link is no longer open, so there is nothing to revoke."))
    invitation.revoked_at = utcnow()
    audit(counselor, "invitation.revoked", f"invitation:{invitation.id}", f"couple:{couple.id} slot:{invitation.slot}")
    db.session.commit()
    return invitation


def reissue_invitation(counselor: User, couple: Couple, slot: str) -> str:
    """Revoke the partner's open links and issue a new one; returns the new token."""
    if slot not in SLOTS:
        raise CoupleError(_("Unknown partner."))
    ensure_not_archived(couple)
    if getattr(couple, f"partner_{slot}_id") is not None:
        raise CoupleError(_("%(name)s has already joined; no new link is needed.", name=couple.name_of(slot)))
    now = utcnow()
    earlier = sorted((invitation for invitation in couple.invitations if invitation.slot == slot), key=lambda i: i.id)
    for invitation in earlier:
        if invitation.status(now) == "open":
            invitation.revoked_at = now
            audit(counselor, "invitation.revoked", f"invitation:{invitation.id}", f"couple:{couple.id} slot:{slot}")
    token = _issue(counselor, couple, slot, earlier[-1].language if earlier else None)  # the language noted stays
    db.session.commit()
    return token


def _issue(counselor: User, couple: Couple, slot: str, language: str | None) -> str:
    """Add (not commit) a fresh invitation for ``slot`` (``language``: the one noted for the partner);
    returns its token."""
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        couple=couple,
        slot=slot,
        language=language,
        token_hash=hash_token(token),
        expires_at=utcnow() + timedelta(days=current_app.config["INVITATION_DAYS"]),
    )
    db.session.add(invitation)
    db.session.flush()
    audit(counselor, "invitation.issued", f"invitation:{invitation.id}", f"couple:{couple.id} slot:{slot}")
    return token


def open_invitation(token: str) -> Invitation:
    """The invitation behind ``token`` if it can still be used; else :class:`InvitationUnavailable`."""
    invitation = db.session.scalar(select(Invitation).where(Invitation.token_hash == hash_token(token)))
    if invitation is None:
        raise InvitationUnavailable("unknown")
    state = invitation.status(utcnow())
    if state != "open":
        raise InvitationUnavailable(state)
    return invitation


def accept_invitation(token: str, *, email: str, password: str) -> User:
    """Create the partner's account from an open link and seat them in the couple, atomically.

    Either everything is written (user, link marked used, couple seat, audit)
    or nothing is. Two acceptances racing for one link cannot both succeed:
    the link is claimed with a conditional UPDATE and only a claim that
    changed exactly one row goes on.
    """
    invitation = open_invitation(token)
    couple = invitation.couple
    slot = invitation.slot
    try:
        if getattr(couple, f"partner_{slot}_id") is not None:
            raise InvitationUnavailable("used")
        now = utcnow()
        claimed = db.session.execute(
            update(Invitation)
            .where(Invitation.id == invitation.id, Invitation.used_at.is_(None), Invitation.revoked_at.is_(None))
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:
            raise InvitationUnavailable("used")
        user = new_user(email=email, display_name=couple.name_of(slot), password=password, role="partner")
        setattr(couple, f"partner_{slot}_id", user.id)
        audit(user, "invitation.accepted", f"invitation:{invitation.id}", f"couple:{couple.id} slot:{slot}")
        db.session.commit()
    except (InvitationUnavailable, AccountError):
        db.session.rollback()
        raise
    except IntegrityError as error:  # the seat was taken through another link at the same moment
        db.session.rollback()
        raise InvitationUnavailable("used") from error
    return user


# -- archiving (accounts) ------------------------------------------------------------------------


def ensure_not_archived(couple: Couple) -> None:
    """Raise :class:`CoupleError` when ``couple`` is archived: nothing new starts for it."""
    if couple.archived_at is not None:
        raise CoupleError(_("This couple is archived. Bring it back first."))


def archived_couples_of(counselor: User) -> list[Couple]:
    """The counselor's archived couples, most recently archived first (one query)."""
    return list(db.session.scalars(
        select(Couple).where(Couple.counselor_id == counselor.id, Couple.archived_at.is_not(None))
        .order_by(Couple.archived_at.desc(), Couple.id.desc())))


def archive_couple(counselor: User, couple: Couple) -> None:
    """Archive the counselor's couple: read-only and off the desk, its open invitation links revoked.

    Refused, with nothing changed, while it is already archived, while a live session is under way
    (its partners would lose it mid-way) or while a follow-up still has times to come (reminders
    would go on arriving): the counselor finishes or cancels those first.
    """
    ensure_not_archived(couple)
    if open_sessions(couple):
        raise CoupleError(_("A live session is under way. Archive the couple once it has ended."))
    if _has_followups_to_come(couple):
        raise CoupleError(_("This couple still has follow-ups to come. Cancel them first, then archive."))
    now = utcnow()
    for invitation in couple.invitations:
        if invitation.status(now) == "open":
            invitation.revoked_at = now
            audit(counselor, "invitation.revoked", f"invitation:{invitation.id}",
                  f"couple:{couple.id} slot:{invitation.slot}")
    couple.archived_at = now
    audit(counselor, "couple.archived", f"couple:{couple.id}")
    db.session.commit()


def restore_couple(counselor: User, couple: Couple) -> None:
    """Bring an archived couple back to the desk; refused if it is not archived."""
    if couple.archived_at is None:
        raise CoupleError(_("This couple is not archived."))
    couple.archived_at = None
    audit(counselor, "couple.restored", f"couple:{couple.id}")
    db.session.commit()


def _has_followups_to_come(couple: Couple) -> bool:
    """Whether a follow-up of ``couple`` that is not cancelled still has a time ahead."""
    return db.session.scalar(
        select(FollowupOccurrence.id).join(Followup, FollowupOccurrence.followup_id == Followup.id)
        .where(Followup.couple_id == couple.id, Followup.cancelled_at.is_(None),
               FollowupOccurrence.cancelled_at.is_(None), FollowupOccurrence.started_at.is_(None),
               FollowupOccurrence.due_at > utcnow())
        .limit(1)) is not None
