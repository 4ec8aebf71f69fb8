"""The real server starts (python wsgi.py, eventlet) and serves the login page."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_SECONDS = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.live
def test_the_server_starts_and_serves_the_login_page(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "COUPLES_PORT": str(port),
        "COUPLES_HOST": "127.0.0.1",
        "COUPLES_DATABASE_URL": f"sqlite:///{tmp_path}/smoke.db",
        "COUPLES_SECRET_KEY": "smoke-test-secret",
    }
    env.pop("COUPLES_ASYNC_MODE", None)  # the default: eventlet
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "wsgi.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        response = wait_for(f"http://127.0.0.1:{port}/login", server, tmp_path / "server.log")
        assert response.status_code == 200
        assert "Log in" in response.text
        assert response.headers["Referrer-Policy"] == "no-referrer"
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        log.close()


def wait_for(url: str, server: subprocess.Popen, log: Path) -> requests.Response:
    """Poll ``url`` until the server answers; fail (showing its output) if it exits or takes too long."""
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while True:
        if server.poll() is not None:
            pytest.fail(f"the server exited with {server.returncode} before answering:\n{log.read_text()}")
        try:
            with requests.get(url, timeout=2) as response:
                return response
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                pytest.fail(f"no answer from {url} within {START_TIMEOUT_SECONDS}s:\n{log.read_text()}")
            time.sleep(0.2)
