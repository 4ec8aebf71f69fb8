"""The partner's pages. Every one of them shows the quick-exit control (see base.html)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from .auth import couple_for_partner_or_404, partner_required

bp = Blueprint("partner", __name__, url_prefix="/partner")


@bp.route("/")
@partner_required
def home():
    """The couple's home: a greeting, both names, and the live sessions panel."""
    couple = couple_for_partner_or_404()
    viewer_slot = couple.role_of(current_user)
    return render_template(
        "partner/home.html",
        couple=couple,
        viewer_slot=viewer_slot,
        other_name=couple.name_of("b" if viewer_slot == "a" else "a"),
    )
