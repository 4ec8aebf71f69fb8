"""Getting back in: password-reset links (made by the counselor, or asked for by e-mail) and
changing a password.

Only the SHA-256 of a reset token is stored, like invitations: the functions that make a link
return its token once. A link works once and for ``RESET_HOURS``; making a new one for the same
person, or using any, closes every other open link of theirs. A new password ends every login of
that person on every device (:func:`accounts.end_logins`).
"""

from __future__ import annotations

import logging
import secrets
import smtplib
from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage

import click
from flask import current_app, url_for
from flask.cli import with_appcontext
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from ..config import SmtpSettings
from ..extensions import db, socketio
from ..models import Couple, PasswordReset, User, audit, hash_token, utcnow
from .accounts import AccountError, check_password, end_logins, user_by_email

log = logging.getLogger(__name__)

EMAIL_RESETS_PER_WINDOW = 3
EMAIL_RESET_WINDOW = timedelta(minutes=15)
"""At most this many e-mailed links per address in this window, whoever asks: no mail bombing."""


class ResetUnavailable(Exception):
    """The reset link cannot be used (unknown, used, superseded or expired); one answer for all."""


def _expiry() -> timedelta:
    return timedelta(hours=current_app.config["RESET_HOURS"])


def _issue(user: User, issued_by: User | None) -> str:
    """Add (not commit) a fresh link for ``user``, closing their older open ones; returns its token."""
    now = utcnow()
    _close_open_links(user.id, now)
    token = secrets.token_urlsafe(32)
    db.session.add(PasswordReset(user_id=user.id, issued_by_id=issued_by.id if issued_by else None,
                                 token_hash=hash_token(token), expires_at=now + _expiry(), created_at=now))
    return token


def _close_open_links(user_id: int, now: datetime) -> None:
    db.session.execute(update(PasswordReset)
                       .where(PasswordReset.user_id == user_id, PasswordReset.used_at.is_(None))
                       .values(used_at=now)
                       .execution_options(synchronize_session=False))


def issue_for_partner(counselor: User, couple: Couple, slot: str) -> str:
    """A reset link for a partner of the counselor's couple who has joined; returns its token.

    Raises :class:`AccountError` (a sentence to show) when that partner has not joined.
    """
    partner_id = getattr(couple, f"partner_{slot}_id")
    if couple.counselor_id != counselor.id or partner_id is None:
        raise AccountError(_("%(name)s has not joined yet: send an invitation link instead.",
                             name=couple.name_of(slot)))
    partner = db.session.get(User, partner_id)
    token = _issue(partner, counselor)
    audit(counselor, "password_reset.issued", f"user:{partner_id}", f"couple:{couple.id} slot:{slot}")
    db.session.commit()
    return token


def request_by_email(email: str, link_for: Callable[[str], str], smtp: SmtpSettings) -> None:
    """E-mail a reset link to ``email`` if an account has it; otherwise do nothing, silently.

    The caller answers the same either way, and the mail leaves in a background task, so
    neither the answer nor its timing says whether the address has an account.
    """
    user = user_by_email(email)
    if user is None or not smtp.enabled or _recently_mailed(user.id):
        audit(None, "password_reset.email_not_sent", "reset")
        db.session.commit()
        return
    token = _issue(user, None)
    audit(user, "password_reset.emailed", f"user:{user.id}")
    db.session.commit()
    with force_locale(user.language):  # the e-mail speaks its recipient's language, not the asker's
        message = reset_message(smtp, user.email, link_for(token))
    socketio.start_background_task(send_message, smtp, message)



def _recently_mailed(user_id: int) -> bool:
    since = utcnow() - EMAIL_RESET_WINDOW
    sent = db.session.scalar(select(func.count()).select_from(PasswordReset).where(
        PasswordReset.user_id == user_id, PasswordReset.issued_by_id.is_(None), PasswordReset.created_at >= since))
    return (sent or 0) >= EMAIL_RESETS_PER_WINDOW


def reset_message(smtp: SmtpSettings, to: str, link: str) -> EmailMessage:
    """The e-mail: the link and how long it works, nothing about anyone's sessions."""
    message = EmailMessage()
    message["From"] = smtp.sender
    message["To"] = to
    message["Subject"] = _("Choose a new password")
    message.set_content("\n\n".join([
        _("Someone asked to choose a new password for this e-mail address. If it was you, open this link:"),
        link,
        _("It works once, for %(hours)s hours. If it was not you, ignore this e-mail: nothing changes.",
          hours=current_app.config["RESET_HOURS"]),
    ]) + "\n")
    return message


def send_message(smtp: SmtpSettings, message: EmailMessage) -> bool:
    """Send one e-mail; False (and a log line, without the link) when it could not be sent."""
    try:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=15) as connection:
            if smtp.starttls:
                connection.starttls()
            if smtp.username:
                connection.login(smtp.username, smtp.password)
            connection.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        log.warning("password-reset e-mail not sent: %s", error)
        return False
    return True


def open_reset(token: str) -> PasswordReset:
    """The reset behind ``token`` if it still works; else :class:`ResetUnavailable`."""
    reset = db.session.scalar(select(PasswordReset).where(PasswordReset.token_hash == hash_token(token)))
    if reset is None or not reset.is_open(utcnow()):
        raise ResetUnavailable()
    return reset


def complete_reset(token: str, password: str) -> User:
    """Set a new password through an open link, close every link of that person and end every
    login of theirs. The link is claimed with a conditional UPDATE, so it works exactly once
    even when two tabs send it at the same moment."""
    problem = check_password(password)
    if problem:
        raise AccountError(problem)
    reset = open_reset(token)
    user_id, now = reset.user_id, utcnow()
    claimed = db.session.execute(update(PasswordReset)
                                 .where(PasswordReset.id == reset.id, PasswordReset.used_at.is_(None))
                                 .values(used_at=now)
                                 .execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        db.session.rollback()
        raise ResetUnavailable()
    _close_open_links(user_id, now)
    user = db.session.get(User, user_id)
    user.set_password(password)
    end_logins(user, "auth.password_reset")  # commits the claim, the password and the audit entry together
    return user


def change_password(user: User, current: str, new: str) -> None:
    """Change a logged-in person's password; the current one must be right. Ends every login
    of theirs (the caller starts a fresh one for the device that asked)."""
    if not user.check_password(current):
        raise AccountError(_("That is not your current password."))
    problem = check_password(new)
    if problem:
        raise AccountError(problem)
    user.set_password(new)
    _close_open_links(user.id, utcnow())
    end_logins(user, "auth.password_changed")


def public_link(token: str) -> str:
    """The absolute reset address on the configured public address (``COUPLES_PUBLIC_URL``): never
    on the Host a visitor's request claimed, so nobody can make the app mail a link to their site."""
    with current_app.test_request_context(base_url=current_app.config["SETTINGS"].public_url):
        return url_for("account.reset_password", token=token, _external=True)


@click.command("password-link")
@click.argument("email")
@with_appcontext
def password_link_command(email: str) -> None:
    """Print a single-use password link for the account with EMAIL (for the operator, e.g. for a
    counselor who forgot their password where no SMTP server is set)."""
    user = user_by_email(email)
    if user is None:
        raise click.ClickException(f"No account has the e-mail address {email}.")
    token = _issue(user, None)
    audit(None, "password_reset.issued_by_operator", f"user:{user.id}", "via cli")
    db.session.commit()
    click.echo(f"Password link for {user.email}, valid for {current_app.config['RESET_HOURS']} hours, once:")
    click.echo(public_link(token))
