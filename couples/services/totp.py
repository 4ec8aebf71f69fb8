"""Counselor time-based one-time passwords (RFC 6238, with pyotp) and single-use recovery codes.

The secret is kept on the user; a code is accepted within one 30-second step either side and
never twice (``User.totp_last_step``). Recovery codes are random, shown once, stored only as
their SHA-256 and used up by a conditional UPDATE, so two requests cannot both use one.
Every function that changes something commits once.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from datetime import UTC, datetime

import pyotp
import segno
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from ..extensions import db
from ..models import RecoveryCode, User, audit, utcnow

ISSUER = "Couples workshop"
RECOVERY_CODES = 10
CODE_PATTERN = re.compile(r"^[0-9]{6}$")  # ASCII only: "²" is a digit to \d
_SEPARATORS = re.compile(r"[\s-]+")


def pending_secret(user: User) -> str:
    """The secret ``user`` is setting up: the one shown before, until confirmed, else a fresh one
    (160 bits). It lives on the user's row, not in the session cookie, which anyone holding it can read."""
    if not user.totp_pending_secret:
        user.totp_pending_secret = pyotp.random_base32(32)
        db.session.commit()
    return user.totp_pending_secret


def setup_uri(user: User, secret: str) -> str:
    """The ``otpauth://`` address authenticator apps read from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The QR code of ``uri`` as inline SVG markup (no image request, nothing the CSP must allow)."""
    return segno.make(uri, error="m").svg_inline(scale=5, border=4, title=_("QR code for your authenticator app"))


def has_totp(user: User) -> bool:
    return bool(user.totp_secret)


def required_for(user: User) -> bool:
    """Whether this deployment (``COUPLES_REQUIRE_TOTP``) makes ``user`` set up TOTP before anything else."""
    return bool(current_app.config.get("REQUIRE_TOTP")) and user.is_counselor and not has_totp(user)


def _normalised(code: str) -> str:
    return _SEPARATORS.sub("", code or "").lower()


def _hash(code: str) -> str:
    return hashlib.sha256(_normalised(code).encode()).hexdigest()


def _matching_step(secret: str, code: str, now: float) -> int | None:
    """The time step (30 s) ``code`` belongs to, allowing one step of clock drift either way."""
    if not CODE_PATTERN.match(code):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(datetime.fromtimestamp(now, UTC))
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def enable(user: User, code: str, now: float | None = None) -> list[str] | None:
    """Turn TOTP on with the pending secret if ``code`` proves the app has it; returns the new
    recovery codes (shown once, never stored in clear), or None when the code is wrong."""
    secret = user.totp_pending_secret
    step = _matching_step(secret, _normalised(code), time.time() if now is None else now) if secret else None
    if step is None:
        return None
    user.totp_secret, user.totp_pending_secret, user.totp_last_step = secret, None, step
    codes = _new_recovery_codes(user)
    audit(user, "auth.totp_enabled", f"user:{user.id}")
    db.session.commit()
    return codes


def _new_recovery_codes(user: User) -> list[str]:
    """Replace ``user``'s recovery codes with fresh ones (the caller commits)."""
    db.session.execute(RecoveryCode.__table__.delete().where(RecoveryCode.user_id == user.id))
    codes = [f"{secrets.token_hex(4)}-{secrets.token_hex(4)}" for _ in range(RECOVERY_CODES)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash(code)) for code in codes)
    return codes


def recovery_codes_left(user: User) -> int:
    return db.session.scalar(select(func.count()).where(RecoveryCode.user_id == user.id,
                                                        RecoveryCode.used_at.is_(None))) or 0


def check_second_factor(user: User, code: str, now: float | None = None) -> bool:
    """Whether ``code`` (a current TOTP code or an unused recovery code) completes ``user``'s login.

    A TOTP code already accepted, and a recovery code already used, are refused. Audited.
    """
    entered = _normalised(code)
    accepted = _accept_totp(user, entered, time.time() if now is None else now) if CODE_PATTERN.match(entered) \
        else _use_recovery_code(user, entered)
    audit(user if accepted else None, "auth.second_factor" if accepted else "auth.second_factor_failed",
          f"user:{user.id}")
    db.session.commit()
    return accepted


def _accept_totp(user: User, code: str, now: float) -> bool:
    step = _matching_step(user.totp_secret or "", code, now) if user.totp_secret else None
    if step is None:
        return False
    # Conditional: of two requests with the same code, only one moves the step on.
    moved = db.session.execute(update(User).where(
        User.id == user.id, (User.totp_last_step.is_(None)) | (User.totp_last_step < step)).values(totp_last_step=step))
    return moved.rowcount == 1


def _use_recovery_code(user: User, code: str) -> bool:
    used = db.session.execute(update(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _hash(code), RecoveryCode.used_at.is_(None),
    ).values(used_at=utcnow()))
    return used.rowcount == 1
