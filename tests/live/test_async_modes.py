"""``python wsgi.py`` serves pages and live sessions in each supported async mode."""

from __future__ import annotations

import pytest
import requests
from builders import PASSWORD
from servers import LiveClient, LiveServer, login_cookie

pytestmark = pytest.mark.live


@pytest.mark.parametrize("async_mode", ["eventlet", "gevent", "threading"])
def test_the_server_serves_pages_and_live_sessions_in_each_async_mode(app, couple, session_id, async_mode):
    server = LiveServer(app.config["SQLALCHEMY_DATABASE_URI"], extra_env={"COUPLES_ASYNC_MODE": async_mode}).start()
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
