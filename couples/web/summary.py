"""The joint summary page of a finished session, and the plain form posts that change it.

The posts call the same service as the ``/summary`` socket namespace, so a partner can finish
the summary later from a device without JavaScript. Routes gather, templates render.
"""

from __future__ import annotations

import secrets
from typing import Any, cast

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..domain.events import INVALID_VALUE, Rejection
from ..domain.plan import Role
from ..domain.summary import SECTIONS, VISIBILITIES, summary_view
from ..domain.validate import is_whole_number
from ..extensions import db
from ..services import review as review_service
from ..services import summaries
from ..i18n import shown_language
from .review import summary_pdf_response

bp = Blueprint("summary", __name__)

FORM_FIELDS = ("item_id", "section", "visibility")


@bp.get("/sessions/<int:session_id>/summary")
@login_required
def page(session_id: int):
    """A partner's summary to write and sign. The counselor reads what both signed on the review page."""
    summary, viewer = _summary_or_404(session_id)
    if summary is None:
        return redirect(url_for("live.session_page", session_id=session_id))
    if viewer == "counselor":
        return redirect(url_for("review.summary", session_id=session_id))
    return _partner_page(summary, viewer)


@bp.post("/sessions/<int:session_id>/summary")
@login_required
def change(session_id: int):
    """One change from a form: ``type`` is add_item, edit_text, set_visibility, delete_item, sign or reopen."""
    summary, viewer = _partners_summary_or_404(session_id)
    result = _apply_form(session_id, request.form)
    if isinstance(result, Rejection) and result.code == summaries.EDIT_CONFLICT:
        # Shown at once, with what the partner wrote beside the current text: nothing they typed is lost.
        db.session.refresh(summary)
        conflict = {"item_id": request.form.get("item_id"), "text": request.form.get("text", "")}
        return _partner_page(summary, viewer, conflict=conflict), 409
    if isinstance(result, Rejection):
        flash(result.message, "error")
    return redirect(url_for("summary.page", session_id=session_id), code=303)


@bp.get("/sessions/<int:session_id>/summary.pdf")
@login_required
def summary_file(session_id: int):
    """The newest version both partners signed (what their counselor sees) as a PDF, in the reader's language."""
    summary, viewer = _partners_summary_or_404(session_id)
    found = review_service.signed_version(summary.session, None, shown_language())
    if found is None:
        abort(404)
    return summary_pdf_response(summary.session, found[1])


def _context(summary: Any, viewer: str) -> dict[str, Any]:
    session = summary.session
    return {"live_session": session, "couple": session.couple, "viewer": viewer, "summary": summary,
            "names": {"a": session.couple.partner_a_name, "b": session.couple.partner_b_name},
            "sections": SECTIONS, "visibilities": VISIBILITIES}


def _partner_page(summary: Any, viewer: str, conflict: dict[str, Any] | None = None) -> str:
    """The page in the reader's language: the session's step texts too; what the partners wrote as written."""
    language = shown_language()
    signed_copy = summaries.signed_copy(summary)
    view = summary_view(summaries.state_of(summary), cast(Role, viewer))
    return render_template(
        "summary/page.html", **_context(summary, viewer), conflict=conflict, form_id=secrets.token_urlsafe(12),
        view=summaries.readable(summary, view, language), language=language,
        plan_title=review_service.session_plan_title(summary.session, language),
        signed_copy=summaries.readable(summary, signed_copy, language) if signed_copy else None)


def _apply_form(session_id: int, form: Any) -> summaries.Result:
    client_id = form.get("event_id") or None
    if client_id is not None and len(client_id) > 64:
        client_id = None
    kind = form.get("type", "")
    if kind == "edit_text":
        return summaries.replace_text(current_user.id, session_id, form.get("item_id", ""), form.get("text", ""),
                                      form.get("base"))
    data: dict[str, Any] = {key: form[key] for key in FORM_FIELDS if key in form}
    if "text" in form:
        data["text"] = form["text"].strip()
        if kind == "add_item" and not data["text"]:
            return Rejection(INVALID_VALUE, _("Please write something first."))
    if "version" in form:
        data["version"] = int(form["version"]) if is_whole_number(form["version"]) else None
    return summaries.apply_change(current_user.id, session_id, summaries.Change(kind, data, client_id))


def _partners_summary_or_404(session_id: int):
    """(summary, 'a' or 'b') of an ended session; 404 for the counselor and while it is under way."""
    summary, viewer = _summary_or_404(session_id)
    if summary is None or viewer == "counselor":
        abort(404)
    return summary, viewer


def _summary_or_404(session_id: int):
    """(summary, viewer); (None, viewer) while the session is still under way."""
    try:
        return summaries.summary_for_session(current_user.id, session_id)
    except summaries.SummaryError as error:
        if error.code == "session_open":
            flash(_("The summary opens when the session has ended."), "info")
            return None, None
        abort(404)
