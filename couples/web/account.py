"""Getting back in and knowing what the counselor sees: password-reset links, changing a
password, and the partners' page about what their counselor can see (accepted once, before
their first session).

Reset links carry their token in the path like invitations; the request log redacts it
(``couples/requestlog.py``) and pages send no Referer.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..extensions import limiter
from ..forms import ChangePasswordForm, ConsentForm, NewPasswordForm, ResetRequestForm
from ..services import consent, passwords
from ..services.accounts import AccountError
from ..services.reminders import smtp_settings
from .auth import _local_path, _start_session, home_url

bp = Blueprint("account", __name__)


def email_resets_enabled() -> bool:
    """Whether anyone may ask for a reset link by e-mail (only where SMTP is set)."""
    return smtp_settings().enabled


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT"], methods=["POST"])
def request_reset():
    """Ask for a reset link by e-mail; the same answer whether or not the address has an account."""
    if not email_resets_enabled():
        abort(404)
    form = ResetRequestForm()
    if form.validate_on_submit():
        passwords.request_by_email(form.email.data, passwords.public_link, smtp_settings())
        return render_template("account/reset_sent.html", hours=current_app.config["RESET_HOURS"])
    return render_template("account/reset_request.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT"], methods=["POST"])
def reset_password(token: str):
    """Choose a new password through a single-use link; every other login of that person ends."""
    try:
        passwords.open_reset(token)
    except passwords.ResetUnavailable:
        return _reset_gone()
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            user = passwords.complete_reset(token, form.password.data)
        except passwords.ResetUnavailable:
            return _reset_gone()
        except AccountError as error:
            form.password.errors.append(str(error))
        else:
            _start_session(user)
            flash(_("Your new password is saved. You are logged in; every other device was logged out."))
            return redirect(home_url(user))
    return render_template("account/new_password.html", form=form, heading=_("Choose a new password"),
                           intro=_("This link works once. When you save, you are logged in here and logged out "
                                   "everywhere else."))


def _reset_gone():
    return render_template("account/reset_gone.html", email_resets=email_resets_enabled()), 410


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change one's own password (the current one first); every other login of this person ends."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()  # the user itself: the login is about to be renewed
        try:
            passwords.change_password(user, form.current.data, form.password.data)
        except AccountError as error:
            form.current.errors.append(str(error))
        else:
            _start_session(user)
            flash(_("Your password is changed. Every other device where you were logged in is logged out."))
            return redirect(home_url(user))
    return render_template("account/new_password.html", form=form, heading=_("Change your password"),
                           intro=_("When you save, every other device where you are logged in is logged out."))


@bp.route("/account/what-your-counselor-sees", methods=["GET", "POST"])
@login_required
def what_counselor_sees():
    """What a partner's counselor can see, and what nobody else ever sees; partners accept it once
    before their first session, then go on to ``next`` (a path on this site)."""
    form = ConsentForm()
    needed = consent.needs_consent(current_user)
    if needed and form.validate_on_submit():
        consent.accept(current_user)
        flash(_("Thank you. You can start or join a session now."))
        return redirect(_local_path(request.args.get("next")) or home_url(current_user))
    return render_template("account/what_counselor_sees.html", form=form, needed=needed,
                           accepted_at=current_user.consent_accepted_at)


def consent_page(next_path: str) -> str:
    """Where a partner who has not yet accepted is sent, to come back to ``next_path`` after."""
    return url_for("account.what_counselor_sees", next=next_path)
