"""The counselor's review pages: a couple's timeline, a session's summary page with charts, a
private note and the "reviewed" mark, the PDF and JSON files, and the couple's audit log.

Everything here answers 404 to anyone but the couple's own counselor. Opening a summary, a note
or an export is written to the audit log by the service, in the same commit as the read.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.blueprints import BlueprintSetupState
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_login import current_user

from ..charts import ratings_chart, trend_chart
from ..forms import ActionForm, NoteForm
from ..i18n import shown_language
from ..models import Couple, LiveSession, utcnow
from ..records import LANGUAGE_NOTES, OUTCOMES, SECTION_ORDER, SECTION_TITLES, SummaryHeading, summary_pdf
from ..services import exports, reflections
from ..services import review as review_service
from .auth import counselor_required, couple_for_counselor_or_404
from .pages import local_date, local_moment

bp = Blueprint("review", __name__, url_prefix="/counselor")

AUDIT_ACTIONS = {
    "couple.created": lazy_gettext("Couple created"),
    "invitation.issued": lazy_gettext("Invitation link made"),
    "invitation.revoked": lazy_gettext("Invitation link revoked"),
    "invitation.accepted": lazy_gettext("Invitation accepted"),
    "session.started": lazy_gettext("Session started"),
    "safety.concern": lazy_gettext("Safety concern raised"),
    "summary.read": lazy_gettext("Summary read"),
    "summary.exported": lazy_gettext("Summary downloaded as PDF"),
    "summary.reviewed": lazy_gettext("Summary marked reviewed"),
    "note.read": lazy_gettext("Private note read"),
    "note.written": lazy_gettext("Private note saved"),
    "export.counselor": lazy_gettext("Couple's data exported by the counselor"),
    "export.partner": lazy_gettext("A partner exported their data"),
}


@bp.record_once
def _shared_words(state: BlueprintSetupState) -> None:
    """Templates name summary sections, step outcomes and audit actions with the same words as the PDF."""
    state.app.jinja_env.globals.update(summary_sections=SECTION_ORDER, summary_section_titles=SECTION_TITLES,
                                       step_outcomes=OUTCOMES, audit_actions=AUDIT_ACTIONS,
                                       language_notes=LANGUAGE_NOTES)


def _session_or_404(session_id: int) -> LiveSession:
    session = review_service.session_for_counselor(current_user, session_id)
    if session is None:
        abort(404)
    return session


def _names(couple: Couple) -> dict[str, str]:
    return {"a": couple.partner_a_name, "b": couple.partner_b_name}


@bp.get("/couples/<int:couple_id>/timeline")
@counselor_required
def timeline(couple_id: int):
    """The couple's sessions and their summaries, newest first."""
    couple = couple_for_counselor_or_404(couple_id)
    return render_template("review/timeline.html", couple=couple, lines=review_service.timeline(couple, shown_language()),
                           followup_lines=reflections.timeline_lines(couple, utcnow()))


@bp.get("/sessions/<int:session_id>/summary")
@counselor_required
def summary(session_id: int):
    """One session's summary as signed, its facts and charts, and the counselor's private note."""
    view = review_service.summary_view(_session_or_404(session_id), request.args.get("number", type=int),
                                       shown_language())
    return _summary_page(view, NoteForm(text=view.note.text if view.note else ""))


def _summary_page(view: review_service.SummaryView, note_form: NoteForm, status: int = 200):
    """Render the page, then record the read: the audit row and the page go together."""
    language = shown_language()
    trend_sessions, trends = review_service.couple_trends(view.couple.id, language)
    page = render_template(
        "review/summary.html", view=view, couple=view.couple, names=_names(view.couple), note_form=note_form,
        action_form=ActionForm(), trend_sessions=trend_sessions, trends=trends, language=language,
        plan_title=review_service.session_plan_title(view.session, language),
    )
    review_service.record_read(current_user, view)
    return page, status


@bp.post("/sessions/<int:session_id>/note")
@counselor_required
def save_note(session_id: int):
    """Save the private note; a note too long is shown again with the reason, nothing lost."""
    session = _session_or_404(session_id)
    form = NoteForm()
    if not form.validate_on_submit():
        view = review_service.summary_view(session, language=shown_language())
        return _summary_page(view, form, status=400)
    review_service.save_note(current_user, session, form.text.data or "")
    flash(_("Your note is saved. Only you can read it."))
    return redirect(url_for("review.summary", session_id=session.id, _anchor="note"))


@bp.post("/sessions/<int:session_id>/reviewed")
@counselor_required
def mark_reviewed(session_id: int):
    """Mark the newest signed version of the summary as reviewed."""
    session = _session_or_404(session_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        number = review_service.mark_reviewed(current_user, session)
    except review_service.ReviewError as error:
        flash(str(error), "error")
    else:
        flash(_("Version %(number)s is marked as reviewed.", number=number))
    return redirect(url_for("review.summary", session_id=session.id))


@bp.get("/sessions/<int:session_id>/summary.pdf")
@counselor_required
def summary_file(session_id: int):
    """A signed version of the summary as a PDF for the counselor's files."""
    session = _session_or_404(session_id)
    found = review_service.signed_version(session, request.args.get("number", type=int), shown_language())
    if found is None:
        abort(404)
    summary_id, version = found
    response = summary_pdf_response(session, version)
    review_service.record_export(current_user, session, summary_id, version.number)
    return response


def summary_pdf_response(session: LiveSession, version: review_service.SignedVersion) -> Response:
    """A signed version (its facts already in the reader's language) as a PDF download, in the reader's language."""
    content, couple, language = version.content or {}, session.couple, shown_language()
    heading = SummaryHeading(
        couple=couple.title,
        session=_("%(plan)s, session of %(date)s", plan=review_service.session_plan_title(session, language).text,
                  date=local_date(session.created_at, couple.timezone)),
        names=_names(couple),
        signed=_signed_line(content, couple, version.number),
        language=language,
    )
    response = Response(summary_pdf(content, heading), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="summary-{session.id}-v{version.number}.pdf"'
    return response


def _signed_line(content: dict, couple: Couple, number: int) -> str:
    signed = content.get("signed_by") or {}
    return _("Version %(number)s, signed by %(a)s on %(a_date)s and by %(b)s on %(b_date)s.", number=number,
             a=couple.partner_a_name, a_date=local_moment(signed.get("a"), couple.timezone),
             b=couple.partner_b_name, b_date=local_moment(signed.get("b"), couple.timezone))


@bp.get("/sessions/<int:session_id>/ratings.svg")
@counselor_required
def ratings_svg(session_id: int):
    """Both partners' ratings of each sign in this session, side by side."""
    session = _session_or_404(session_id)
    couple = session.couple
    svg = ratings_chart(
        review_service.session_ratings(session, shown_language()), (couple.partner_a_name, couple.partner_b_name),
        title=_("Ratings of each sign in this session"),
        desc=_("For each sign, one bar per partner; a longer bar is a higher rating. "
               "The table on the page gives the same numbers."),
    )
    return Response(svg, mimetype="image/svg+xml")


@bp.get("/couples/<int:couple_id>/trends.svg")
@counselor_required
def trends_svg(couple_id: int):
    """Each sign's ratings across all the couple's sessions, one line per partner."""
    couple = couple_for_counselor_or_404(couple_id)
    started, trends = review_service.couple_trends(couple.id, shown_language())
    svg = trend_chart(
        trends, [local_date(moment, couple.timezone) for moment in started],
        (couple.partner_a_name, couple.partner_b_name),
        title=_("Each sign across sessions"),
        desc=_("One panel per sign, one line per partner, oldest session on the left. "
               "The table on the page gives the same numbers."),
    )
    return Response(svg, mimetype="image/svg+xml")


@bp.get("/couples/<int:couple_id>/export.json")
@counselor_required
def export(couple_id: int):
    """The couple's data as the counselor sees it, as a JSON file."""
    couple = couple_for_counselor_or_404(couple_id)
    return json_file(exports.counselor_export(current_user, couple), f"couple-{couple.id}.json")


def json_file(data: dict, filename: str) -> Response:
    """``data`` as a downloadable JSON file."""
    response = Response(json.dumps(data, ensure_ascii=False, indent=2), mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/couples/<int:couple_id>/audit")
@counselor_required
def audit_log(couple_id: int):
    """Who did what with this couple's records, newest first."""
    couple = couple_for_counselor_or_404(couple_id)
    return render_template("review/audit.html", couple=couple, entries=review_service.audit_log(couple))
