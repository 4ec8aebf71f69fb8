"""``python wsgi.py`` serves pages and live sessions in each supported async mode, and so does gunicorn."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import requests
from builders import PASSWORD
from servers import LiveClient, live_server, login_cookie

pytestmark = pytest.mark.live


GUNICORN = [str(Path(sys.executable).parent / "gunicorn"), "-k", "eventlet", "-w", "1", "-b", "127.0.0.1:{port}",
            "wsgi:app"]


@pytest.mark.parametrize("async_mode, command", [
    ("eventlet", None), ("gevent", None), ("threading", None), ("eventlet", GUNICORN),
], ids=["eventlet", "gevent", "threading", "gunicorn-eventlet"])
def test_the_server_serves_pages_and_live_sessions(app, couple, session_id, async_mode, command):
    server = live_server(app.config["SQLALCHEMY_DATABASE_URI"], extra_env={"COUPLES_ASYNC_MODE": async_mode},
                         command=command).start()
    try:
        page = requests.get(f"{server.url}/login", timeout=10)
        assert page.status_code == 200 and "Log in" in page.text
        assert page.headers["Referrer-Policy"] == "no-referrer"
        client = LiveClient(server.url, login_cookie(server.url, couple.partner_a.email, PASSWORD), session_id).connect()
        try:
            assert client.latest["viewer"] == "a"
            assert client.act("ready", client.latest["step"]["id"], {})["ok"]
        finally:
            client.close()
    finally:
        server.stop()
