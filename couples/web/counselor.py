"""The counselor's pages: their couples, creating a couple, and managing invitation links."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..i18n import shown_language
from ..forms import ActionForm, NewCoupleForm, RoutineForm
from ..models import utcnow
from ..services import couples as couple_service
from ..services import reflections
from ..services import review as review_service
from ..services.accounts import AccountError
from ..services import passwords
from .auth import counselor_required, couple_for_counselor_or_404
from .concerns import concern_panel
from .live import sessions_panel

bp = Blueprint("counselor", __name__, url_prefix="/counselor")

# Fresh tokens wait in the session for exactly one showing of the couple page (POST, redirect, GET).
_FRESH_LINKS = "fresh_links"


@bp.route("/")
@counselor_required
def home():
    """The desk: the counselor's couples a page at a time, those needing attention first, each with
    their newest session, where its summary stands, and what may need attention."""
    page = couple_service.couples_of(current_user, page=request.args.get("page", 1, type=int))
    return render_template(
        "counselor/home.html",
        page=page,
        couples=page.couples,
        statuses={couple.id: couple_service.slot_statuses(couple) for couple in page.couples},
        desk=review_service.desk(page.couples, utcnow(), current_app.config["SUMMARY_WAIT_DAYS"], shown_language()),
        wait_days=current_app.config["SUMMARY_WAIT_DAYS"],
        followup_desk=reflections.desk(page.couples, utcnow()),
        archived_count=page.archived,
    )


@bp.route("/couples/new", methods=["GET", "POST"])
@counselor_required
def new_couple():
    """Create a couple; its two invitation links are shown once on the next page."""
    form = NewCoupleForm()
    if form.validate_on_submit():
        try:
            couple, tokens = couple_service.create_couple(
                current_user,
                partner_a_name=form.partner_a_name.data,
                partner_b_name=form.partner_b_name.data,
                timezone=form.timezone.data,
                languages=form.languages(),
            )
        except couple_service.CoupleError as error:
            form.timezone.errors.append(str(error))
        else:
            _hold_links(couple.id, tokens)
            flash(_("%(couple)s is set up. Send each partner their own link.", couple=couple.title))
            return redirect(url_for("counselor.couple", couple_id=couple.id))
    return render_template("counselor/new_couple.html", form=form)


@bp.route("/couples/<int:couple_id>")
@counselor_required
def couple(couple_id: int):
    """One couple: partners, invitation links, and the links just made (shown this once)."""
    couple = couple_for_counselor_or_404(couple_id)
    held = session.pop(_FRESH_LINKS, None)
    tokens = held["tokens"] if held and held.get("couple_id") == couple.id else {}
    fresh_links = {
        slot: url_for("auth.accept_invitation", token=token, _external=True) for slot, token in tokens.items()
    }
    return render_template(
        "counselor/couple.html",
        couple=couple,
        statuses=couple_service.slot_statuses(couple),
        fresh_links=fresh_links,
        action_form=ActionForm(),
        routine_form=RoutineForm(individual_time_first=couple.individual_time_first),
        now=utcnow(),
        **sessions_panel(couple),
        **concern_panel(couple),
        **_reset_link_shown_once(couple.id),
    )


@bp.route("/couples/<int:couple_id>/routine", methods=["POST"])
@counselor_required
def set_routine(couple_id: int):
    """Save whether the couple's sessions stop after the check-in so the counselor sees each partner first."""
    couple = couple_for_counselor_or_404(couple_id)
    form = RoutineForm()
    if form.validate_on_submit():
        couple_service.set_individual_time_first(current_user, couple, form.individual_time_first.data)
        flash(_("Saved. It applies to sessions started from now on."))
    else:
        flash(_("The routine could not be saved. Please try again."), "error")
    return redirect(url_for("counselor.couple", couple_id=couple.id))


@bp.route("/couples/<int:couple_id>/invitations/<int:invitation_id>/revoke", methods=["POST"])
@counselor_required
def revoke_invitation(couple_id: int, invitation_id: int):
    """Revoke an open link (it stops working at once)."""
    couple = couple_for_counselor_or_404(couple_id)
    try:
        couple_service.revoke_invitation(current_user, couple, invitation_id)
    except couple_service.CoupleError as error:
        flash(str(error), "error")
    else:
        flash(_("The link is revoked and no longer works."))
    return redirect(url_for("counselor.couple", couple_id=couple.id))


@bp.route("/couples/<int:couple_id>/invitations/<slot>/reissue", methods=["POST"])
@counselor_required
def reissue_invitation(couple_id: int, slot: str):
    """Make a new link for a partner who has not joined; their older links stop working."""
    couple = couple_for_counselor_or_404(couple_id)
    if slot not in couple_service.SLOTS:
        abort(404)
    try:
        token = couple_service.reissue_invitation(current_user, couple, slot)
    except couple_service.CoupleError as error:
        flash(str(error), "error")
    else:
        _hold_links(couple.id, {slot: token})
        flash(_("Here is a new link for %(name)s. Older links no longer work.", name=couple.name_of(slot)))
    return redirect(url_for("counselor.couple", couple_id=couple.id))


def _hold_links(couple_id: int, tokens: dict[str, str]) -> None:
    session[_FRESH_LINKS] = {"couple_id": couple_id, "tokens": tokens}


# -- accounts: password-reset links for partners, archiving ------------------------------------

# A fresh reset token waits in the session for exactly one showing of the couple page, like invitations.
_FRESH_RESET = "fresh_reset"


def _reset_link_shown_once(couple_id: int) -> dict[str, object]:
    """The reset link just made for a partner of this couple (``reset_link``, ``reset_slot``), once."""
    held = session.pop(_FRESH_RESET, None)
    if not held or held.get("couple_id") != couple_id:
        return {"reset_link": None, "reset_slot": None}
    link = url_for("account.reset_password", token=held["token"], _external=True)
    return {"reset_link": link, "reset_slot": held["slot"]}


@bp.post("/couples/<int:couple_id>/partners/<slot>/reset-link")
@counselor_required
def issue_reset_link(couple_id: int, slot: str):
    """Make a single-use link for a joined partner to choose a new password; shown once."""
    couple = couple_for_counselor_or_404(couple_id)
    if slot not in couple_service.SLOTS:
        abort(404)
    try:
        token = passwords.issue_for_partner(current_user, couple, slot)
    except AccountError as error:
        flash(str(error), "error")
    else:
        session[_FRESH_RESET] = {"couple_id": couple.id, "slot": slot, "token": token}
        flash(_("Here is a password link for %(name)s. Older password links of theirs no longer work.",
                name=couple.name_of(slot)))
    return redirect(url_for("counselor.couple", couple_id=couple.id))


@bp.post("/couples/<int:couple_id>/archive")
@counselor_required
def archive(couple_id: int):
    """Archive a couple the counselor no longer sees: read-only, and off the desk."""
    couple = couple_for_counselor_or_404(couple_id)
    try:
        couple_service.archive_couple(current_user, couple)
    except couple_service.CoupleError as error:
        flash(str(error), "error")
    else:
        flash(_("%(couple)s is archived. You find it under Archived couples, and can bring it back.",
                couple=couple.title))
    return redirect(url_for("counselor.couple", couple_id=couple.id))


@bp.post("/couples/<int:couple_id>/restore")
@counselor_required
def restore(couple_id: int):
    """Bring an archived couple back to the desk."""
    couple = couple_for_counselor_or_404(couple_id)
    try:
        couple_service.restore_couple(current_user, couple)
    except couple_service.CoupleError as error:
        flash(str(error), "error")
    else:
        flash(_("%(couple)s is back among your couples.", couple=couple.title))
    return redirect(url_for("counselor.couple", couple_id=couple.id))


@bp.get("/archived")
@counselor_required
def archived():
    """The counselor's archived couples (one query, however many)."""
    return render_template("counselor/archived.html", couples=couple_service.archived_couples_of(current_user))
