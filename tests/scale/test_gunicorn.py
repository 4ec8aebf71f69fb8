"""Several workers on one port under gunicorn's master (gunicorn.conf.py), as the README runs them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from live.drive import complete_plan, complete_step
from servers import couple_driver

from bench import infra

from .conftest import HEARTBEAT, PUBLIC_ORIGIN, ride_out_a_redis_outage, start_session

pytestmark = [pytest.mark.live, pytest.mark.postgres, pytest.mark.redis]
PLAN = infra.library_plan("short-check-in")
GUNICORN = [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py", "-b", "127.0.0.1:{port}",
            "wsgi:app"]


@pytest.fixture
def start_master(pg_url, redis_url, redis_channel, pg_app):
    """start_master(redis=None) -> gunicorn's master with two eventlet workers on one port, sharing
    PostgreSQL and Redis (the shared one on this test's channel, unless ``redis`` names another)."""
    running: list[infra.Server] = []

    def start(redis: str | None = None) -> infra.Server:
        env = {"COUPLES_ALLOWED_ORIGINS": PUBLIC_ORIGIN, "COUPLES_REDIS_CHANNEL": redis_channel,
               "COUPLES_HEARTBEAT_SECONDS": str(HEARTBEAT)}
        server = infra.app_server(pg_url, redis=redis or redis_url, secret="scale-secret", extra_env=env,
                                  command=GUNICORN)
        running.append(server)
        return server.start()

    yield start
    for server in running:
        server.stop()


@pytest.fixture
def master(start_master):
    return start_master()


def workers_of(master: infra.Server, count: int = 2, timeout: float = 30) -> set[int]:
    """The pids of the master's workers, once there are ``count`` of them serving."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        children = {pid for pid in _pids() if _parent(pid) == master.pid}
        if len(children) == count:
            return children
        time.sleep(0.1)
    raise AssertionError(f"the master has {len(children)} workers, not {count}")


def _pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def _parent(pid: int) -> int | None:
    """The parent of a living process (a killed worker stays a zombie until the master reaps it)."""
    try:
        state, parent = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[:2]
    except (OSError, ValueError):
        return None
    return None if state == "Z" else int(parent)


def worker_holding(client, workers: set[int]) -> int:
    """The worker whose socket is the other end of ``client``'s WebSocket (from /proc/net/tcp)."""
    client_port = client.sio.eio.ws.sock.getsockname()[1]
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[2].split(":")[1], 16) == client_port and int(fields[1].split(":")[1], 16) != client_port:
            inode = fields[9]
    for pid in workers:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") == f"socket:[{inode}]":
                    return pid
            except OSError:
                continue
    raise AssertionError("no worker holds the client's socket")


def workers_replacing(master: infra.Server, dead: int, timeout: float = 30) -> set[int]:
    """The master's two workers once ``dead`` is not one of them: until the master reaps it, a killed
    worker is still its child (a zombie), and on a busy machine that can outlast the other worker's answer."""
    deadline = time.monotonic() + timeout
    while dead in (workers := workers_of(master)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert dead not in workers, f"the master still has the killed worker {dead}"
    return workers


def split_partners(master, pg_app, couple, partner_client, reconnection: bool = True):
    """Partner A and B joined on two different workers: (session_id, clients, {role: worker pid})."""
    workers = workers_of(master)
    session_id = start_session(pg_app, couple, PLAN)
    clients = {"a": partner_client(master, couple.partner_a, session_id, reconnection=reconnection)}
    for _ in range(40):  # the kernel hands each connection to whichever worker accepts first
        clients["b"] = partner_client(master, couple.partner_b, session_id)
        if worker_holding(clients["b"], workers) != worker_holding(clients["a"], workers):
            break
        clients["b"].shutdown()
    held = {role: worker_holding(client, workers) for role, client in clients.items()}
    assert held["a"] != held["b"], "both partners stayed on one worker"
    return session_id, clients, held


def test_a_killed_worker_leaves_the_other_serving_and_the_master_starts_a_new_one(master, pg_app, couple,
                                                                                   partner_client):
    session_id, clients, held = split_partners(master, pg_app, couple, partner_client)
    send, view = couple_driver(clients)
    complete_step(send, view)
    before = workers_of(master)

    os.kill(held["a"], signal.SIGKILL)
    ack = clients["b"].act("back", view("b")["step"]["id"], {})  # B's worker never noticed
    assert ack["ok"], ack
    assert clients["b"].disconnects == 0
    assert requests.get(f"{master.url}/login", timeout=10).status_code == 200
    replaced = workers_replacing(master, held["a"])
    assert len(replaced - before) == 1  # a new worker took the dead one's place
    assert master.process.poll() is None

    assert clients["a"].joined.wait(15), "A did not reconnect"  # to whichever worker accepts it
    clients["a"].wait_for_version(ack["version"], timeout=HEARTBEAT + 1.5)
    assert send("b", "cancel_back", view("b")["step"]["id"], {})["ok"]
    complete_plan(send, view)
    assert view("a")["status"] == view("b")["status"] == "completed"
    assert f"Worker (pid:{held['a']}) was sent SIGKILL" in master.log_tail()


def test_a_partner_on_a_killed_worker_shows_as_away_once_their_heartbeats_stop(master, pg_app, couple,
                                                                                partner_client):
    _, clients, held = split_partners(master, pg_app, couple, partner_client, reconnection=False)
    clients["b"].wait_for_presence("a", "joined")
    os.kill(held["a"], signal.SIGKILL)  # with the device gone too: no disconnect is ever recorded
    clients["a"].shutdown()
    killed = time.monotonic()
    clients["b"].wait_for_presence("a", "away", timeout=5 * HEARTBEAT + 3)
    # Three missed heartbeats make a connection away; B's next heartbeat shows it.
    assert time.monotonic() - killed >= 2 * HEARTBEAT


def test_partners_on_two_workers_stay_current_through_a_redis_outage(start_master, pg_app, couple, partner_client,
                                                                    private_redis, redis_channel):
    master = start_master(redis=private_redis.url)
    _, clients, _ = split_partners(master, pg_app, couple, partner_client)
    ride_out_a_redis_outage(clients, private_redis, redis_channel)


@pytest.mark.parametrize("database, redis, reason", [
    ("missing", "shared", "Worker failed to boot"),
    ("sqlite", "shared", "COUPLES_DATABASE_URL must name a PostgreSQL database"),
    ("postgres", "", "COUPLES_REDIS_URL must name a Redis server"),
], ids=["database-missing", "sqlite", "no-redis"])
def test_a_setup_that_cannot_start_is_reported_with_a_non_zero_exit(pg_url, redis_url, tmp_path, database, redis,
                                                                    reason):
    urls = {"missing": pg_url.rsplit("/", 1)[0] + "/couples_does_not_exist", "postgres": pg_url,
            "sqlite": f"sqlite:///{tmp_path}/one.sqlite3"}
    port = infra.free_port()
    env = {**os.environ, "COUPLES_DATABASE_URL": urls[database], "COUPLES_REDIS_URL": redis and redis_url,
           "COUPLES_SECRET_KEY": "scale-secret"}
    result = subprocess.run([part.format(port=port) for part in GUNICORN], cwd=infra.ROOT, env=env,
                            capture_output=True, text=True, timeout=90)
    assert result.returncode != 0
    assert reason in result.stderr + result.stdout
