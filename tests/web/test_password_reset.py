"""Getting back in: password links a counselor makes, links asked for by e-mail (a real SMTP
server), changing a password, and what each of them ends."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from builders import PASSWORD, csrf_token, login, make_counselor, make_couple, post_form
from mail import Inbox
from sqlalchemy import select, update

from couples.extensions import db
from couples.models import AuditEntry, PasswordReset, hash_token, utcnow

NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def world(app):
    with app.app_context():
        counselor = make_counselor(email="dana@example.org")
        return {"counselor": counselor, "couple": make_couple(counselor),
                "waiting": make_couple(counselor, joined=False, names=("Kim", "Lee"))}


def counselor_makes_reset_link(client, couple, slot: str = "a") -> str:
    """The counselor asks for a partner's password link; returns the link the couple page shows once."""
    if client.get("/counselor/").status_code != 200:
        login(client, "dana@example.org")
    page_url = f"/counselor/couples/{couple.id}"
    post_form(client, page_url, {}, action=f"{page_url}/partners/{slot}/reset-link")
    html = client.get(page_url).get_data(as_text=True)
    found = re.search(r'id="reset-link"[^>]*>(http[^<]+)</textarea>', html)
    assert found, "no password link on the couple page"
    return found.group(1)


def choose_password(client, link: str, password: str = NEW_PASSWORD):
    return post_form(client, link, {"password": password, "confirm": password})


def audit_actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


# -- links the counselor makes ---------------------------------------------------------------------


def test_a_counselor_makes_a_link_and_the_partner_chooses_a_new_password_with_it(app, world):
    counselor, partner, elsewhere = app.test_client(), app.test_client(), app.test_client()
    email = world["couple"].partner_a.email
    login(elsewhere, email)
    link = counselor_makes_reset_link(counselor, world["couple"])

    response = choose_password(partner, link)

    assert response.status_code == 302 and response.location == "/partner/"
    assert "Hello, Alex" in partner.get("/partner/").get_data(as_text=True)  # logged in by the reset
    assert elsewhere.get("/partner/").status_code == 302  # every other login ended
    assert login(app.test_client(), email, PASSWORD).status_code == 200  # the old password is refused
    assert login(app.test_client(), email, NEW_PASSWORD).status_code == 302
    assert {"password_reset.issued", "auth.password_reset"} <= set(audit_actions(app))


def test_the_link_is_shown_once_and_works_once(app, world):
    counselor, partner = app.test_client(), app.test_client()
    link = counselor_makes_reset_link(counselor, world["couple"])
    assert 'id="reset-link"' not in counselor.get(f"/counselor/couples/{world['couple'].id}").get_data(as_text=True)
    choose_password(partner, link)

    again = app.test_client().get(link)

    assert again.status_code == 410
    assert "no longer works" in again.get_data(as_text=True)


def test_only_a_fingerprint_of_the_token_is_stored(app, world):
    link = counselor_makes_reset_link(app.test_client(), world["couple"])
    token = link.rsplit("/", 1)[1]

    with app.app_context():
        stored = db.session.scalar(select(PasswordReset.token_hash))
    assert stored == hash_token(token) and token not in stored


def test_a_newer_link_replaces_the_older_one(app, world):
    counselor = app.test_client()
    older = counselor_makes_reset_link(counselor, world["couple"])
    newer = counselor_makes_reset_link(counselor, world["couple"])

    assert app.test_client().get(older).status_code == 410
    assert app.test_client().get(newer).status_code == 200


def test_an_expired_link_is_refused_and_changes_nothing(app, world):
    link = counselor_makes_reset_link(app.test_client(), world["couple"])
    with app.app_context():
        db.session.execute(update(PasswordReset).values(expires_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
    partner = app.test_client()
    page = partner.get(link)

    response = partner.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
                                        "csrf_token": csrf_token(app.test_client().get("/login").get_data(as_text=True))})

    assert page.status_code == 410 and response.status_code in (400, 410)
    assert login(app.test_client(), world["couple"].partner_a.email, PASSWORD).status_code == 302


def test_a_too_short_password_is_explained_and_the_link_still_works(app, world):
    link = counselor_makes_reset_link(app.test_client(), world["couple"])
    partner = app.test_client()

    response = choose_password(partner, link, "short")

    assert response.status_code == 200
    assert "Use between 10 and 128 characters." in response.get_data(as_text=True)
    assert partner.get(link).status_code == 200


def test_no_link_for_a_partner_who_has_not_joined(app, world):
    client = app.test_client()
    login(client, "dana@example.org")
    page_url = f"/counselor/couples/{world['waiting'].id}"

    response = post_form(client, page_url, {}, action=f"{page_url}/partners/a/reset-link")

    assert response.status_code == 302
    assert "has not joined yet" in client.get(page_url).get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(PasswordReset)) is None


def test_another_counselor_cannot_make_a_link_for_someone_elses_partner(app, world):
    with app.app_context():
        make_counselor(email="ravi@example.org")
    client = app.test_client()
    login(client, "ravi@example.org")

    response = post_form(client, "/counselor/", {}, action=f"/counselor/couples/{world['couple'].id}/partners/a/reset-link")

    assert response.status_code == 404
    with app.app_context():
        assert db.session.scalar(select(PasswordReset)) is None


def test_the_reset_token_never_reaches_the_request_log(app, world, caplog):
    link = counselor_makes_reset_link(app.test_client(), world["couple"])
    token = link.rsplit("/", 1)[1]

    with caplog.at_level("INFO", logger="couples.requests"):
        app.test_client().get(link)

    lines = [record.getMessage() for record in caplog.records if record.name == "couples.requests"]
    assert lines and not any(token in line for line in lines)
    assert any('"GET /reset/[redacted]" 200' in line for line in lines)


# -- changing a password ---------------------------------------------------------------------------


def test_a_partner_changes_their_password_and_their_other_logins_end(app, world):
    here, elsewhere = app.test_client(), app.test_client()
    email = world["couple"].partner_b.email
    login(here, email)
    login(elsewhere, email)

    response = post_form(here, "/account/password",
                         {"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})

    assert response.status_code == 302
    assert here.get("/partner/").status_code == 200
    assert elsewhere.get("/partner/").status_code == 302
    assert login(app.test_client(), email, NEW_PASSWORD).status_code == 302
    assert "auth.password_changed" in audit_actions(app)


def test_a_wrong_current_password_changes_nothing(app, world):
    client = app.test_client()
    login(client, "dana@example.org")

    response = post_form(client, "/account/password",
                         {"current": "not my password", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})

    assert response.status_code == 200
    assert "That is not your current password." in response.get_data(as_text=True)
    assert client.get("/counselor/").status_code == 200  # still logged in
    assert login(app.test_client(), "dana@example.org", PASSWORD).status_code == 302


# -- by e-mail -------------------------------------------------------------------------------------


def test_without_smtp_there_is_no_e_mail_reset_and_login_says_whom_to_ask(client):
    assert client.get("/reset").status_code == 404
    assert "ask your counselor" in client.get("/login").get_data(as_text=True)


class TestByEmail:
    """With SMTP set, to a real SMTP server the test starts."""

    @pytest.fixture
    def app_config(self, app_config, smtp_server):
        return {**app_config, "SMTP": smtp_server[1], "LOGIN_LIMIT": "5 per minute"}

    @pytest.fixture
    def inbox(self, smtp_server) -> Inbox:
        return smtp_server[0]

    def test_anyone_gets_a_link_by_e_mail_and_the_e_mail_holds_only_the_link(self, app, world, inbox):
        email = world["couple"].partner_a.email
        client = app.test_client()
        assert "Forgot your password?" in client.get("/login").get_data(as_text=True)

        answer = post_form(client, "/reset", {"email": email.upper()})

        [message] = inbox.wait_for()
        body = message.get_content()
        [link] = re.findall(r"https?://\S+", body)
        assert message["To"] == email and message["From"] == "app@couples.test"
        assert link.startswith(app.config["SETTINGS"].public_url + "/reset/")  # never the request's Host
        assert "Alex" not in body and "Sam" not in body and "Dana" not in body
        assert "If an account uses that address" in answer.get_data(as_text=True)
        path = link.split("/", 3)[3]
        assert choose_password(app.test_client(), "/" + path).status_code == 302
        assert login(app.test_client(), email, NEW_PASSWORD).status_code == 302

    def test_an_unknown_address_gets_the_same_answer_and_no_e_mail(self, app, world, inbox):
        client = app.test_client()
        known = post_form(client, "/reset", {"email": world["couple"].partner_a.email}).get_data(as_text=True)
        unknown = post_form(client, "/reset", {"email": "nobody@example.org"}).get_data(as_text=True)

        inbox.wait_for()
        time.sleep(0.5)  # time for a second e-mail, were one (wrongly) on its way
        assert len(inbox.messages) == 1
        strip = re.compile(r'name="csrf_token"[^>]*>')
        assert strip.sub("", known) == strip.sub("", unknown)

    def test_asking_again_and_again_is_rate_limited(self, app, world, inbox):
        client = app.test_client()
        answers = [post_form(client, "/reset", {"email": "nobody@example.org"}).status_code for _ in range(6)]

        assert answers[:5] == [200] * 5 and answers[5] == 429

    def test_one_address_gets_at_most_three_e_mails_a_quarter_hour(self, app, world, inbox):
        email = world["couple"].partner_b.email
        for _ in range(4):
            post_form(app.test_client(), "/reset", {"email": email})

        inbox.wait_for(3)
        time.sleep(0.5)
        assert len(inbox.messages) == 3


# -- for the operator ------------------------------------------------------------------------------


def test_the_operator_prints_a_password_link_for_a_counselor(app, runner, world):
    result = runner.invoke(args=["password-link", "DANA@example.org"])

    assert result.exit_code == 0, result.output
    [link] = re.findall(r"https?://\S+", result.output)
    assert link.startswith(app.config["SETTINGS"].public_url + "/reset/")
    client = app.test_client()
    assert choose_password(client, "/" + link.split("/", 3)[3]).location == "/counselor/"
    assert login(app.test_client(), "dana@example.org", NEW_PASSWORD).status_code == 302


def test_the_operator_is_told_when_no_account_has_the_address(app, runner, world):
    result = runner.invoke(args=["password-link", "nobody@example.org"])

    assert result.exit_code != 0 and "No account has the e-mail address" in result.output
    with app.app_context():
        assert db.session.scalar(select(PasswordReset)) is None
