"""Every request is logged in one line, and no working link (an invitation token) reaches the log."""

from __future__ import annotations

import logging

from builders import make_counselor, make_couple

from couples.requestlog import REDACTED, redact


def test_an_invitation_request_is_logged_without_its_token(app, client, caplog):
    with app.app_context():
        token = make_couple(make_counselor(), joined=False).tokens["a"]

    with caplog.at_level(logging.INFO, logger="couples.requests"):
        client.get(f"/invite/{token}?again={token}")

    [line] = [record.getMessage() for record in caplog.records if record.name == "couples.requests"]
    assert token not in line
    assert f'"GET /invite/{REDACTED}?again={REDACTED}" 200' in line


def test_ordinary_paths_and_values_are_logged_as_they_are():
    assert redact("/counselor/couples/12", "page=2") == "/counselor/couples/12?page=2"
    assert redact("/static/css/app.css") == "/static/css/app.css"
