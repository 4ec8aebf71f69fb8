"""Fixtures for scale-out tests: a fresh PostgreSQL database per module, Redis per test, several servers.

When PostgreSQL or Redis is unreachable the tests are skipped with the reason, except on CI
(CI=true), where that is a failure: the CI job is supposed to provide both.
"""

from __future__ import annotations

import functools
import os
import random
import shutil
import time

import pytest
from builders import PASSWORD, make_counselor, make_couple
from live.drive import complete_plan, complete_step
from servers import LiveClient, couple_driver, login_cookie, require

from bench import infra
from couples.database import upgrade_database
from couples.extensions import db
from couples.models import Couple, User
from couples.services import live

PUBLIC_ORIGIN = "http://couples.test"  # what the proxy in front of the processes would be


@pytest.fixture(scope="module")
def pg_url():
    """A fresh PostgreSQL database for the module, dropped afterwards."""
    require(infra.postgres_problem())
    name, url = infra.create_database("couples_test")
    yield url
    infra.drop_database(name)


@pytest.fixture
def redis_url():
    """Redis for one test: its own database number (Flask-Limiter's keys), flushed afterwards.
    Pub/sub ignores database numbers: the cluster gets its own channel (see ``redis_channel``)."""
    require(infra.redis_problem())
    number = random.randint(1, 13)
    yield infra.redis_url(number)
    try:
        import redis

        redis.Redis.from_url(infra.redis_url(number), socket_timeout=3).flushdb()
    except Exception:  # noqa: BLE001 - the flush is tidying only
        pass


@pytest.fixture
def private_redis():
    """A redis-server of this test's own, on its own port: the test may stop and restart it."""
    if shutil.which("redis-server") is None:
        require("redis-server is not installed")
    server = infra.PrivateRedis().start()
    yield server
    server.stop()


@pytest.fixture
def redis_channel() -> str:
    """The Socket.IO message-queue channel of this test's cluster only."""
    return f"couples-test-{random.randrange(10**9)}"


@pytest.fixture(scope="module")
def pg_app(pg_url):
    """The app (test process, no eventlet) on the module's PostgreSQL database, migrated."""
    app = infra.make_app(pg_url, secret="scale-secret")
    upgrade_database(app)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def cluster(pg_url, redis_url, redis_channel, pg_app):
    """start(n, redis=None, **env) -> n ``wsgi.py`` processes sharing PostgreSQL and Redis (the shared one,
    on the test's own channel, unless ``redis`` names another); all stopped afterwards."""
    running: list[infra.Server] = []

    def start(n: int = 2, redis: str | None = None, **extra_env: str) -> list[infra.Server]:
        env = {"COUPLES_ALLOWED_ORIGINS": PUBLIC_ORIGIN, "COUPLES_REDIS_CHANNEL": redis_channel, **extra_env}
        servers = [infra.app_server(pg_url, redis=redis or redis_url, secret="scale-secret", extra_env=env)
                   for _ in range(n)]
        running.extend(servers)
        return [server.start() for server in servers]

    yield start
    for server in running:
        server.stop()


@pytest.fixture
def couple(pg_app):
    with pg_app.app_context():
        return make_couple(make_counselor())


def start_session(app, couple: Couple, plan) -> int:
    with app.app_context():
        return live.start_plan(db.session.get(User, couple.partner_a_id), db.session.get(Couple, couple.id), plan).id


@pytest.fixture
def partner_client():
    """partner_client(server, user, session_id, reconnection=True) -> a joined LiveClient; all closed afterwards."""
    opened: list[LiveClient] = []

    def connect(server: infra.Server, user: User, session_id: int, reconnection: bool = True) -> LiveClient:
        cookie = login_cookie(server.url, user.email, PASSWORD)
        client = LiveClient(server.url, cookie, session_id, origin=PUBLIC_ORIGIN, reconnection=reconnection)
        opened.append(client)
        return client.connect()

    yield connect
    for client in opened:
        try:
            client.shutdown()
        except Exception:  # noqa: BLE001
            pass


# Seconds: long enough for python-socketio's listener to back off (1, 2, 4, 8 s). SCALE_REDIS_OUTAGE=40
# runs the 40 s outage (the listener then waits 23 s more after Redis is back).
REDIS_OUTAGE = float(os.environ.get("SCALE_REDIS_OUTAGE", "10"))
HEARTBEAT = 1  # seconds (COUPLES_HEARTBEAT_SECONDS): "within one heartbeat" then means within a second or two


def ride_out_a_redis_outage(clients: dict[str, LiveClient], redis: infra.PrivateRedis, channel: str) -> None:
    """Stop ``redis`` for REDIS_OUTAGE seconds while both partners (on two processes, with a HEARTBEAT
    heartbeat) go on, start it again, and check that every change reaches both screens within one
    heartbeat throughout, that the processes subscribe again by themselves, and that the plan completes."""
    send, view = couple_driver(clients)
    while view("a")["step"]["kind"] not in ("read", "timer"):
        complete_step(send, view)
    step = view("a")["step"]
    within_one_heartbeat = functools.partial(_send_within_one_heartbeat, clients)

    redis.stop()
    stopped = time.monotonic()
    for role in "ab":  # both partners move on while Redis is down: every event is applied and acknowledged
        within_one_heartbeat(role, "ready", step["id"], {})
    assert view("a")["step"]["id"] == view("b")["step"]["id"] != step["id"]
    time.sleep(max(0.0, REDIS_OUTAGE - (time.monotonic() - stopped)))
    redis.start()

    # Just back, the processes are still waiting out their reconnect back-off, so nothing crosses
    # between them yet: each partner's screen is current within one heartbeat of every change anyway.
    complete_step(within_one_heartbeat, view)
    deadline = time.monotonic() + 60
    while redis.subscribers(channel) < 2 and time.monotonic() < deadline:  # they listen again by themselves
        time.sleep(0.2)
    assert redis.subscribers(channel) == 2, "the processes did not subscribe to Redis again"
    complete_plan(send, view)
    assert view("a")["status"] == view("b")["status"] == "completed"


def _send_within_one_heartbeat(clients: dict[str, LiveClient], role: str, type_: str, step_id: str | None,
                               data: dict) -> dict:
    ack = clients[role].act(type_, step_id, data)
    assert ack["ok"], ack
    for client in clients.values():
        client.wait_for_version(ack["version"], timeout=HEARTBEAT + 1.5)
    return ack
