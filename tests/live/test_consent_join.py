"""A partner who has not accepted what their counselor can see cannot follow a session over the
socket either: ``join`` is refused with ``consent_needed`` until they accept."""

from __future__ import annotations

import pytest
from builders import make_counselor, make_couple

from couples.extensions import db
from couples.models import User
from couples.services import consent


@pytest.fixture
def couple(app):
    with app.app_context():
        return make_couple(make_counselor(), consented=False)


def test_join_is_refused_until_the_partner_accepts_and_the_counselor_is_never_asked(app, connect, couple):
    partner = connect(couple.partner_a, join=False)
    counselor = connect(couple.counselor)

    refused = partner.join()

    assert refused == {"ok": False, "error": {"code": "consent_needed", "message": refused["error"]["message"]}}
    assert "what your counselor can see" in refused["error"]["message"]
    with app.app_context():
        consent.accept(db.session.get(User, couple.partner_a_id))
    assert partner.join()["ok"]
    assert counselor.snapshot()["viewer"] == "counselor"
