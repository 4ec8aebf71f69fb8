"""Counselor sign-up, logging in and out, and what protects them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from builders import PASSWORD, csrf_token, login, logout, make_counselor, post_form
from sqlalchemy import select

from couples.extensions import db
from couples.models import AuditEntry, User


def audit_actions(app) -> list[tuple[str, int | None]]:
    with app.app_context():
        return [(e.action, e.actor_id) for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def signup_data(**changes) -> dict:
    data = {"display_name": "Robin", "email": "Robin@Example.org", "password": PASSWORD, "confirm": PASSWORD}
    return {**data, **changes}


def test_a_counselor_signs_up_and_lands_on_their_home(app, client):
    response = post_form(client, "/signup", signup_data())

    assert response.status_code == 302
    assert response.location == "/counselor/"
    assert "My couples" in client.get("/counselor/").get_data(as_text=True)
    with app.app_context():
        user = db.session.scalar(select(User))
        assert (user.email, user.role, user.display_name) == ("robin@example.org", "counselor", "Robin")
        assert user.password_hash.startswith("scrypt:")
    assert ("counselor.signed_up", user.id) in audit_actions(app)


def test_sign_up_refuses_an_email_already_in_use_whatever_its_case(app, client):
    with app.app_context():
        make_counselor(email="robin@example.org")

    response = post_form(client, "/signup", signup_data(email="ROBIN@example.org"))

    assert response.status_code == 200
    assert "already exists" in response.get_data(as_text=True)
    with app.app_context():
        assert len(db.session.scalars(select(User)).all()) == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"confirm": PASSWORD + "x"}, "The passwords don&#39;t match."),
        ({"password": "short", "confirm": "short"}, "Use between 10 and 128 characters."),
        ({"password": "p" * 129, "confirm": "p" * 129}, "Use between 10 and 128 characters."),
        ({"email": "not-an-email"}, "Enter an email address"),
        ({"display_name": "x" * 61}, "Use at most 60 characters."),
    ],
)
def test_sign_up_explains_invalid_input_and_creates_nothing(app, client, changes, message):
    response = post_form(client, "/signup", signup_data(**changes))

    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User)) is None


def test_form_errors_are_tied_to_their_field(client):
    html = post_form(client, "/signup", signup_data(confirm="different-password")).get_data(as_text=True)

    assert 'aria-describedby="confirm-error"' in html
    assert 'id="confirm-error"' in html
    assert 'aria-invalid="true"' in html


def test_a_counselor_logs_in_with_any_case_email(app, client):
    with app.app_context():
        counselor = make_counselor(email="dana@example.org")

    response = login(client, "  DANA@example.ORG ")

    assert response.status_code == 302
    assert response.location == "/counselor/"
    assert ("auth.login", counselor.id) in audit_actions(app)


def test_a_wrong_password_gets_one_message_that_reveals_nothing(app, client):
    with app.app_context():
        make_counselor(email="dana@example.org")

    wrong_password = login(client, "dana@example.org", "not the password")
    unknown_email = login(client, "nobody@example.org", "not the password")

    for response in (wrong_password, unknown_email):
        assert response.status_code == 200
        assert "That email and password don&#39;t match" in response.get_data(as_text=True)
    assert client.get("/counselor/").status_code == 302  # still logged out
    assert audit_actions(app)[-2:] == [("auth.login_failed", None), ("auth.login_failed", None)]


def test_logout_ends_the_session(app, client):
    with app.app_context():
        counselor = make_counselor()
    login(client, counselor.email)
    page = client.get("/counselor/").get_data(as_text=True)

    response = client.post("/logout", data={"csrf_token": csrf_token(page)})

    assert response.status_code == 302
    assert client.get("/counselor/").status_code == 302
    assert ("auth.logout", counselor.id) in audit_actions(app)


@pytest.fixture
def signed_in(app, client):
    """A counselor logged in on ``client``: (the counselor, a CSRF token of that login)."""
    with app.app_context():
        counselor = make_counselor()
    login(client, counselor.email)
    return counselor, csrf_token(client.get("/counselor/").get_data(as_text=True))


def copy_of_login(app, client):
    """A second client holding a copy of ``client``'s session cookie, as someone who captured it would."""
    copy = app.test_client()
    copy.set_cookie("session", client.get_cookie("session").value)
    return copy


def test_a_copied_cookie_stops_working_after_logout(app, client, signed_in):
    copy = copy_of_login(app, client)
    assert copy.get("/counselor/").status_code == 200

    logout(client)

    response = copy.get("/counselor/")
    assert response.status_code == 302
    assert response.location.startswith("/login?next=")


def test_logging_out_on_one_device_ends_the_login_on_every_device(app, client, signed_in):
    counselor, _ = signed_in
    laptop = app.test_client()
    login(laptop, counselor.email)

    logout(client)

    assert laptop.get("/counselor/").status_code == 302
    assert ("auth.logout", counselor.id) in audit_actions(app)


def test_a_new_login_after_logout_works_while_the_old_cookie_stays_dead(app, client, signed_in):
    counselor, _ = signed_in
    old = copy_of_login(app, client)
    logout(client)

    login(client, counselor.email)

    assert client.get("/counselor/").status_code == 200
    assert old.get("/counselor/").status_code == 302
    with app.app_context():
        assert db.session.get(User, counselor.id).session_generation == 1


def refresh_login(client, token: str | None):
    """POST /login/refresh as the live page does, with the CSRF token in a header."""
    headers = {"X-CSRFToken": token} if token else {}
    return client.post("/login/refresh", headers=headers)


def test_refreshing_the_login_renews_the_cookie_and_hands_out_a_fresh_token(app, client, signed_in):
    _, token = signed_in

    response = refresh_login(client, token)

    assert response.status_code == 200
    assert any(h.startswith("session=") and "Expires=" in h for h in response.headers.getlist("Set-Cookie"))
    again = refresh_login(client, response.get_json()["csrf_token"])
    assert again.status_code == 200


def test_refreshing_the_login_needs_the_csrf_token(client, signed_in):
    assert refresh_login(client, None).status_code == 400


def test_refreshing_an_ended_login_answers_401_and_renews_nothing(app, client, signed_in):
    _, token = signed_in
    copy = copy_of_login(app, client)
    logout(client)

    response = refresh_login(copy, token)

    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"
    assert copy.get("/counselor/").status_code == 302


def test_logout_without_a_csrf_token_is_refused(app, client):
    with app.app_context():
        counselor = make_counselor()
    login(client, counselor.email)

    assert client.post("/logout").status_code == 400
    assert client.get("/counselor/").status_code == 200


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/counselor/couples/new", "/counselor/couples/new"),
        ("https://evil.example/steal", "/counselor/"),
        ("//evil.example/steal", "/counselor/"),
        ("/\\evil.example", "/counselor/"),
        ("javascript:alert(1)", "/counselor/"),
    ],
)
def test_login_follows_next_only_to_local_paths(app, client, next_url, expected):
    with app.app_context():
        counselor = make_counselor()

    response = login(client, counselor.email, next_url=next_url)

    assert response.location == expected


def test_a_protected_page_sends_visitors_to_login_and_back(app, client):
    with app.app_context():
        counselor = make_counselor()

    first = client.get("/counselor/couples/new")
    assert first.status_code == 302
    assert first.location.startswith("/login?next=")

    response = login(client, counselor.email, next_url="/counselor/couples/new")
    assert response.location == "/counselor/couples/new"


def test_the_eleventh_login_attempt_in_a_minute_is_refused(app, client):
    page = client.get("/login").get_data(as_text=True)
    data = {"email": "who@example.org", "password": "whatever-it-is", "csrf_token": csrf_token(page)}

    statuses = [client.post("/login", data=data).status_code for _ in range(11)]

    assert statuses[:10] == [200] * 10
    assert statuses[10] == 429
    last = client.post("/login", data=data)
    assert "Please wait a moment" in last.get_data(as_text=True)
    assert client.get("/login").status_code == 200  # only POSTs are limited


def test_a_form_without_its_csrf_token_is_refused(client):
    response = client.post("/login", data={"email": "a@example.org", "password": "whatever-it-is"})

    assert response.status_code == 400
    assert "The form expired, please try again" in response.get_data(as_text=True)


def test_login_starts_a_fresh_permanent_session_with_the_idle_timeout(app, client):
    with app.app_context():
        counselor = make_counselor()
    client.get("/login")
    with client.session_transaction() as session:
        session["left_over"] = "from before login"

    response = login(client, counselor.email)

    assert app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(minutes=30)
    assert app.config["SESSION_REFRESH_EACH_REQUEST"] is True
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "Expires=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    with client.session_transaction() as session:
        assert session.permanent
        assert "left_over" not in session
        assert session["_user_id"] == str(counselor.id)
    refreshed = client.get("/counselor/")
    assert any(h.startswith("session=") for h in refreshed.headers.getlist("Set-Cookie"))


def test_signed_in_visitors_to_login_and_landing_go_home(app, client):
    with app.app_context():
        counselor = make_counselor()
    login(client, counselor.email)

    assert client.get("/").location == "/counselor/"
    assert client.get("/login").location == "/counselor/"
    assert client.get("/login?next=/counselor/couples/new").location == "/counselor/couples/new"
    assert client.get("/login?next=https://evil.example/").location == "/counselor/"
