"""Both partners press Start at the same moment: one session, and both land in it.

The race cannot show under eventlet on SQLite (one greenlet at a time, one writer), so it is run
where it happens: threads against PostgreSQL, and two server processes in threading mode.
"""

from __future__ import annotations

import re

import pytest
from builders import make_counselor, make_couple
from servers import start_in_browser, together
from sqlalchemy import func, select

from bench import infra
from couples.extensions import db
from couples.models import Couple, LiveSession, User
from couples.services import live

pytestmark = [pytest.mark.live, pytest.mark.postgres]
PLAN_ID = "short-check-in"
COUPLES = 10


def open_sessions_of(app, couple_id: int) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(LiveSession).where(
            LiveSession.couple_id == couple_id, LiveSession.status.in_(live.OPEN_STATUSES)))


def test_two_starts_at_once_against_postgresql_open_one_session(pg_app):
    with pg_app.app_context():
        couples = [make_couple(make_counselor()) for _ in range(COUPLES)]

    def press_start(couple, user_id):
        def call():
            with pg_app.app_context():
                user, row = db.session.get(User, user_id), db.session.get(Couple, couple.id)
                return live.start_session(user, row, PLAN_ID).id
        return call

    for couple in couples:
        first, second = together(press_start(couple, couple.partner_a_id), press_start(couple, couple.partner_b_id))
        assert first == second
        assert open_sessions_of(pg_app, couple.id) == 1


def test_two_starts_at_once_on_two_server_processes_land_in_one_session(pg_url, pg_app):
    servers = [infra.app_server(pg_url, secret="scale-secret", extra_env={"COUPLES_ASYNC_MODE": "threading"})
               for _ in range(2)]
    try:
        for server in servers:
            server.start()
        with pg_app.app_context():
            couples = [make_couple(make_counselor()) for _ in range(COUPLES)]
        for couple in couples:
            presses = [start_in_browser(server, infra.session_cookie(pg_app, user_id), couple.id, PLAN_ID)
                       for server, user_id in zip(servers, (couple.partner_a_id, couple.partner_b_id), strict=True)]
            landed = together(*presses)
            assert all(re.search(r"/sessions/\d+$", url) for url in landed), landed
            assert landed[0].rsplit("/", 1)[1] == landed[1].rsplit("/", 1)[1]
            assert open_sessions_of(pg_app, couple.id) == 1
    finally:
        for server in servers:
            server.stop()
