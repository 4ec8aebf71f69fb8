"""Logging out through one process closes the login's sockets held by another (over the Redis queue)."""

from __future__ import annotations

import pytest
import socketio
from builders import PASSWORD
from servers import LiveClient, login_cookie, logout

from bench import infra

from .conftest import PUBLIC_ORIGIN, start_session

pytestmark = [pytest.mark.live, pytest.mark.postgres, pytest.mark.redis]
PLAN = infra.library_plan("short-check-in")


@pytest.fixture
def follow():
    """follow(server, cookie, session_id) -> a joined LiveClient; all shut down afterwards."""
    opened: list[LiveClient] = []

    def connect(server: infra.Server, cookie: str, session_id: int) -> LiveClient:
        client = LiveClient(server.url, cookie, session_id, origin=PUBLIC_ORIGIN)
        opened.append(client)
        return client.connect()

    yield connect
    for client in opened:
        client.sio.shutdown()


def test_logging_out_on_one_process_closes_that_logins_sockets_on_every_process(pg_app, cluster, couple, follow):
    first, second = cluster(2)
    session_id = start_session(pg_app, couple, PLAN)
    cookie = login_cookie(first.url, couple.partner_a.email, PASSWORD)
    here, there = follow(first, cookie, session_id), follow(second, cookie, session_id)
    sam = follow(second, login_cookie(second.url, couple.partner_b.email, PASSWORD), session_id)

    logout(first.url, cookie)

    for socket in (here, there):
        assert socket.gone.wait(10), "a socket of the ended login stayed open"
        assert ("signed_out", {}) in socket.frames
    replay = LiveClient(second.url, cookie, session_id, origin=PUBLIC_ORIGIN)
    with pytest.raises(socketio.exceptions.ConnectionError):
        replay.connect()
    assert replay.refusal == {"message": "unauthorized"}
    assert not sam.gone.is_set()
    assert sam.act("ready", sam.latest["step"]["id"], {})["ok"]
