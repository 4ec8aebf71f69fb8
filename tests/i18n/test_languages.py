"""Each person's language: chosen at sign-up (offered from the browser), changed on the account page
(at once, confirmed in the new language, and live sessions told through the seats), a visitor's
choice remembered in a cookie, moments written the reader's way, and crisis lines in the reader's
language first."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from builders import PASSWORD, csrf_token, login, make_counselor, make_couple, post_form
from flask_babel import force_locale

from couples.config import CrisisLine
from couples.extensions import db
from couples.models import Couple, User
from couples.services import accounts
from couples.web.pages import local_date, local_moment

SPANISH = {"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"}
ENGLISH = {"Accept-Language": "en-US,en;q=0.9"}


def html_lang(html: str) -> str:
    return re.search(r'<html lang="([^"]+)"', html).group(1)


# -- sign-up -------------------------------------------------------------------------------------


def test_the_sign_up_page_speaks_and_offers_the_browsers_language(client):
    page = client.get("/signup", headers=SPANISH).get_data(as_text=True)

    assert html_lang(page) == "es" and "Crea una cuenta de terapeuta" in page
    assert re.search(r'<option[^>]*selected[^>]*value="es"|<option[^>]*value="es"[^>]*selected', page)


def test_a_counselor_who_picks_spanish_at_sign_up_reads_the_app_in_spanish(app, client):
    response = post_form(client, "/signup", {"display_name": "Dana", "email": "dana@example.org", "password": PASSWORD,
                                            "confirm": PASSWORD, "language": "es"})

    assert response.status_code == 302
    home = client.get(response.location, headers=ENGLISH).get_data(as_text=True)
    assert html_lang(home) == "es" and "Tu cuenta de terapeuta está lista" in home
    with app.app_context():
        assert accounts.user_by_email("dana@example.org").language == "es"


def test_a_partner_joining_through_their_link_chooses_their_language(app, client):
    with app.app_context():
        couple = make_couple(make_counselor(), joined=False)
    link = f"/invite/{couple.tokens['b']}"
    assert html_lang(client.get(link, headers=SPANISH).get_data(as_text=True)) == "es"

    response = post_form(client, link, {"email": "sam@example.org", "password": PASSWORD, "confirm": PASSWORD,
                                        "language": "es"})

    assert response.status_code == 302
    with app.app_context():
        assert accounts.user_by_email("sam@example.org").language == "es"


def test_a_language_the_app_does_not_speak_is_refused_with_a_clear_error(app, client):
    response = post_form(client, "/signup", {"display_name": "Dana", "email": "dana@example.org",
                                            "password": PASSWORD, "confirm": PASSWORD, "language": "fr"})

    assert response.status_code == 200 and "Not a valid choice" in response.get_data(as_text=True)
    with app.app_context():
        assert accounts.user_by_email("dana@example.org") is None


# -- changing it ---------------------------------------------------------------------------------


@pytest.fixture
def couple(app):
    with app.app_context():
        return make_couple(make_counselor())


def test_changing_the_language_applies_at_once_and_is_confirmed_in_the_new_language(app, client, couple):
    login(client, couple.partner_a.email)

    response = post_form(client, "/account", {"language": "es"}, action="/account/language")

    page = client.get(response.location).get_data(as_text=True)
    assert html_lang(page) == "es" and "Guardamos tu idioma: la aplicación ahora está en español." in page
    assert "Tu cuenta" in page and "Your account" not in page
    response = post_form(client, "/account", {"language": "en"}, action="/account/language")
    assert "Your language is saved: the app is now in English." in client.get(response.location).get_data(as_text=True)


def test_a_change_of_language_tells_open_live_sessions_through_the_couples_seats(app, couple):
    with app.app_context():
        before = db.session.get(Couple, couple.id).seats_version
        accounts.set_language(db.session.get(User, couple.partner_b_id), "es")
        accounts.set_language(db.session.get(User, couple.counselor_id), "es")
        accounts.set_language(db.session.get(User, couple.counselor_id), "es")  # no change: nothing to tell

        assert db.session.get(Couple, couple.id).seats_version == before + 2
        assert db.session.get(User, couple.partner_b_id).language == "es"


def test_an_unknown_language_changes_nothing(app, client, couple):
    login(client, couple.partner_a.email)

    response = post_form(client, "/account", {"language": "xx"}, action="/account/language")

    assert response.status_code == 200 and "Not a valid choice" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, couple.partner_a_id).language == "en"
        with pytest.raises(accounts.AccountError):
            accounts.set_language(db.session.get(User, couple.partner_a_id), "xx")


# -- visitors ------------------------------------------------------------------------------------


def test_a_visitors_choice_is_remembered_and_wins_over_the_browsers(client):
    page = client.get("/login", headers=ENGLISH).get_data(as_text=True)
    assert 'value="es" lang="es"' in page  # the switch offers Spanish, named in Spanish

    response = client.post("/language", data={"csrf_token": csrf_token(page), "language": "es", "next": "/login"},
                           headers=ENGLISH)

    assert response.status_code == 302 and response.location == "/login"
    assert "language=es" in response.headers["Set-Cookie"] and "HttpOnly" in response.headers["Set-Cookie"]
    again = client.get("/login", headers=ENGLISH).get_data(as_text=True)
    assert html_lang(again) == "es" and "Iniciar sesión" in again


def test_the_switch_goes_back_only_to_a_page_of_this_site(client):
    token = csrf_token(client.get("/login").get_data(as_text=True))

    response = client.post("/language", data={"csrf_token": token, "language": "es", "next": "//evil.example/"})

    assert response.location == "/"


def test_a_persons_own_language_wins_over_the_visitor_cookie(app, client, couple):
    client.set_cookie("language", "es")
    login(client, couple.partner_a.email)

    page = client.get("/partner/", headers=SPANISH).get_data(as_text=True)

    assert html_lang(page) == "en"


# -- moments and crisis lines -----------------------------------------------------------------------


def test_dates_and_times_are_written_the_readers_way(app):
    moment = datetime(2026, 12, 3, 13, 5, tzinfo=UTC)
    with app.test_request_context(), force_locale("es"):
        assert local_date(moment, "America/New_York") == "3 dic 2026"
        assert local_moment(moment, "Europe/Berlin") == "3 dic 2026, 14:05"
    with app.test_request_context(), force_locale("en"):
        assert local_date(moment, "America/New_York") == "Dec 3, 2026"
        assert local_moment(moment, "Europe/Berlin") == "Dec 3, 2026, 2:05\u202fPM"


@pytest.fixture
def app_config(app_config):
    return {**app_config, "CRISIS_LINES": (CrisisLine("English line", "555-0100", "tel:5550100", ("en",)),
                                           CrisisLine("Línea en español", "555-0199", "tel:5550199", ("es",)))}


def test_a_spanish_reader_sees_the_spanish_crisis_line_first(client):
    spanish = client.get("/help", headers=SPANISH).get_data(as_text=True)
    english = client.get("/help", headers=ENGLISH).get_data(as_text=True)

    assert spanish.index("Línea en español") < spanish.index("English line")
    assert english.index("English line") < english.index("Línea en español")


def test_the_shipped_crisis_lines_are_named_in_the_readers_language(tmp_path):
    from couples import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/c.db", "SECRET_KEY": "k",
                      "ASYNC_MODE": "threading", "TESTING": True})

    page = app.test_client().get("/help", headers=SPANISH).get_data(as_text=True)

    assert "Línea Nacional de Ayuda de SAMHSA" in page and "988 Línea de Prevención del Suicidio y Crisis" in page


# -- errors ----------------------------------------------------------------------------------------


def test_error_pages_and_an_expired_form_speak_the_readers_language(client):
    missing = client.get("/no-such-page", headers=SPANISH)
    expired = client.post("/login", data={"email": "a@example.org", "password": "x"}, headers=SPANISH)
    as_json = client.get("/no-such-page", headers={**SPANISH, "Accept": "application/json"})

    assert missing.status_code == 404 and "No encontramos la página" in missing.get_data(as_text=True)
    assert expired.status_code == 400 and "El formulario venció" in expired.get_data(as_text=True)
    assert as_json.json["error"] == "No encontramos la página"


def test_a_page_behind_the_login_asks_to_log_in_in_the_readers_language(client):
    response = client.get("/account", headers=SPANISH)

    assert "Inicia sesión para continuar." in client.get(response.location, headers=SPANISH).get_data(as_text=True)


class TestEmail:
    """An e-mail goes out in its recipient's language, whoever asked for it and in whatever language."""

    @pytest.fixture
    def app_config(self, app_config, smtp_server):
        return {**app_config, "SMTP": smtp_server[1]}

    def test_a_password_link_asked_for_in_english_reaches_a_spanish_reader_in_spanish(self, app, couple, smtp_server):
        with app.app_context():
            accounts.set_language(db.session.get(User, couple.partner_a_id), "es")

        post_form(app.test_client(), "/reset", {"email": couple.partner_a.email})

        [message] = smtp_server[0].wait_for()
        assert message["Subject"] == "Elige una nueva contraseña"
        assert "Funciona una sola vez" in message.get_content()
