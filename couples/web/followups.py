"""Follow-up pages: the counselor assigns, changes and cancels; partners see theirs, start them
together, choose their reminders and get a private calendar link; ``.ics`` files for both.

Anything a person may not see answers 404 (see :mod:`couples.web.auth`).
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, RadioField, SelectField, SubmitField, TextAreaField, TimeField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ..domain.followups import MAX_OCCURRENCES, NOTE_MAX, simple_rule
from ..domain.validate import is_whole_number
from ..content import PlanSpec
from ..extensions import db
from ..forms import ActionForm
from ..models import Couple, Followup, as_utc, utcnow
from ..services import calendars, reflections, reminders
from ..services import followups as service
from ..services import joint_sessions
from ..services.couples import couple_for_partner, timezone_names
from .auth import counselor_required, couple_for_counselor_or_404, couple_for_partner_or_404, partner_required

bp = Blueprint("followups", __name__)
bp.add_app_template_filter(reminders.day_and_time, "local_day_time")

REPEATS = (("", _l("Once")), ("daily", _l("Every day")), ("weekly", _l("Every week")), ("monthly", _l("Every month")))
MODES = (("together", _l("Together, in a live session")), ("apart", _l("Each on their own, at their own pace")),
         ("either", _l("Together or apart, as they like")))
MODE_LABELS = dict(MODES)
OFFSET_LABELS = {10: _l("10 minutes before"), 60: _l("1 hour before"), 180: _l("3 hours before"),
                 1440: _l("1 day before"), 2880: _l("2 days before")}
_FRESH_FEED = "fresh_feed_token"


class FollowupForm(FlaskForm):
    """What the counselor assigns; the couple's time zone is implied."""

    plan_id = SelectField(_l("Exercise"), validate_choice=True)
    due_date = DateField(_l("Date"), validators=[InputRequired(_l("Choose a date."))])
    due_time = TimeField(_l("Time"), validators=[InputRequired(_l("Choose a time."))])
    repeat = SelectField(_l("Repeat"), default="", validate_choice=True)
    times = IntegerField(
        _l("How many times in all"), default=4,
        validators=[Optional(), NumberRange(2, MAX_OCCURRENCES, _l("Choose between 2 and %(max)s.", max=MAX_OCCURRENCES))],
        description=_l("Only used when it repeats."),
    )
    mode = RadioField(_l("How they do it"), default="together", validate_choice=True)
    note = TextAreaField(
        _l("Note to the couple (optional)"), validators=[Length(max=NOTE_MAX)], render_kw={"rows": 3, "maxlength": NOTE_MAX},
        description=_l("Both partners see it. It never goes into e-mails or calendars."),
    )
    submit = SubmitField(_l("Save"))

    def __init__(self, couple: Couple, *args: object, keeping: str | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        # Set here, not in the field: wtforms warns about choices given to a field as tuples.
        self.repeat.choices, self.mode.choices = list(REPEATS), list(MODES)
        self.plan_id.choices = plan_options(service.plan_choices(couple, keeping))

    def as_request(self) -> service.Request:
        """The service's request, or a ValueError naming the field's problem."""
        if self.repeat.data and not self.times.data:
            self.times.errors.append(_("Say how many times in all."))
            raise ValueError("times")
        return service.Request(
            plan_id=self.plan_id.data,
            due_local=datetime.combine(self.due_date.data, self.due_time.data),
            recurrence=simple_rule(self.repeat.data, self.times.data) if self.repeat.data else None,
            mode=self.mode.data,
            note=(self.note.data or "").strip(),
        )

    def fill_from(self, row: Followup) -> None:
        """Prefill from a stored follow-up (its rule is one the form makes)."""
        self.plan_id.data, self.mode.data, self.note.data = row.plan_id, row.mode, row.note
        self.due_date.data, self.due_time.data = row.due_local.date(), row.due_local.time()
        parts = _rule_parts(row.recurrence)
        self.repeat.data = parts.get("FREQ", "").lower()
        self.times.data = int(parts["COUNT"]) if is_whole_number(parts.get("COUNT", "")) else None


def plan_options(specs: list[PlanSpec]) -> list[tuple[str, str]]:
    """Select options for plans: each title in the reader's language, with its length."""
    return [(spec.id, _("%(title)s (%(minutes)s min)", title=service.in_reader_language(spec).title, minutes=spec.minutes))
            for spec in specs]


class ReminderForm(FlaskForm):
    """A partner's reminder preferences; offsets come as checkboxes named ``offset``."""

    email_enabled = BooleanField(_l("Also send me an e-mail (only the exercise's name, the time and a link)"))
    timezone = SelectField(_l("Show times in this time zone"), validate_choice=True)
    submit = SubmitField(_l("Save reminder settings"))

    def __init__(self, couple: Couple, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        own = ("", _("The couple's time zone (%(zone)s)", zone=couple.timezone.replace("_", " ")))
        self.timezone.choices = [own] + [(name, name.replace("_", " ")) for name in timezone_names()]


class ReflectionForm(FlaskForm):
    """A partner's rating and reflection on a done follow-up, and whether the counselor sees them."""

    rating = RadioField(_l("How did it go for you? (optional)"), validators=[Optional()], validate_choice=True)
    text = TextAreaField(
        _l("A few words about it (optional)"), validators=[Length(max=reflections.TEXT_MAX)],
        render_kw={"rows": 4, "maxlength": reflections.TEXT_MAX},
        description=_l("Your partner never sees this, nor your rating."),
    )
    shared = BooleanField(_l("Share my rating and these words with our counselor"))
    submit = SubmitField(_l("Save my reflection"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        labels = {1: _("1 – hard"), 3: _("3 – so-so"), 5: _("5 – very good")}
        self.rating.choices = [(str(value), labels.get(value, str(value))) for value in reflections.RATING_RANGE]


# -- the counselor's pages --------------------------------------------------------------------


@bp.route("/counselor/couples/<int:couple_id>/follow-ups", methods=["GET", "POST"])
@counselor_required
def counselor_list(couple_id: int):
    """The couple's follow-ups and the form to assign one."""
    couple = couple_for_counselor_or_404(couple_id)
    form = FollowupForm(couple)
    if form.validate_on_submit() and _saved(form, lambda wanted: service.assign(current_user, couple.id, wanted, utcnow())):
        flash(_("The follow-up is assigned. Both partners see it now."))
        return redirect(url_for("followups.counselor_list", couple_id=couple.id))
    rows = service.followups_of(couple)
    return render_template("followups/counselor.html", couple=couple, form=form, followups=rows,
                           titles=service.titled(couple.counselor_id, rows),
                           first_due={row.id: service.first_due(row) for row in rows},
                           repeats={row.id: describe_repeat(row.recurrence) for row in rows}, action_form=ActionForm(),
                           mode_labels=MODE_LABELS, joint_sessions=joint_sessions.sessions_of(couple.id))


@bp.route("/counselor/couples/<int:couple_id>/follow-ups/<int:followup_id>", methods=["GET", "POST"])
@counselor_required
def edit(couple_id: int, followup_id: int):
    """Change one follow-up; times already past stay as they were."""
    couple = couple_for_counselor_or_404(couple_id)
    row = _counselors_followup(couple, followup_id)
    form = FollowupForm(couple, keeping=row.plan_id)  # its plan, even if retired since
    if not form.is_submitted():
        form.fill_from(row)
    elif form.validate() and _saved(form, lambda wanted: service.change(current_user, row.id, wanted, utcnow())):
        flash(_("The follow-up is changed. Both partners see the new version."))
        return redirect(url_for("followups.counselor_list", couple_id=couple.id))
    return render_template("followups/edit.html", couple=couple, form=form, followup=row,
                           title=service.titled(couple.counselor_id, [row])[row.id])


@bp.post("/counselor/couples/<int:couple_id>/follow-ups/<int:followup_id>/cancel")
@counselor_required
def cancel(couple_id: int, followup_id: int):
    """Cancel one follow-up; no more reminders go out for it."""
    couple = couple_for_counselor_or_404(couple_id)
    row = _counselors_followup(couple, followup_id)
    if ActionForm().validate_on_submit():
        service.cancel(current_user, row.id, utcnow())
        flash(_("The follow-up is cancelled."))
    return redirect(url_for("followups.counselor_list", couple_id=couple.id))


def describe_repeat(rule: str | None) -> str:
    """How often, in words: the form's rules read naturally, any other rule is shown as written."""
    parts = _rule_parts(rule)
    label = dict(REPEATS).get(parts.get("FREQ", "").lower())
    if not rule:
        return _("once")
    if label is None or set(parts) != {"FREQ", "COUNT"}:
        return rule
    return _("%(how_often)s, %(count)s times in all", how_often=label, count=parts["COUNT"])


def _rule_parts(rule: str | None) -> dict[str, str]:
    return dict(part.partition("=")[::2] for part in (rule or "").upper().split(";") if part)


def _counselors_followup(couple: Couple, followup_id: int) -> Followup:
    try:
        row = service.followup_for_counselor(current_user, followup_id)
    except service.FollowupError:
        abort(404)
    if row.couple_id != couple.id:
        abort(404)
    return row


def _saved(form: FollowupForm, save) -> bool:
    """Run ``save`` with the form's request; a refusal lands on the field it concerns."""
    try:
        save(form.as_request())
    except ValueError:
        return False
    except service.FollowupError as error:
        field = {"unknown_plan": form.plan_id, "mode_unavailable": form.mode, "unknown_mode": form.mode, "note_too_long": form.note,
                 "due_in_past": form.due_date, "due_too_far": form.due_date}.get(error.code, form.repeat)
        field.errors = [*field.errors, error.message]
        return False
    return True


# -- the partners' pages ----------------------------------------------------------------------


@bp.get("/partner/follow-ups")
@partner_required
def partner_agenda():
    """Upcoming, due, overdue and recently done follow-ups, in the partner's own time zone."""
    couple = couple_for_partner_or_404()
    now = utcnow()
    return render_template("followups/partner.html", couple=couple, items=service.agenda(current_user, couple, now),
                           zone=str(service.viewer_zone(current_user, couple)), action_form=ActionForm())


def home_panel(user, couple: Couple) -> dict:
    """What the partner's home page shows of follow-ups: the ones still to do and the next joint
    session, in the partner's own zone (a fixed number of queries)."""
    now = utcnow()
    zone = service.viewer_zone(user, couple)
    joint = joint_sessions.next_for_couples([couple.id], now).get(couple.id)
    return {
        "followups_to_do": [item for item in service.agenda(user, couple, now)
                            if item.status in ("upcoming", "due", "overdue")][:HOME_ITEMS],
        "next_joint_session": joint, "next_joint_local": as_utc(joint.starts_at).astimezone(zone) if joint else None,
        "next_joint_title": service.titled(couple.counselor_id, [joint])[joint.id] if joint else None,
        "followups_zone": str(zone), "followup_action_form": ActionForm(),
    }


HOME_ITEMS = 5


@bp.post("/partner/follow-ups/<int:occurrence_id>/start")
@partner_required
def start(occurrence_id: int):
    """Open the live session for one follow-up, together."""
    return _open_run(occurrence_id, service.start_together)


@bp.post("/partner/follow-ups/<int:occurrence_id>/apart")
@partner_required
def start_apart(occurrence_id: int):
    """Start or resume doing one follow-up on one's own (the apart run both partners share)."""
    return _open_run(occurrence_id, service.start_apart)


def _open_run(occurrence_id: int, open_it):
    couple = couple_for_partner_or_404()
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        live_session = open_it(current_user, couple, occurrence_id, utcnow())
    except service.FollowupError as error:
        if error.code == "not_found":
            abort(404)
        flash(error.message, "error")
        return redirect(url_for("followups.partner_agenda"))
    return redirect(url_for("live.session_page", session_id=live_session.id))


@bp.route("/partner/follow-ups/<int:occurrence_id>/reflection", methods=["GET", "POST"])
@partner_required
def reflection(occurrence_id: int):
    """A done follow-up: the link to what both answered, and the partner's own rating and reflection."""
    couple = couple_for_partner_or_404()
    try:
        _occurrence, followup, session_id = reflections.done_occurrence(current_user, couple, occurrence_id)
    except service.FollowupError as error:
        if error.code == "not_found":
            abort(404)
        flash(error.message, "error")
        return redirect(url_for("followups.partner_agenda"))
    form = ReflectionForm()
    if form.validate_on_submit():
        wanted = reflections.Reflection(int(form.rating.data) if form.rating.data else None, form.text.data or "",
                                        bool(form.shared.data))
        try:
            reflections.save(current_user, couple, occurrence_id, wanted, utcnow())
        except service.FollowupError as error:
            form.text.errors = [*form.text.errors, error.message]
        else:
            flash(_("Your reflection is saved."))
            return redirect(url_for("followups.partner_agenda"))
    elif not form.is_submitted():
        saved = reflections.mine(current_user, occurrence_id)
        if saved is not None:
            form.rating.data = str(saved.rating) if saved.rating else None
            form.text.data, form.shared.data = saved.text, saved.shared
    return render_template("followups/reflection.html", couple=couple, followup=followup, session_id=session_id,
                           form=form, title=service.titled(couple.counselor_id, [followup])[followup.id])


@bp.route("/partner/reminders", methods=["GET", "POST"])
@partner_required
def preferences():
    """When to be reminded, by e-mail or not, in which time zone; and the private calendar link."""
    couple = couple_for_partner_or_404()
    form = ReminderForm(couple)
    chosen = service.preferences_for(current_user.id)
    offsets_error = None
    if form.validate_on_submit():
        offsets = tuple(int(value) for value in _checked_offsets())
        wanted = service.Preferences(offsets=offsets, email_enabled=form.email_enabled.data,
                                     timezone=form.timezone.data or None)
        try:
            service.save_preferences(current_user, couple, wanted, utcnow())
        except service.FollowupError as error:
            offsets_error = error.message
        else:
            flash(_("Your reminder settings are saved."))
            return redirect(url_for("followups.preferences"))
    elif not form.is_submitted():
        form.email_enabled.data, form.timezone.data = chosen.email_enabled, chosen.timezone or ""
    token = session.pop(_FRESH_FEED, None)
    return render_template(
        "followups/preferences.html", couple=couple, form=form, chosen=set(chosen.offsets), offsets_error=offsets_error,
        offset_labels=OFFSET_LABELS, feed_url=url_for("followups.feed", token=token, _external=True) if token else None,
        has_feed=service.has_feed(current_user), action_form=ActionForm(),
        email_available=reminders.smtp_settings().enabled,
    )


def _checked_offsets() -> list[str]:
    return [value for value in request.form.getlist("offset") if is_whole_number(value) and len(value) < 6]


@bp.post("/partner/calendar/reset")
@partner_required
def reset_feed():
    """A new private calendar link; the old one stops working at once."""
    couple_for_partner_or_404()
    if ActionForm().validate_on_submit():
        session[_FRESH_FEED] = service.reset_feed(current_user)
        flash(_("Here is your new calendar link. Any older link no longer works."))
    return redirect(url_for("followups.preferences"))


# -- calendar files ---------------------------------------------------------------------------


@bp.get("/follow-ups/<int:followup_id>.ics")
@login_required
def download(followup_id: int):
    """One follow-up as a ``.ics`` file, for its couple's partners and counselor."""
    row = db.session.get(Followup, followup_id)
    couple = db.session.get(Couple, row.couple_id) if row else None
    if row is None or couple is None or couple.role_of(current_user) is None:
        abort(404)
    body = calendars.followup_file(row, utcnow(), url_for("followups.partner_agenda", _external=True))
    return ics_response(body, f"follow-up-{row.id}.ics")


@bp.get("/calendar/<token>.ics")
def feed(token: str):
    """A partner's or counselor's private feed; an unknown or replaced token is a plain 404."""
    user = service.user_for_feed(token)
    if user is not None and user.is_counselor:
        return ics_response(calendars.counselor_feed(user, utcnow(), url_for("counselor.home", _external=True)), "follow-ups.ics")
    couple = couple_for_partner(user) if user else None
    if couple is None:
        abort(404)
    return ics_response(calendars.feed(user, couple, utcnow(), url_for("followups.partner_agenda", _external=True)),
                        "follow-ups.ics")


def ics_response(body: bytes, filename: str) -> Response:
    """A calendar file to download, never cached by shared caches."""
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
