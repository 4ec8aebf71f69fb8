"""Several ``wsgi.py`` processes sharing PostgreSQL and Redis, with real python-socketio partners."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
from alembic.script import ScriptDirectory
from servers import couple_driver
from sqlalchemy import create_engine, inspect, text

from bench import infra
from couples import MIGRATIONS
from couples.extensions import db
from couples.models import LiveSession, SessionEvent
from live.drive import complete_plan, complete_step

from servers import require

from .conftest import HEARTBEAT, ride_out_a_redis_outage, start_session

pytestmark = [pytest.mark.live, pytest.mark.postgres]
PLAN = infra.library_plan("short-check-in")  # read, check-in, timer, read, private answer, turns


def _head() -> str:
    from alembic.config import Config

    config = Config(str(MIGRATIONS / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()


def test_two_processes_upgrade_an_empty_postgres_database_to_head_together():
    """Both processes start at once on an empty database; the advisory lock lets one migrate."""
    require(infra.postgres_problem())
    name, url = infra.create_database("couples_test")
    servers = [infra.app_server(url) for _ in range(2)]
    try:
        threads = [threading.Thread(target=server.start) for server in servers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(90)
        assert all(server.process and server.process.poll() is None for server in servers), servers[0].log_tail()
        engine = create_engine(url)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == _head()
            tables = set(inspect(connection).get_table_names())
        engine.dispose()
        assert {"users", "couples", "invitations", "live_sessions", "session_events", "presence", "audit_log"} <= tables
    finally:
        for server in servers:
            server.stop()
        infra.drop_database(name)


@pytest.fixture
def split_couple(pg_app, cluster, couple, partner_client):
    """Partner A on one process, partner B on another, both following a new session of PLAN:
    ((first, second), session_id, {"a": client, "b": client})."""
    first, second = cluster(2)
    session_id = start_session(pg_app, couple, PLAN)
    clients = {"a": partner_client(first, couple.partner_a, session_id),
               "b": partner_client(second, couple.partner_b, session_id)}
    return (first, second), session_id, clients


@pytest.mark.redis
def test_partners_on_two_processes_complete_a_plan_seeing_each_other_at_every_step(split_couple):
    _, _, clients = split_couple
    send, view = couple_driver(clients)  # every accepted event waits until BOTH partners have its snapshot
    complete_plan(send, view)
    assert view("a")["status"] == view("b")["status"] == "completed"
    assert view("a")["version"] == view("b")["version"]


@pytest.mark.redis
def test_a_process_killed_mid_step_loses_nothing_when_its_partner_reconnects_to_the_other_process(
        pg_app, couple, partner_client, split_couple):
    (first, second), session_id, clients = split_couple
    send, view = couple_driver(clients)
    while view("a")["step"]["kind"] != "private_answer":
        complete_step(send, view)
    step_id = view("a")["step"]["id"]
    assert send("a", "answer", step_id, {"value": "words of a before the crash"})["ok"]  # mid-step: b has not answered

    first.kill()  # SIGKILL: A's process is gone; the proxy sends A's reconnect to the other process
    clients["a"].shutdown()
    clients["a"] = partner_client(second, couple.partner_a, session_id)

    assert view("a")["state"]["mine"] == "words of a before the crash"
    assert view("b")["state"]["answered"] == {"a": True, "b": False}
    assert send("b", "answer", step_id, {"value": "words of b after the crash"})["ok"]
    for role in "ab":
        assert send(role, "ready", step_id, {})["ok"]
    complete_plan(send, view)
    assert view("b")["status"] == "completed"
    with pg_app.app_context():
        row = db.session.get(LiveSession, session_id)
        assert row.status == "completed"
        answers = row.state["steps"][[step.id for step in PLAN.steps].index(step_id)]["answers"]
        assert "words of a before the crash" in str(answers["a"]) and set(answers) == {"a", "b"}
        db.session.remove()


@pytest.mark.redis
def test_live_updates_resume_by_themselves_after_redis_restarts(pg_app, cluster, couple, partner_client,
                                                                 private_redis, redis_channel):
    """Redis (this test's own redis-server) stops for a while and comes back. Events are applied
    throughout; updates the queue could not carry reach both partners by their heartbeats."""
    first, second = cluster(2, redis=private_redis.url, COUPLES_HEARTBEAT_SECONDS=str(HEARTBEAT))
    session_id = start_session(pg_app, couple, PLAN)
    clients = {"a": partner_client(first, couple.partner_a, session_id),
               "b": partner_client(second, couple.partner_b, session_id)}
    ride_out_a_redis_outage(clients, private_redis, redis_channel)


@pytest.mark.redis
def test_simultaneous_events_from_both_partners_on_two_processes_both_count(pg_app, split_couple):
    _, session_id, clients = split_couple
    _, view = couple_driver(clients)
    rounds = 0
    while view("a")["step"]["kind"] in ("read", "check_in", "timer", "private_answer"):
        step = view("a")["step"]
        for type_, data in _moves(step):
            barrier, acks = threading.Barrier(2), {}

            def fire(role: str) -> None:  # joined below, within this iteration: the loop variables hold
                barrier.wait(5)  # noqa: B023
                acks[role] = clients[role].act(type_, step["id"], data(role))  # noqa: B023

            threads = [threading.Thread(target=fire, args=(role,)) for role in "ab"]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(15)
            assert acks["a"]["ok"] and acks["b"]["ok"], acks
            assert acks["a"]["version"] != acks["b"]["version"], "two writers produced the same version"
            for client in clients.values():
                client.wait_for_version(max(acks["a"]["version"], acks["b"]["version"]))
        rounds += 1
        assert view("a")["step"]["id"] != step["id"], "a simultaneous 'ready' was lost"
    assert rounds >= 4
    with pg_app.app_context():
        counted = db.session.query(SessionEvent).filter_by(session_id=session_id, type="ready").count()
        db.session.remove()
    assert counted == 2 * rounds


def _moves(step: dict):
    if step["kind"] == "check_in":
        yield "answer", lambda role: {"answers": {q["id"]: q["options"][0]["id"] for q in step["questions"]}}
    elif step["kind"] == "private_answer":
        yield "answer", lambda role: {"value": f"private words of {role}"}
    yield "ready", lambda role: {}


@pytest.mark.parametrize("wait_func, stalls", [("wait_select", False), ("wait_c", True)])
def test_a_slow_query_stalls_other_clients_only_without_the_select_wait_function(
        pg_app, pg_url, couple, partner_client, wait_func, stalls):
    """One couple's event waits 2 s on a row lock held elsewhere (a slow query); another couple's
    events must go on meanwhile. With psycopg's default C wait (what it picks under eventlet) the whole
    process stops: that is why wsgi.py sets PSYCOPG_WAIT_FUNC=wait_select."""
    from builders import make_counselor, make_couple

    server = infra.app_server(pg_url, secret="scale-secret",
                              extra_env={"PSYCOPG_WAIT_FUNC": wait_func, "COUPLES_ALLOWED_ORIGINS": "http://couples.test"})
    server.start()
    try:
        with pg_app.app_context():
            other = make_couple(make_counselor())
        slow_session, fast_session = start_session(pg_app, couple, PLAN), start_session(pg_app, other, PLAN)
        slow = partner_client(server, couple.partner_a, slow_session)
        fast = partner_client(server, other.partner_a, fast_session)
        dsn = pg_url.replace("postgresql+psycopg://", "postgresql://")
        locked = threading.Event()

        def hold_the_row(seconds: float = 2.0) -> None:  # the "slow query": a row lock held elsewhere
            with psycopg.connect(dsn) as locker:
                locker.execute("SELECT id FROM live_sessions WHERE id = %s FOR UPDATE", (slow_session,))
                locked.set()
                time.sleep(seconds)
                locker.rollback()

        holder = threading.Thread(target=hold_the_row)
        holder.start()
        assert locked.wait(10)
        blocked = threading.Thread(target=slow.act, args=("ready", PLAN.steps[0].id, {}))
        blocked.start()
        time.sleep(0.3)  # the slow event is now waiting inside the server
        started = time.monotonic()
        ack = fast.act("ready", PLAN.steps[0].id, {})
        elapsed = time.monotonic() - started
        holder.join(15)
        blocked.join(15)
        assert ack["ok"], ack
        if stalls:
            assert elapsed > 1.0, f"expected the whole process to stall, the other couple waited {elapsed:.3f} s"
        else:
            assert elapsed < 0.5, f"another couple waited {elapsed:.3f} s behind a slow query"
    finally:
        server.stop()
