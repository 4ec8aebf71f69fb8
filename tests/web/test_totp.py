"""Counselor one-time passwords: setup with a QR code and the secret as text, recovery codes shown
once, the code asked after the password, codes and recovery codes used once, and the deployment's
``COUPLES_REQUIRE_TOTP`` leading a counselor to the setup before anything else."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from builders import PASSWORD, csrf_token, login, logout, make_counselor, make_couple, post_form

from couples.config import Settings
from couples.extensions import db
from couples.models import AuditEntry, RecoveryCode, User


def code_at(secret: str, steps_ahead: int = 0) -> str:
    """The code for now, or for a later 30-second step (the server accepts one step of drift)."""
    return pyotp.TOTP(secret).at(time.time() + 30 * steps_ahead)


def set_up_totp(client) -> tuple[str, list[str]]:
    """Set up TOTP through the pages; returns the secret and the recovery codes shown."""
    page = client.get("/account/totp").get_data(as_text=True)
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    shown = post_form(client, "/account/totp", {"code": code_at(secret)}).get_data(as_text=True)
    return secret, re.findall(r"<code>([0-9a-f]{8}-[0-9a-f]{8})</code>", shown)


def enter_code(client, code: str):
    page = client.get("/login/code")
    return client.post("/login/code", data={"code": code, "csrf_token": csrf_token(page.get_data(as_text=True))})


@pytest.fixture
def counselor(app):
    with app.app_context():
        return make_counselor()


@pytest.fixture
def with_totp(app, counselor):
    """A counselor who set up TOTP (and is logged out again): (secret, recovery codes)."""
    client = app.test_client()
    login(client, counselor.email)
    secret, codes = set_up_totp(client)
    logout(client)
    return secret, codes


def test_setup_shows_the_qr_code_inline_and_the_secret_as_text(app, counselor):
    client = app.test_client()
    login(client, counselor.email)
    page = client.get("/account/totp").get_data(as_text=True)
    assert "<svg" in page and 'class="segno"' in page
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    assert len(secret) == 32
    assert client.get("/account/totp").get_data(as_text=True).count(secret) == 1  # the same secret until confirmed


def test_confirming_setup_shows_ten_recovery_codes_once_and_keeps_only_their_hashes(app, counselor):
    client = app.test_client()
    login(client, counselor.email)
    _secret, codes = set_up_totp(client)
    assert len(codes) == 10 and len(set(codes)) == 10
    with app.app_context():
        hashes = [row.code_hash for row in db.session.query(RecoveryCode).filter_by(user_id=counselor.id)]
        assert len(hashes) == 10 and not set(codes) & set(hashes)
    assert not any(code in client.get("/account").get_data(as_text=True) for code in codes)


def test_a_wrong_setup_code_is_a_clear_error_and_turns_nothing_on(app, counselor):
    client = app.test_client()
    login(client, counselor.email)
    response = post_form(client, "/account/totp", {"code": "000000"})
    assert "That code is not right" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, counselor.id).totp_secret is None


def test_the_password_alone_no_longer_logs_in_and_the_right_code_does(app, counselor, with_totp):
    secret, _codes = with_totp
    client = app.test_client()
    response = login(client, counselor.email)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login/code")
    assert client.get("/counselor/").status_code == 302  # not logged in yet
    assert enter_code(client, code_at(secret, 1)).status_code == 302
    assert client.get("/counselor/").status_code == 200


def test_a_wrong_code_is_a_clear_error_and_a_used_code_is_refused(app, counselor, with_totp):
    secret, _codes = with_totp
    client = app.test_client()
    login(client, counselor.email)
    wrong = enter_code(client, "123456" if code_at(secret, 1) != "123456" else "654321")
    assert wrong.status_code == 200 and "That code is not right" in wrong.get_data(as_text=True)
    code = code_at(secret, 1)
    assert enter_code(client, code).status_code == 302
    logout(client)
    login(client, counselor.email)
    assert "already used" in enter_code(client, code).get_data(as_text=True)
    assert client.get("/counselor/").status_code == 302


def test_a_recovery_code_works_once(app, counselor, with_totp):
    _secret, codes = with_totp
    client = app.test_client()
    login(client, counselor.email)
    assert enter_code(client, codes[0].upper().replace("-", " ")).status_code == 302  # as people type it
    assert client.get("/counselor/").status_code == 200
    logout(client)
    login(client, counselor.email)
    assert enter_code(client, codes[0]).status_code == 200
    assert client.get("/counselor/").status_code == 302
    with app.app_context():
        actions = [entry.action for entry in db.session.query(AuditEntry).filter(AuditEntry.target == f"user:{counselor.id}")]
        assert "auth.second_factor" in actions and "auth.second_factor_failed" in actions


def test_after_five_wrong_codes_the_password_is_asked_again(app, counselor, with_totp):
    secret, _codes = with_totp
    client = app.test_client()
    login(client, counselor.email)
    for _ in range(5):
        enter_code(client, "000000" if code_at(secret, 1) != "000000" else "111111")
    response = client.get("/login/code")
    assert response.status_code == 302 and response.headers["Location"] == "/login"


class TestRequired:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "REQUIRE_TOTP": True}

    def test_a_counselor_without_totp_is_led_to_set_it_up_before_anything_else(self, app, counselor):
        client = app.test_client()
        login(client, counselor.email)
        for page in ("/counselor/", "/counselor/couples/new", "/account"):
            response = client.get(page)
            assert response.status_code == 302 and response.headers["Location"] == "/account/totp"
        assert "asks every counselor to use two-step login" in client.get("/account/totp").get_data(as_text=True)
        set_up_totp(client)
        assert client.get("/counselor/").status_code == 200

    def test_partners_are_not_asked(self, app, counselor):
        with app.app_context():
            couple = make_couple(db.session.get(User, counselor.id))
        client = app.test_client()
        login(client, couple.partner_a.email, PASSWORD)
        assert client.get("/partner/").status_code == 200


class TestRateLimited:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "LOGIN_LIMIT": "3 per minute"}

    def test_code_attempts_are_rate_limited(self, app, counselor, with_totp):
        client = app.test_client()
        login(client, counselor.email)
        statuses = [enter_code(client, "0000000").status_code for _ in range(4)]
        assert statuses[-1] == 429


def test_the_setting_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("COUPLES_REQUIRE_TOTP", "1")
    assert Settings.from_env().require_totp
    monkeypatch.delenv("COUPLES_REQUIRE_TOTP")
    assert not Settings.from_env().require_totp


class TestRequiredForSockets:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "REQUIRE_TOTP": True}

    def test_a_counselor_without_totp_gets_no_socket_until_it_is_set_up(self, app, counselor):
        from couples.extensions import socketio
        from couples.realtime.protocol import NAMESPACE

        client = app.test_client()
        login(client, counselor.email)
        refused = socketio.test_client(app, namespace=NAMESPACE, flask_test_client=client)
        assert not refused.is_connected(NAMESPACE)
        set_up_totp(client)
        allowed = socketio.test_client(app, namespace=NAMESPACE, flask_test_client=client)
        assert allowed.is_connected(NAMESPACE)
        allowed.disconnect(namespace=NAMESPACE)


def test_the_secret_being_set_up_never_travels_in_the_session_cookie(app, counselor):
    client = app.test_client()
    login(client, counselor.email)
    page = client.get("/account/totp").get_data(as_text=True)
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    session = app.session_interface.get_signing_serializer(app).loads(cookie.value)
    assert secret not in repr(session)


def test_a_password_reset_link_still_asks_a_counselor_with_totp_for_their_code(app, counselor, with_totp):
    secret, _codes = with_totp
    result = app.test_cli_runner().invoke(args=["password-link", counselor.email])  # as an e-mailed link would be
    [link] = re.findall(r"https?://\S+", result.output)
    client = app.test_client()

    response = post_form(client, "/" + link.split("/", 3)[3],
                         {"password": "a new long password", "confirm": "a new long password"})

    assert response.status_code == 302 and response.headers["Location"].startswith("/login/code")
    assert client.get("/counselor/").status_code == 302  # the mailbox alone does not log in
    assert enter_code(client, code_at(secret, 1)).status_code == 302
    assert client.get("/counselor/").status_code == 200
