"""Accounts: counselor sign-up, logging in, and the demo data.

Every function here that changes something commits once; callers (routes, CLI
commands, tests) never commit for it.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable

from flask_babel import gettext as _
from flask_babel import lazy_gettext
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..i18n import DEFAULT_LANGUAGE, LANGUAGES
from ..models import Couple, User, audit
from ..realtime import publisher
from . import live

PASSWORD_MIN = 10
PASSWORD_MAX = 128
NAME_MAX = 60
EMAIL_MAX = 254
# Deliberately loose: one @, something on each side, a dot in the domain, no spaces.
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

DEMO_COUNSELOR_EMAIL = "demo-counselor@example.org"
DEMO_PARTNERS = (("a", "Alex", "demo-alex@example.org"), ("b", "Sam", "demo-sam@example.org"))
DEMO_TIMEZONE = "America/New_York"


class AccountError(ValueError):
    """Input a person can fix; ``str(error)`` is safe to show them."""


class EmailInUse(AccountError):
    """Another account already has this email address."""

    def __init__(self) -> None:
        super().__init__(lazy_gettext("An account with that email already exists."))


def normalize_email(email: str) -> str:
    """Emails are compared case-insensitively, so they are stored lower-cased."""
    return email.strip().lower()


def check_email(email: str) -> str | None:
    """A sentence saying what is wrong with ``email``, or None when it looks usable."""
    if not EMAIL_PATTERN.match(email) or len(email) > EMAIL_MAX:
        return _("Enter an email address like name@example.org.")
    return None


def check_password(password: str) -> str | None:
    """A sentence saying what is wrong with ``password``, or None when it is acceptable."""
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        return _("Use between %(min)s and %(max)s characters.", min=PASSWORD_MIN, max=PASSWORD_MAX)
    return None


def check_name(name: str) -> str | None:
    """A sentence saying what is wrong with a display name, or None."""
    if not 1 <= len(name.strip()) <= NAME_MAX:
        return _("Use between %(min)s and %(max)s characters.", min=1, max=NAME_MAX)
    return None


def user_by_id(user_id: int) -> User | None:
    """The user with this id, or None (used by the session loader)."""
    return db.session.get(User, user_id)


def user_by_email(email: str) -> User | None:
    """The user with this email, compared case-insensitively."""
    return db.session.scalar(select(User).where(func.lower(User.email) == normalize_email(email)))


def email_in_use(email: str) -> bool:
    """Whether an account already uses ``email``."""
    return user_by_email(email) is not None


def new_user(*, email: str, display_name: str, password: str, role: str, language: str = DEFAULT_LANGUAGE) -> User:
    """Add (not commit) a user reading ``language``; raises :class:`EmailInUse` if the email is taken."""
    email = normalize_email(email)
    for problem in (check_email(email), check_password(password), check_name(display_name)):
        if problem:
            raise AccountError(problem)
    if email_in_use(email):
        raise EmailInUse()
    user = User(email=email, display_name=display_name.strip(), role=role,
                language=language if language in LANGUAGES else DEFAULT_LANGUAGE)
    user.set_password(password)
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError as error:  # someone took the email between the check and the insert
        db.session.rollback()
        raise EmailInUse() from error
    return user


def create_counselor(*, email: str, display_name: str, password: str, via: str = "web",
                     language: str = DEFAULT_LANGUAGE) -> User:
    """Create a counselor account reading ``language`` and record the sign-up in the audit log."""
    user = new_user(email=email, display_name=display_name, password=password, role="counselor",
                    language=language)
    audit(user, "counselor.signed_up", f"user:{user.id}", f"via {via}")
    db.session.commit()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The user if the email and password match, else None; both outcomes are audited.

    A failed attempt is recorded without a user id, so the log does not say
    whether the email belongs to an account.
    """
    user = user_by_email(email)
    if user is not None and user.check_password(password):
        audit(user, "auth.login", f"user:{user.id}")
        db.session.commit()
        return user
    audit(None, "auth.login_failed", "login")
    db.session.commit()
    return None


def set_language(user: User, language: str) -> None:
    """Change the language ``user`` reads the app in (one of ``LANGUAGES``); the next page is in it.

    Live sessions remember each seat's language; ``live.language_changed`` tells them, so the
    person's next snapshot comes in the new language.
    """
    if language not in LANGUAGES:
        raise AccountError(_("Choose one of the languages offered."))
    if user.language == language:
        return
    user.language = language
    live.language_changed(user.id)
    db.session.commit()


def end_logins(user: User, action: str = "auth.logout") -> None:
    """Revoke every login of ``user`` on every device, and close their open sockets.

    Each login carries the generation it was made in (``User.session_generation``);
    bumping it makes every earlier login, and every copy of its cookie, stale.
    Logging out calls this; so must a password change or reset and a removed
    account, each with its own audit ``action``.
    """
    db.session.execute(
        update(User).where(User.id == user.id).values(session_generation=User.session_generation + 1)
    )
    audit(user, action, f"user:{user.id}")
    db.session.commit()
    publisher.sign_out(user.id)


def ensure_demo(password_factory: Callable[[], str] = lambda: secrets.token_urlsafe(9)) -> dict:
    """Create or refresh the demo counselor and the joined demo couple "Alex & Sam".

    Runs any number of times without duplicating anything; every run sets fresh
    passwords. Returns ``{"couple_id": int, "accounts": [{"role", "name",
    "email", "password"}, ...]}`` with the counselor first.
    """
    accounts = []
    counselor = _demo_user(DEMO_COUNSELOR_EMAIL, "Demo Counselor", "counselor", password_factory(), accounts)
    couple = db.session.scalar(
        select(Couple)
        .where(Couple.counselor_id == counselor.id, Couple.partner_a_name == "Alex", Couple.partner_b_name == "Sam")
        .order_by(Couple.id)
    )
    if couple is None:
        couple = Couple(counselor=counselor, partner_a_name="Alex", partner_b_name="Sam", timezone=DEMO_TIMEZONE)
        db.session.add(couple)
        db.session.flush()
    for slot, name, email in DEMO_PARTNERS:
        partner = _demo_user(email, name, "partner", password_factory(), accounts)
        for other in db.session.scalars(
            select(Couple).where(
                Couple.id != couple.id, (Couple.partner_a_id == partner.id) | (Couple.partner_b_id == partner.id)
            )
        ):  # a partner belongs to exactly one couple
            if other.partner_a_id == partner.id:
                other.partner_a_id = None
            else:
                other.partner_b_id = None
        db.session.flush()
        setattr(couple, f"partner_{slot}_id", partner.id)
    audit(counselor, "demo.refreshed", f"couple:{couple.id}")
    db.session.commit()
    return {"couple_id": couple.id, "accounts": accounts}


def _demo_user(email: str, name: str, role: str, password: str, accounts: list[dict]) -> User:
    user = user_by_email(email)
    if user is None:
        user = User(email=email, display_name=name, role=role)
        db.session.add(user)
    user.display_name = name
    user.role = role
    user.set_password(password)
    db.session.flush()
    accounts.append({"role": role, "name": name, "email": email, "password": password})
    return user
