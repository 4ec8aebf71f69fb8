"""Both partners press Start at the same moment on a threading server (SQLite): one session for both.

Under eventlet on SQLite the two requests never overlap; under COUPLES_ASYNC_MODE=threading they
do (the PostgreSQL and two-process cases are in tests/scale/test_start_race.py).
"""

from __future__ import annotations

import pytest
from builders import PASSWORD, make_counselor, make_couple
from servers import live_server, login_cookie, start_in_browser, together
from sqlalchemy import func, select

from couples.extensions import db
from couples.models import LiveSession
from couples.services import live

pytestmark = pytest.mark.live


def test_two_starts_at_once_on_a_threading_server_land_in_one_session(app):
    server = live_server(app.config["SQLALCHEMY_DATABASE_URI"], extra_env={"COUPLES_ASYNC_MODE": "threading"}).start()
    try:
        with app.app_context():
            couples = [make_couple(make_counselor()) for _ in range(8)]
        plan_id = "short-check-in"
        for couple in couples:
            presses = [start_in_browser(server, login_cookie(server.url, partner.email, PASSWORD), couple.id, plan_id)
                       for partner in (couple.partner_a, couple.partner_b)]
            first, second = together(*presses)
            assert first == second and "/sessions/" in first
            with app.app_context():
                assert db.session.scalar(select(func.count()).select_from(LiveSession).where(
                    LiveSession.couple_id == couple.id, LiveSession.status.in_(live.OPEN_STATUSES))) == 1
    finally:
        server.stop()
