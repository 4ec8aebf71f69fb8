"""Signing up, logging in and out, joining through an invitation link, and the access helpers.

Access rule: anything a person may not see answers 404, never 403, so the
answer never reveals that a couple exists.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf.csrf import generate_csrf

from ..extensions import limiter, login_manager
from ..i18n import shown_language, visitor_language
from ..forms import AcceptInvitationForm, LoginForm, SignupForm
from ..models import Couple, Invitation, User
from ..services import accounts, totp
from ..services import couples as couple_service
from ..services.reminders import smtp_settings

bp = Blueprint("auth", __name__)

F = TypeVar("F", bound=Callable[..., Any])

# The login's generation, kept in the session cookie beside Flask-Login's user id.
LOGIN_GENERATION = "login_generation"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Flask-Login keeps the user id in the session; this turns it back into the user.

    Runs on every request and every socket connect. A login made before the
    user's logins were last revoked (``accounts.end_logins``) no longer counts,
    whoever holds a copy of its cookie.
    """
    try:
        user = accounts.user_by_id(int(user_id))
    except ValueError:
        return None
    if user is None or session.get(LOGIN_GENERATION, 0) != user.session_generation:
        return None
    return user


# -- access helpers ---------------------------------------------------------------------------


def counselor_required(view: F) -> F:
    """Only logged-in counselors get through; partners get a 404."""

    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_counselor:
            abort(404)
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def partner_required(view: F) -> F:
    """Only logged-in partners get through; counselors get a 404."""

    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_user.role != "partner":
            abort(404)
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def couple_for_counselor_or_404(couple_id: int) -> Couple:
    """The current counselor's couple with this id, or a 404 for anyone else."""
    couple = couple_service.couple_for_counselor(current_user, couple_id)
    if couple is None:
        abort(404)
    return couple


def couple_for_partner_or_404() -> Couple:
    """The current partner's own couple, or a 404."""
    couple = couple_service.couple_for_partner(current_user)
    if couple is None:
        abort(404)
    return couple


def home_url(user: User) -> str:
    """Where a logged-in person starts."""
    return url_for("counselor.home") if user.is_counselor else url_for("partner.home")


def _local_path(target: str | None) -> str | None:
    """``target`` if it is a path on this site (never another host), else None."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _start_session(user: User) -> None:
    """A fresh session for a fresh login: nothing from before survives (no session fixation)."""
    session.clear()
    login_user(user)
    session[LOGIN_GENERATION] = user.session_generation
    session.permanent = True  # PERMANENT_SESSION_LIFETIME is the idle timeout, refreshed each request


# -- counselor TOTP: a password alone does not log in; the code page is in web/account.py -------

PENDING_LOGIN = "pending_login"


def _ask_for_code(user: User):
    """Remember (in a fresh session) whose password was right, and ask for their code."""
    session.clear()
    session[PENDING_LOGIN] = {"user_id": user.id, "generation": user.session_generation, "tries": 0,
                              "since": time.time()}
    return redirect(url_for("account.login_code", next=_local_path(request.args.get("next"))))


# -- routes -----------------------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT"], methods=["POST"])
def login():
    """Log in by email (any case) and password, then go on to ``next`` (a path on this site) or home."""
    if current_user.is_authenticated:  # e.g. "Log in again" on a page whose login another tab renewed
        return redirect(_local_path(request.args.get("next")) or home_url(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is not None and totp.has_totp(user):
            return _ask_for_code(user)
        if user is not None:
            _start_session(user)
            return redirect(_local_path(request.args.get("next")) or home_url(user))
        form.password.errors.append(_("That email and password don't match. Please try again."))
    return render_template("auth/login.html", form=form, email_resets=smtp_settings().enabled)


@bp.route("/logout", methods=["POST"])
def logout():
    """End every login of this account, on every device, and close its live connections.

    A POST with a CSRF token, so no other site can log you out.
    """
    if current_user.is_authenticated:  # CSRFProtect has already checked the token
        accounts.end_logins(current_user)
    logout_user()
    session.clear()
    flash(_("You are logged out."))
    return redirect(url_for("auth.login"))


@bp.post("/login/refresh")
def refresh_login():
    """Keep the login alive while a partner acts in a live session.

    Socket.IO traffic never touches the session cookie, so the live page calls
    this (CSRF token in the ``X-CSRFToken`` header) on the partner's own actions,
    at most every few minutes; heartbeats and an open tab never do, so a device
    left alone still times out. Answers with a fresh cookie and a fresh CSRF
    token for the next call, or 401 when the login has already ended.
    """
    if not current_user.is_authenticated:
        message = _("You have been logged out. Please log in again.")
        return {"error": {"code": "unauthorized", "message": message}}, 401
    return {"csrf_token": generate_csrf()}  # answering refreshes the cookie (SESSION_REFRESH_EACH_REQUEST)


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT"], methods=["POST"])
def signup():
    """Counselor sign-up."""
    if current_user.is_authenticated:
        return redirect(home_url(current_user))
    form = SignupForm(language=shown_language())
    if form.validate_on_submit():
        try:
            user = accounts.create_counselor(email=form.email.data, display_name=form.display_name.data,
                                             password=form.password.data, language=form.language.data)
        except accounts.AccountError as error:
            form.email.errors.append(str(error))
        else:
            _start_session(user)
            with force_locale(user.language):
                flash(_("Welcome! Your counselor account is ready."))
            return redirect(url_for("counselor.home"))
    return render_template("auth/signup.html", form=form)


@bp.route("/invite/<token>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT"], methods=["POST"])
def accept_invitation(token: str):
    """A partner joins their couple through their single-use link, reading it in the language their
    counselor noted for them (a language they picked in the header, or their own account's, wins)."""
    try:
        invitation = couple_service.open_invitation(token)
    except couple_service.InvitationUnavailable as gone:
        return _invitation_gone(gone.reason)
    with force_locale(shown_language() if current_user.is_authenticated else visitor_language(invitation.language)):
        return _invitation_page(token, invitation)


def _invitation_page(token: str, invitation: Invitation):
    """The invitation's form, and joining through it (see :func:`accept_invitation`)."""
    form = AcceptInvitationForm(language=shown_language())
    if form.validate_on_submit():
        try:
            user = couple_service.accept_invitation(token, email=form.email.data, password=form.password.data)
        except couple_service.InvitationUnavailable as gone:
            return _invitation_gone(gone.reason)
        except accounts.AccountError as error:
            form.email.errors.append(str(error))
        else:
            accounts.set_language(user, form.language.data)
            _start_session(user)
            with force_locale(user.language):
                flash(_("Welcome, %(name)s. You have joined.", name=user.display_name))
            return redirect(url_for("partner.home"))
    couple = invitation.couple
    return render_template(
        "auth/invite.html",
        form=form,
        couple=couple,
        name=couple.name_of(invitation.slot),
        counselor_name=couple.counselor.display_name,
        logged_in_as=current_user if current_user.is_authenticated else None,
    )


INVITATION_GONE = {
    "used": (lazy_gettext("This link has already been used"),
             lazy_gettext("Each invitation link works only once, and this one has been used.")),
    "expired": (lazy_gettext("This link has expired"),
                lazy_gettext("Invitation links work for a limited number of days, and this one is too old.")),
    "revoked": (lazy_gettext("This link was cancelled"),
                lazy_gettext("Your counselor cancelled this link, usually because they made a newer one.")),
    "unknown": (
        lazy_gettext("We don't recognise this link"),
        lazy_gettext("It may be incomplete: links are long, and email or chat apps sometimes cut them off."),
    ),
}


def _invitation_gone(reason: str):
    """Say what happened to the link and what to do; 404 if it never existed, else 410 (gone)."""
    heading, explanation = (str(text) for text in INVITATION_GONE[reason])
    status = 404 if reason == "unknown" else 410
    return render_template("auth/invite_gone.html", reason=reason, heading=heading, explanation=explanation), status
