"""Both partners press Start at the same moment: one session, and both land in it.

The race cannot show under eventlet on SQLite (one greenlet at a time, one writer), so it is run
where it happens: threads against PostgreSQL, and two server processes in threading mode.
"""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from builders import make_counselor, make_couple
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


def together(*calls):
    """Run the calls at the same moment, each on its own thread; their results in order."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


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


def start_in_browser(server: infra.Server, cookie: str, couple_id: int):
    """What a partner's browser does: open the home page, then post its Start form."""
    http = requests.Session()
    http.headers["Cookie"] = cookie
    page = http.get(f"{server.url}/partner/", timeout=10).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    http.headers["Cookie"] = "; ".join(f"{c.name}={c.value}" for c in http.cookies) or cookie

    def post() -> str:
        response = http.post(f"{server.url}/couples/{couple_id}/sessions",
                             data={"csrf_token": token, "plan_id": PLAN_ID}, timeout=20)
        assert response.status_code == 200, response.status_code
        return response.url

    return post


def test_two_starts_at_once_on_two_server_processes_land_in_one_session(pg_url, pg_app):
    servers = [infra.app_server(pg_url, secret="scale-secret", extra_env={"COUPLES_ASYNC_MODE": "threading"})
               for _ in range(2)]
    try:
        for server in servers:
            server.start()
        with pg_app.app_context():
            couples = [make_couple(make_counselor()) for _ in range(COUPLES)]
        for couple in couples:
            presses = [start_in_browser(server, infra.session_cookie(pg_app, user_id), couple.id)
                       for server, user_id in zip(servers, (couple.partner_a_id, couple.partner_b_id), strict=True)]
            landed = together(*presses)
            assert all(re.search(r"/sessions/\d+$", url) for url in landed), landed
            assert landed[0].rsplit("/", 1)[1] == landed[1].rsplit("/", 1)[1]
            assert open_sessions_of(pg_app, couple.id) == 1
    finally:
        for server in servers:
            server.stop()
