"""Two processes share each committed change over Redis (couples/realtime/shared_changes.py): the
process holding the other partner's socket decides that partner's next event on the shared state,
so an event is one statement there as on one process, instead of a write that finds the session
moved on, a lock and a read, and the write again. A change is one message, sent only when a socket
of the session may be on the other process. Real processes, real Redis and PostgreSQL, real socket
clients."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
import redis
from servers import couple_driver
from sqlalchemy import func, select

from bench import infra
from couples import crypto
from couples.extensions import db
from couples.models import SessionEvent, User
from couples.realtime import NAMESPACE
from couples.realtime.shared_changes import NAMESPACE as CHANGES
from live.drive import complete_plan, complete_step

from .conftest import PUBLIC_ORIGIN, start_session

pytestmark = [pytest.mark.live, pytest.mark.postgres, pytest.mark.redis]
PLAN = infra.library_plan("everyday-connection")
STATS_EVERY = 1.0  # seconds: how often bench/serve.py writes its counts


@pytest.fixture
def counted_pair(pg_url, redis_url, redis_channel, pg_app):
    """Two processes on one database and channel, each counting its SQL statements: [(server, stats file)]."""
    env = {"COUPLES_ALLOWED_ORIGINS": PUBLIC_ORIGIN, "COUPLES_REDIS_CHANNEL": redis_channel}
    pair = []
    for index in range(2):
        stats = Path(pg_app.instance_path).parent / f"shared-states-{redis_channel}-{index}.json"
        pair.append((infra.app_server(pg_url, redis=redis_url, secret="scale-secret", stats_file=str(stats),
                                      extra_env=env), stats))
    try:
        yield [(server.start(), stats) for server, stats in pair]
    finally:
        for server, stats in pair:
            server.stop()
            stats.unlink(missing_ok=True)


def statements_run(pair) -> int:
    """SQL statements both processes ran so far (their counts are written every STATS_EVERY)."""
    time.sleep(STATS_EVERY * 1.5)
    return sum(json.loads(stats.read_text())["statements"] for _server, stats in pair)


def events_stored(app, session_id: int) -> int:
    with app.app_context():
        stored = db.session.scalar(select(func.count()).where(SessionEvent.session_id == session_id))
        db.session.remove()
        return stored


def test_partners_on_two_processes_decide_on_each_others_shared_changes_in_one_statement_per_event(
        pg_app, couple, partner_client, counted_pair):
    (first, _), (second, _) = counted_pair
    session_id = start_session(pg_app, couple, PLAN)
    clients = {"a": partner_client(first, couple.partner_a, session_id),
               "b": partner_client(second, couple.partner_b, session_id)}
    send, view = couple_driver(clients)  # each event waits until both partners have its snapshot
    complete_step(send, view)  # each process has read the session once
    statements, events = statements_run(counted_pair), events_stored(pg_app, session_id)

    complete_plan(send, view)

    events = events_stored(pg_app, session_id) - events
    assert view("a")["status"] == view("b")["status"] == "completed" and events > 40
    assert statements_run(counted_pair) - statements == events  # each one statement, on either process



@pytest.fixture
def queued(redis_url, redis_channel):
    """Every message the processes publish on the test's channel from now on, decoded, in order."""
    listener = redis.Redis.from_url(redis_url).pubsub(ignore_subscribe_messages=True)
    listener.subscribe(redis_channel)
    heard: list[dict] = []
    stop = threading.Event()

    def listen():
        while not stop.is_set():
            message = listener.get_message(timeout=0.1)
            if message is not None:
                heard.append(json.loads(message["data"]))

    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    yield heard
    stop.set()
    thread.join()
    listener.close()


def session_messages(heard: list[dict], session_id: int) -> list[dict]:
    """The messages about one session: its changes, and emits to its viewers' rooms."""
    def about(message):
        if message.get("namespace") == CHANGES:
            return message["data"][0][0] == session_id
        return str(message.get("room", "")).startswith(f"live:{session_id}:")
    return [message for message in heard if about(message)]


def test_a_change_is_one_message_with_the_sealed_event_and_only_the_other_processes_viewers_snapshots(
        pg_app, couple, partner_client, counted_pair, queued):
    (first, _), (second, _) = counted_pair
    session_id = start_session(pg_app, couple, PLAN)
    clients = {"a": partner_client(first, couple.partner_a, session_id),
               "b": partner_client(second, couple.partner_b, session_id)}
    send, view = couple_driver(clients)
    time.sleep(0.5)
    queued.clear()  # the joins' presence frames

    step_id = view("a")["step"]["id"]
    ack = send("a", "ready", step_id, {})
    time.sleep(0.5)

    assert ack["ok"]
    [change] = session_messages(queued, session_id)
    shared_id, (decided_on, version, digest, sealed), emits = change["data"][0]
    assert (shared_id, decided_on, version) == (session_id, ack["version"] - 1, ack["version"])
    assert sealed.startswith("enc") and len(digest) == 32  # the event crosses sealed: it may hold private words
    with pg_app.app_context():
        assert crypto.open_json(sealed)[:4] == ["a", "ready", step_id, {}]
    assert [(emit["namespace"], emit["room"], emit["event"]) for emit in emits] == [
        (NAMESPACE, f"live:{session_id}:b", "snapshot")]  # a's process sent a's snapshot itself
    assert emits[0]["data"][0]["version"] == ack["version"] == view("b")["version"]


def test_partners_on_one_of_two_processes_queue_nothing_for_their_events(
        pg_app, couple, partner_client, counted_pair, queued):
    (first, _), _second = counted_pair
    session_id = start_session(pg_app, couple, PLAN)
    clients = {role: partner_client(first, partner, session_id)
               for role, partner in (("a", couple.partner_a), ("b", couple.partner_b))}
    send, view = couple_driver(clients)  # each event waits until both partners have its snapshot
    time.sleep(0.5)
    queued.clear()

    complete_step(send, view)
    time.sleep(0.5)

    assert view("a")["version"] == view("b")["version"] > 2
    assert session_messages(queued, session_id) == []


def test_a_counselor_joining_on_the_other_process_gets_the_next_change_of_partners_on_one_process(
        pg_app, couple, partner_client, counted_pair):
    """The process holding both partners queues nothing for their events, until the counselor joins on
    the other process: the join is on the presence board before it reads the state, so the next event
    finds a viewer elsewhere and reaches the counselor at once, not at a heartbeat."""
    (first, _), (second, _) = counted_pair
    session_id = start_session(pg_app, couple, PLAN)
    clients = {role: partner_client(first, partner, session_id)
               for role, partner in (("a", couple.partner_a), ("b", couple.partner_b))}
    send, view = couple_driver(clients)
    complete_step(send, view)
    with pg_app.app_context():
        counselor = db.session.get(User, couple.counselor_id)
        db.session.remove()
    desk = partner_client(second, counselor, session_id)
    assert desk.latest["version"] == view("a")["version"] and desk.heartbeat_seconds >= 10

    ack = send("a", "pause", None, {})

    assert ack["ok"], ack
    desk.wait_for_version(ack["version"], timeout=3)
    assert desk.rejoins == 0  # the snapshot came with the event, not from a heartbeat's catching up
