"""Starting a live session and the page that runs it."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, flash, redirect, render_template, request, send_from_directory, url_for
from flask_babel import gettext, lazy_gettext
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms.validators import InputRequired

from ..i18n import shown_language
from ..extensions import db
from ..models import Couple
from ..realtime.protocol import MAX_MESSAGE_BYTES
from ..services import consent, live
from ..services.plans import plans_for_couple

bp = Blueprint("live", __name__)

SOCKET_IO_CLIENT = Path(__file__).resolve().parents[2] / "node_modules" / "socket.io-client" / "dist"


class StartSessionForm(FlaskForm):
    """The plan picker: each plan with its length and description (``descriptions`` by plan id), in
    the reader's language where the plan has it; the shortest is chosen until the person picks another."""

    plan_id = RadioField(lazy_gettext("Plan"), validators=[InputRequired()])

    def __init__(self, couple: Couple, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        specs = plans_for_couple(couple)
        shown = [spec.in_language(shown_language()) or spec for spec in specs]
        self.plan_id.choices = [(spec.id, gettext("%(title)s (about %(minutes)s min)", title=spec.title,
                                                  minutes=spec.minutes)) for spec in shown]
        self.descriptions = {spec.id: spec.description for spec in shown}
        if not self.is_submitted() and specs:
            self.plan_id.data = specs[0].id


def sessions_panel(couple: Couple) -> dict[str, object]:
    """What ``templates/live/_sessions_panel.html`` renders: the couple's open sessions and, when a
    session can start, the form to start one. Routes that include the panel pass this along."""
    sessions = live.open_sessions(couple)
    archived = couple.archived_at is not None
    partner_left = couple.has_left("a") or couple.has_left("b")
    can_start = (not sessions and not archived and not partner_left
                 and couple.partner_a_id is not None and couple.partner_b_id is not None)
    return {"live_sessions": sessions, "start_session_form": StartSessionForm(couple) if can_start else None,
            "session_titles": {row.id: live.plan_title_in(row, shown_language()) for row in sessions},
            "couple_archived": archived, "partner_left": partner_left}


@bp.post("/couples/<int:couple_id>/sessions")
@login_required
def start(couple_id: int):
    couple = db.session.get(Couple, couple_id)
    if couple is None or couple.role_of(current_user) is None:
        abort(404)
    form = StartSessionForm(couple)
    if not form.validate_on_submit():
        flash(gettext("Please choose one of the plans."), "error")
        return redirect(request_home(couple))
    try:
        session = live.start_session(current_user, couple, form.plan_id.data)
    except live.LiveError as error:
        if error.code == "consent_needed":  # accounts: read what the counselor sees first, then come back
            return redirect(url_for("account.what_counselor_sees", next=request_home(couple)))
        flash(error.message, "error")
        return redirect(request_home(couple))
    return redirect(url_for("live.session_page", session_id=session.id))


def request_home(couple: Couple) -> str:
    """Where the current user sees this couple."""
    if couple.role_of(current_user) == "counselor":
        return url_for("counselor.couple", couple_id=couple.id)
    return url_for("partner.home")


@bp.get("/sessions/<int:session_id>")
@login_required
def session_page(session_id: int):
    try:
        row, viewer = live.membership(current_user.id, session_id)
    except live.LiveError:
        abort(404)
    if consent.needs_consent(current_user):  # accounts: the socket would refuse the join anyway
        return redirect(url_for("account.what_counselor_sees", next=request.path))
    plan_title = live.plan_title_in(row, shown_language())
    if live.is_closed_unfinished(row):
        return render_template("live/closed.html", live_session=row, viewer=viewer, couple=row.couple,
                               home=request_home(row.couple), plan_title=plan_title)
    return render_template("live/session.html", live_session=row, viewer=viewer, couple=row.couple,
                           max_message_bytes=MAX_MESSAGE_BYTES, plan_title=plan_title)


@bp.get("/vendor/socket.io.esm.min.js")
def socket_io_client():
    """The npm socket.io-client, served by the app itself (no CDN)."""
    if not (SOCKET_IO_CLIENT / "socket.io.esm.min.js").exists():
        abort(404, "socket.io-client is not installed: run `npm ci` in the project folder.")
    return send_from_directory(SOCKET_IO_CLIENT, "socket.io.esm.min.js", mimetype="text/javascript", max_age=3600)
