"""The partner's pages. Every one of them shows the quick-exit control (see base.html)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from ..i18n import shown_language
from ..services import exports
from ..services import summaries as summary_service
from ..services import review as review_service
from .auth import couple_for_partner_or_404, partner_required
from .followups import home_panel
from .live import sessions_panel
from .review import json_file

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
        finished=summary_service.finished_sessions(couple.id, shown_language()),
        **sessions_panel(couple),
        **home_panel(current_user, couple),
    )


@bp.get("/summaries")
@partner_required
def summaries():
    """The couple's signed summaries, each exactly as their counselor sees it, and when it was read."""
    couple = couple_for_partner_or_404()
    return render_template(
        "partner/summaries.html",
        couple=couple,
        names={"a": couple.partner_a_name, "b": couple.partner_b_name},
        summaries=review_service.shared_summaries(couple, shown_language()),
        language=shown_language(),
    )


@bp.get("/export.json")
@partner_required
def export():
    """What this partner may see of the couple's sessions, as a JSON file."""
    couple = couple_for_partner_or_404()
    return json_file(exports.partner_export(current_user, couple), "my-sessions.json")
