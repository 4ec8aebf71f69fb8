"""A partner's private contact for their counselor, and the concern part of the counselor's couple page."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..forms import PrivateContactForm
from ..models import Couple
from ..services import concerns
from ..services.followups import shown_language
from .auth import partner_required

bp = Blueprint("concerns", __name__)


def concern_panel(couple: Couple) -> dict[str, object]:
    """What the concern part of ``templates/counselor/couple.html`` renders: the answers that raised the
    couple's latest concerns, and how each partner who raised one can be reached privately."""
    return {"concerns": concerns.concerns_for(couple, shown_language())}


@bp.route("/partner/private-contact", methods=["GET", "POST"])
@partner_required
def private_contact():
    """The partner tells their counselor, and only them, how to reach them privately."""
    form = PrivateContactForm(private_contact=current_user.private_contact)
    if form.validate_on_submit():
        concerns.set_private_contact(current_user, form.private_contact.data or "")
        flash(_("Saved. Only your counselor sees this."))
        return redirect(url_for("concerns.private_contact"))
    return render_template("partner/private_contact.html", form=form)
