"""Quick exit ends the login on its way out.

The Quick-exit control (static/js/quick-exit.js) replaces the page with a neutral one at once and,
in the same moment, hands the browser a beacon (``navigator.sendBeacon``) to :func:`beacon`, which
revokes the login exactly as logging out does (``accounts.end_logins``). The beacon is sent by the
browser after the page is gone, so the exit waits for nothing.

Why the beacon is safe without Flask-WTF's CSRF token (whose lifetime a long workshop can outlast):
it carries a per-login token instead, :func:`exit_token`, an HMAC of the user's id and login
generation under the app's secret key. Another site can neither read it (it is only in this app's
pages) nor compute it, and the session cookie is ``SameSite=Lax``, so a cross-site POST arrives
without the login anyway. The token only ever allows ending the login, it stops working once the
login ends (the generation changes), and a wrong or missing one changes nothing. Every answer is
the same empty 204, so the endpoint tells nobody anything.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import Blueprint, current_app, request, session
from flask_login import current_user, logout_user

from ..extensions import csrf
from ..services import accounts

bp = Blueprint("quick_exit", __name__)

TOKEN_FIELD = "token"


def exit_token() -> str:
    """The current login's quick-exit token; empty when nobody is logged in."""
    if not current_user.is_authenticated:
        return ""
    message = f"quick-exit:{current_user.id}:{current_user.session_generation}".encode()
    return hmac.new(str(current_app.secret_key).encode(), message, hashlib.sha256).hexdigest()


@bp.app_context_processor
def quick_exit_context() -> dict[str, object]:
    """Templates name the token as ``quick_exit_token()`` (base.html puts it on the control)."""
    return {"quick_exit_token": exit_token}


@bp.post("/quick-exit")
@csrf.exempt  # the per-login token above stands in for the CSRF token
def beacon():
    """End every login of this account, as logging out does, when the token is the login's own."""
    sent = request.form.get(TOKEN_FIELD, "")
    token = exit_token()
    if token and hmac.compare_digest(sent.encode(), token.encode()):
        accounts.end_logins(current_user, action="auth.quick_exit")
        logout_user()
        session.clear()
    return "", 204
