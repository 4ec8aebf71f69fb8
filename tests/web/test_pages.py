"""Public pages, the partner's safety features and error pages (headers: test_headers.py)."""

from __future__ import annotations

import pytest
from markupsafe import escape
from builders import login, make_counselor, make_couple


def test_pages_have_no_inline_script_or_style_and_nothing_from_elsewhere(client):
    html = client.get("/login").get_data(as_text=True)

    assert "<script>" not in html and "style=" not in html and "<style" not in html
    assert "http://" not in html.replace("http://localhost", "") and "https://" not in html


def test_the_landing_page_offers_a_way_in(client):
    html = client.get("/").get_data(as_text=True)

    assert 'href="/login"' in html and 'href="/signup"' in html


def test_the_layout_is_accessible(client):
    html = client.get("/login").get_data(as_text=True)

    assert 'class="skip-link" href="#main"' in html
    assert '<main id="main"' in html
    assert 'role="status"' in html
    assert '<label for="email">' in html and '<label for="password">' in html


def test_help_lists_the_crisis_resources_and_what_the_app_is_not(app, client):
    html = client.get("/help").get_data(as_text=True)

    for label, number, link in app.config["CRISIS_RESOURCES"]:
        assert str(escape(label)) in html and number in html and f'href="{link}"' in html
    assert "not a diagnosis" in html and "not an emergency service" in html
    assert "911" in html


def test_the_crisis_resources_come_from_the_configuration(tmp_path):
    from couples import create_app
    from couples.config import CrisisLine

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/c.db",
            "SECRET_KEY": "k",
            "ASYNC_MODE": "threading",
            "TESTING": True,
            "CRISIS_LINES": (CrisisLine("Local line", "555-0100", "tel:5550100"),),
        }
    )

    html = app.test_client().get("/help").get_data(as_text=True)

    assert "Local line" in html and 'href="tel:5550100"' in html


def test_partner_pages_have_quick_exit_and_a_help_link(app, client):
    with app.app_context():
        couple = make_couple(make_counselor())
    login(client, couple.partner_a.email)

    html = client.get("/partner/").get_data(as_text=True)

    assert '<a class="quick-exit" href="/weather" data-quick-exit data-exit-beacon="/quick-exit"' in html
    assert "/static/js/quick-exit.js" in html
    assert 'href="/help"' in html
    assert html.index("Quick exit") < html.index("<main")


def test_the_quick_exit_script_replaces_the_page_and_listens_for_double_escape(client):
    with client.get("/static/js/quick-exit.js") as response:
        script = response.get_data(as_text=True)

    assert "location.replace" in script
    assert "Escape" in script


def test_the_neutral_page_shows_nothing_of_the_app(client):
    html = client.get("/weather").get_data(as_text=True)

    assert "<title>Weather</title>" in html
    for word in ("ouple", "workshop", "counsel", "partner", "Quick exit", "help"):
        assert word not in html


def test_the_partner_home_hands_the_live_panel_its_context(app, client, monkeypatch):
    from couples.web import partner

    seen = {}

    def fake_render(name, **context):
        seen.update(context, template=name)
        return "ok"

    monkeypatch.setattr(partner, "render_template", fake_render)
    with app.app_context():
        couple = make_couple(make_counselor())
    login(client, couple.partner_b.email)

    client.get("/partner/")

    assert seen["couple"].id == couple.id and seen["viewer_slot"] == "b"
    source = app.jinja_env.loader.get_source(app.jinja_env, "partner/home.html")[0]
    assert '{% include "live/_sessions_panel.html" ignore missing %}' in source


@pytest.mark.parametrize(
    ("method", "url", "status"),
    [("get", "/no-such-page", 404), ("post", "/weather", 405), ("get", "/invite/unknown", 404)],
)
def test_errors_get_a_friendly_page(client, method, url, status):
    response = getattr(client, method)(url)

    assert response.status_code == status
    assert "<main" in response.get_data(as_text=True)


def test_errors_answer_json_to_clients_that_ask_for_it(client):
    response = client.get("/no-such-page", headers={"Accept": "application/json"})

    assert response.status_code == 404
    assert response.get_json() == {
        "error": "Page not found",
        "message": "The page may have moved, or the link may be incomplete.",
        "status": 404,
    }


def test_a_method_not_allowed_keeps_the_allow_header(client):
    response = client.post("/weather")

    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]


def test_a_server_error_gets_a_calm_page(app, client):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/boom")
    def boom():
        raise RuntimeError("boom")

    response = client.get("/boom")

    assert response.status_code == 500
    assert "Something went wrong on our side" in response.get_data(as_text=True)


def test_a_too_large_request_gets_a_friendly_page(client):
    response = client.post("/login", data={"email": "x" * (2 * 1024 * 1024)})  # over the 1 MiB a request may be

    assert response.status_code == 413
    assert "too much" in response.get_data(as_text=True)
