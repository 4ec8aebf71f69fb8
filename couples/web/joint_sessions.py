"""The next joint session (the counselor schedules, changes and cancels it; ``.ics`` files for
both sides) and the counselor's private calendar feed of their couples' follow-ups and sessions.

Anything a person may not see answers 404 (see :mod:`couples.web.auth`).
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, SubmitField, TimeField
from wtforms.validators import InputRequired

from ..extensions import db
from ..forms import ActionForm
from ..models import Couple, JointSession, as_utc, utcnow
from ..services import calendars
from ..services import followups as followup_service
from ..services import joint_sessions as service
from ..services.plans import plans_for_couple
from .auth import counselor_required, couple_for_counselor_or_404
from .followups import ics_response, plan_options

bp = Blueprint("joint_sessions", __name__)
_FRESH_FEED = "fresh_counselor_feed_token"


class JointSessionForm(FlaskForm):
    """When the couple meets the counselor next, and which plan; in the couple's time zone."""

    plan_id = SelectField(_l("Plan"), validate_choice=True)
    starts_date = DateField(_l("Date"), validators=[InputRequired(_l("Choose a date."))])
    starts_time = TimeField(_l("Time"), validators=[InputRequired(_l("Choose a time."))])
    submit = SubmitField(_l("Save"))

    def __init__(self, couple: Couple, *args: object, keeping: str | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.plan_id.choices = plan_options(plans_for_couple(couple, keeping))

    def wanted(self) -> service.Wanted:
        """The service's request."""
        return service.Wanted(self.plan_id.data, datetime.combine(self.starts_date.data, self.starts_time.data))


@bp.route("/counselor/couples/<int:couple_id>/next-session", methods=["GET", "POST"])
@counselor_required
def schedule(couple_id: int):
    """The couple's joint sessions and the form to schedule the next one."""
    couple = couple_for_counselor_or_404(couple_id)
    form = JointSessionForm(couple)
    if form.validate_on_submit() and _saved(form, lambda: service.schedule(current_user, couple.id, form.wanted(), utcnow())):
        flash(_("The session is scheduled. Both partners see it on their home page."))
        return redirect(url_for("joint_sessions.schedule", couple_id=couple.id))
    rows, now = service.sessions_of(couple.id), utcnow()
    return render_template("followups/joint_sessions.html", couple=couple, form=form, rows=rows,
                           titles=followup_service.titled(couple.counselor_id, rows),
                           past={row.id for row in rows if as_utc(row.starts_at) < now}, action_form=ActionForm())


@bp.route("/counselor/couples/<int:couple_id>/next-session/<int:session_id>", methods=["GET", "POST"])
@counselor_required
def edit(couple_id: int, session_id: int):
    """Move a joint session or change its plan."""
    couple = couple_for_counselor_or_404(couple_id)
    row = _counselors_session(couple, session_id)
    form = JointSessionForm(couple, keeping=row.plan_id)  # its plan, even if retired since
    if not form.is_submitted():
        form.plan_id.data, form.starts_date.data, form.starts_time.data = (
            row.plan_id, row.starts_local.date(), row.starts_local.time())
    elif form.validate() and _saved(form, lambda: service.change(current_user, row.id, form.wanted(), utcnow())):
        flash(_("The session is changed. Both partners see the new time."))
        return redirect(url_for("joint_sessions.schedule", couple_id=couple.id))
    return render_template("followups/joint_session_edit.html", couple=couple, form=form, row=row)


@bp.post("/counselor/couples/<int:couple_id>/next-session/<int:session_id>/cancel")
@counselor_required
def cancel(couple_id: int, session_id: int):
    """Cancel a joint session."""
    couple = couple_for_counselor_or_404(couple_id)
    row = _counselors_session(couple, session_id)
    if ActionForm().validate_on_submit():
        service.cancel(current_user, row.id, utcnow())
        flash(_("The session is cancelled."))
    return redirect(url_for("joint_sessions.schedule", couple_id=couple.id))


def _counselors_session(couple: Couple, session_id: int) -> JointSession:
    try:
        row = service.session_for_counselor(current_user, session_id)
    except followup_service.FollowupError:
        abort(404)
    if row.couple_id != couple.id:
        abort(404)
    return row


def _saved(form: JointSessionForm, save) -> bool:
    """Run ``save``; a refusal lands on the field it concerns."""
    try:
        save()
    except followup_service.FollowupError as error:
        field = form.plan_id if error.code == "unknown_plan" else form.starts_date
        field.errors = [*field.errors, error.message]
        return False
    return True


@bp.get("/joint-sessions/<int:session_id>.ics")
@login_required
def download(session_id: int):
    """One joint session as a ``.ics`` file, for its couple's partners and counselor."""
    row = db.session.get(JointSession, session_id)
    couple = db.session.get(Couple, row.couple_id) if row else None
    if row is None or couple is None or couple.role_of(current_user) is None:
        abort(404)
    return ics_response(calendars.joint_session_file(row, utcnow(), url_for("pages.index", _external=True)),
                f"session-{row.id}.ics")


# -- the counselor's own calendar feed ------------------------------------------------------------


@bp.get("/counselor/calendar")
@counselor_required
def calendar():
    """The counselor's private calendar link (shown once when made) and the button to replace it."""
    token = session.pop(_FRESH_FEED, None)
    return render_template("followups/counselor_calendar.html", action_form=ActionForm(),
                           feed_url=url_for("followups.feed", token=token, _external=True) if token else None,
                           has_feed=followup_service.has_feed(current_user))


@bp.post("/counselor/calendar/reset")
@counselor_required
def reset_feed():
    """A new private calendar link for the counselor; the old one stops working at once."""
    if ActionForm().validate_on_submit():
        session[_FRESH_FEED] = followup_service.reset_feed(current_user)
        flash(_("Here is your new calendar link. Any older link no longer works."))
    return redirect(url_for("joint_sessions.calendar"))
