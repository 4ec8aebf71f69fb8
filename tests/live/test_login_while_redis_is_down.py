"""Logging in keeps working while Redis, where the rate limiter keeps its counters, is down.

The test runs its own redis-server on a free port and stops it; the shared one is never touched.
"""

from __future__ import annotations

import re
import signal
import subprocess
import time

import pytest
import redis
import requests
from builders import PASSWORD
from servers import live_server, login_cookie, logout

from bench import infra

pytestmark = [pytest.mark.live, pytest.mark.redis]


@pytest.fixture
def private_redis(tmp_path):
    """A redis-server of this test only, on a free port; yields its URL, stops it afterwards."""
    port = infra.free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while True:
        try:
            redis.Redis.from_url(url, socket_timeout=1).ping()
            break
        except redis.exceptions.ConnectionError:
            assert time.monotonic() < deadline, "the private redis-server did not start"
            time.sleep(0.1)
    yield process, url
    if process.poll() is None:
        process.send_signal(signal.SIGCONT)  # in case the test froze it
        process.terminate()
        process.wait(10)


def post_login(base_url: str, email: str, password: str) -> requests.Response:
    """One login through the real form; the response of the POST, redirects not followed."""
    with requests.Session() as http:
        page = http.get(f"{base_url}/login", timeout=10).text
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        return http.post(f"{base_url}/login", data={"email": email, "password": password, "csrf_token": token},
                         allow_redirects=False, timeout=10)


def test_logging_in_and_out_works_while_redis_is_down_and_the_limit_still_holds(app, couple, private_redis):
    process, url = private_redis
    server = live_server(app.config["SQLALCHEMY_DATABASE_URI"],
                         extra_env={"COUPLES_REDIS_URL": url, "COUPLES_LOGIN_LIMIT": "4 per minute"}).start()
    try:
        cookie = login_cookie(server.url, couple.partner_a.email, PASSWORD)

        process.terminate()
        process.wait(10)

        logout(server.url, cookie)  # the login ends even though the sockets' queue is unreachable

        assert post_login(server.url, couple.partner_b.email, PASSWORD).status_code == 302
        wrong = [post_login(server.url, couple.partner_b.email, "not the password").status_code for _ in range(3)]
        assert wrong == [200, 200, 200]
        # The outage's attempts were counted in memory: the fifth in the minute is refused.
        assert post_login(server.url, couple.partner_b.email, PASSWORD).status_code == 429
    finally:
        server.stop()


def test_logging_in_works_while_redis_hangs(app, couple, private_redis):
    process, url = private_redis
    server = live_server(app.config["SQLALCHEMY_DATABASE_URI"], extra_env={"COUPLES_REDIS_URL": url}).start()
    try:
        process.send_signal(signal.SIGSTOP)  # Redis still accepts connections but never answers

        started = time.monotonic()
        assert post_login(server.url, couple.partner_a.email, PASSWORD).status_code == 302
        assert time.monotonic() - started < 5
    finally:
        server.stop()
