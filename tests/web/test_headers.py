"""Security headers on every kind of page: strict CSP with sockets to this origin only, HSTS over HTTPS."""

from __future__ import annotations

import pytest
from builders import login, make_counselor, make_couple

from couples import create_app
from couples.database import upgrade_database
from couples.extensions import db
from couples.services import live
from couples.services.plans import plan_by_id

PAGE_KINDS = {
    "public": lambda world: "/",
    "login": lambda world: "/login",
    "sign-up": lambda world: "/signup",
    "help": lambda world: "/help",
    "quick exit": lambda world: "/weather",
    "static file": lambda world: "/static/css/app.css",
    "not found": lambda world: "/no-such-page",
    "counselor desk": lambda world: "/counselor/",
    "partner home": lambda world: "/partner/",
    "live session": lambda world: f"/sessions/{world['session_id']}",
}


@pytest.fixture
def world(app):
    with app.app_context():
        couple = make_couple(make_counselor(email="dana@example.org"))
        session = live.start_plan(couple.partner_a, db.session.merge(couple), plan_by_id(couple, "short-check-in"))
        return {"couple": couple, "session_id": session.id}


def _viewer_for(kind: str, world) -> str | None:
    if kind == "counselor desk":
        return "dana@example.org"
    if kind in ("partner home", "live session"):
        return world["couple"].partner_a.email
    return None


@pytest.mark.parametrize("kind", PAGE_KINDS)
def test_every_page_kind_lets_sockets_reach_only_its_own_origin(client, world, kind):
    if (email := _viewer_for(kind, world)) is not None:
        login(client, email)
    response = client.get(PAGE_KINDS[kind](world))
    response.close()

    policy = dict(part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";"))
    assert policy["connect-src"] == "'self' ws://localhost"
    assert policy["script-src"] == "'self'" and policy["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "Strict-Transport-Security" not in response.headers


def test_over_https_sockets_must_use_wss_and_browsers_are_told_to_stay_on_https(app_config):
    app = create_app({**app_config, "SESSION_COOKIE_SECURE": True})
    upgrade_database(app)
    response = app.test_client().get("/login", base_url="https://couples.example.org")

    assert "connect-src 'self' wss://couples.example.org;" in response.headers["Content-Security-Policy"]
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
