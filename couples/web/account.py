"""A person's own account: getting back in (password-reset links, changing a password), the
partners' page about what their counselor can see (accepted once, before their first session),
leaving (deleting the account), and counselors' one-time passwords.

Reset links carry their token in the path like invitations; the request log redacts it
(``couples/requestlog.py``) and pages send no Referer. Deleting needs the password again and
explains first what happens (docs/leaving.md). TOTP: setting it up shows a QR code (inline SVG) and
the secret as text, then the recovery codes once; logging in asks for a code after the password
(``auth.login`` sends people here); with ``COUPLES_REQUIRE_TOTP=1`` a counselor without TOTP is
led to set it up before anything else.
"""

from __future__ import annotations

import time

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_login import current_user, login_required, logout_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length

from ..extensions import limiter
from ..forms import ChangePasswordForm, ConsentForm, LanguageForm, NewPasswordForm, ResetRequestForm
from ..services import accounts, consent, leaving, passwords, totp
from ..services.accounts import PASSWORD_MAX, AccountError
from ..services.reminders import smtp_settings
from .auth import PENDING_LOGIN, _ask_for_code, _local_path, _start_session, home_url

bp = Blueprint("account", __name__)

PENDING_SECONDS = 300  # a password without its code is forgotten after five minutes
PENDING_TRIES = 5  # ... or after this many wrong codes: then the password is asked again
# Where a counselor who must set up TOTP may still go (everything else leads to the setup).
OPEN_WHILE_SETTING_UP = frozenset({"account.totp_setup", "auth.logout", "static", "pages.help", "pages.weather",
                                   "pages.index"})


class DeleteAccountForm(FlaskForm):
    password = PasswordField(lazy_gettext("Your password"), validators=[
        InputRequired(lazy_gettext("Enter your password.")), Length(max=PASSWORD_MAX)],
        render_kw={"autocomplete": "current-password"})
    understood = BooleanField(lazy_gettext("I understand that this cannot be undone."),
                              validators=[DataRequired(lazy_gettext("Please confirm that you understand."))])
    submit = SubmitField(lazy_gettext("Delete my account"))


class CodeForm(FlaskForm):
    code = StringField(lazy_gettext("Code"), validators=[InputRequired(lazy_gettext("Enter the code.")),
                                                         Length(max=40)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "text", "spellcheck": "false",
                                  "autocapitalize": "none"})
    submit = SubmitField(lazy_gettext("Continue"))


@bp.before_app_request
def lead_to_totp_setup():
    """With ``COUPLES_REQUIRE_TOTP=1``, a counselor without TOTP sees the setup before anything else."""
    if (current_user.is_authenticated and request.endpoint not in OPEN_WHILE_SETTING_UP
            and totp.required_for(current_user)):
        return redirect(url_for("account.totp_setup"))
    return None


@bp.get("/account")
@login_required
def page():
    """The person's own account: language, password, two-step login (counselors) and leaving."""
    return _account_page(LanguageForm(language=current_user.language))


def _account_page(language_form: LanguageForm):
    return render_template("account/page.html", has_totp=totp.has_totp(current_user),
                           codes_left=totp.recovery_codes_left(current_user), language_form=language_form)


@bp.post("/account/language")
@login_required
def change_language():
    """Change the language one reads the app in; the confirmation, and every page after, is in it."""
    form = LanguageForm()
    if not form.validate_on_submit():
        return _account_page(form)
    accounts.set_language(current_user, form.language.data)
    with force_locale(form.language.data):
        flash(_("Your language is saved: the app is now in English."))
    return redirect(url_for("account.page"))


@bp.route("/account/delete", methods=["GET", "POST"])
@login_required
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT"], methods=["POST"])
def delete():
    """Explain what deleting keeps and erases; delete after the password is entered again."""
    form = DeleteAccountForm()
    may_leave = not current_user.is_counselor or leaving.counselor_may_leave(current_user)
    if may_leave and form.validate_on_submit():
        try:
            leaving.delete_account(current_user, form.password.data)
        except leaving.LeavingError as error:
            form.password.errors.append(str(error))
        else:
            logout_user()
            session.clear()
            return render_template("account/deleted.html")
    return render_template("account/delete.html", form=form, may_leave=may_leave)


@bp.route("/account/totp", methods=["GET", "POST"])
@login_required
def totp_setup():
    """Counselors: scan the QR code (or type the secret), confirm with a code, keep the recovery codes."""
    if not current_user.is_counselor:
        return redirect(url_for("account.page"))
    form = CodeForm()
    if form.validate_on_submit():
        codes = totp.enable(current_user, form.code.data)
        if codes is not None:
            return render_template("auth/totp_recovery_codes.html", codes=codes)
        form.code.errors.append(_("That code is not right. Check the time on your phone and try the newest code."))
    secret = totp.pending_secret(current_user)
    uri = totp.setup_uri(current_user, secret)
    return render_template("auth/totp_setup.html", form=form, secret=secret, qr=totp.qr_svg(uri),
                           replacing=totp.has_totp(current_user), required=totp.required_for(current_user))


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT"], methods=["POST"])
def login_code():
    """The second step of a counselor's login: a code from their app, or a recovery code."""
    user = _pending_user()
    if user is None:
        session.pop(PENDING_LOGIN, None)
        flash(_("Please log in again."))
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if form.validate_on_submit():
        if totp.check_second_factor(user, form.code.data):
            _start_session(user)
            return redirect(_local_path(request.args.get("next")) or home_url(user))
        pending = session[PENDING_LOGIN]
        session[PENDING_LOGIN] = {**pending, "tries": pending["tries"] + 1}
        form.code.errors.append(_("That code is not right, or it was already used. Try the newest code from your app."))
    return render_template("auth/totp_login.html", form=form)


def _pending_user():
    """The counselor whose password was just right, while their code may still be entered."""
    pending = session.get(PENDING_LOGIN)
    if not isinstance(pending, dict) or pending.get("tries", PENDING_TRIES) >= PENDING_TRIES:
        return None
    if time.time() - pending.get("since", 0) > PENDING_SECONDS:
        return None
    user = accounts.user_by_id(pending.get("user_id", 0))
    if user is None or user.session_generation != pending.get("generation") or not totp.has_totp(user):
        return None
    return user



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
            if totp.has_totp(user):  # a reset link proves the mailbox, not the second factor
                flash(_("Your new password is saved, and every other device was logged out. Enter a code from "
                        "your app to log in."))
                return _ask_for_code(user)
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
        target = _local_path(request.args.get("next")) or home_url(current_user)
        if target == home_url(current_user):  # not over a session page, where it would stay all session long
            flash(_("Thank you. You can start or join a session now."))
        return redirect(target)
    return render_template("account/what_counselor_sees.html", form=form, needed=needed,
                           accepted_at=current_user.consent_accepted_at)


def consent_page(next_path: str) -> str:
    """Where a partner who has not yet accepted is sent, to come back to ``next_path`` after."""
    return url_for("account.what_counselor_sees", next=next_path)
