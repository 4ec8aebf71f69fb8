"""Two processes share each committed state over Redis (couples/realtime/shared_states.py): the
process holding the other partner's socket decides that partner's next event on it, so an event is
one statement there as on one process, instead of a write that finds the session moved on, a lock
and a read, and the write again. Real processes, real Redis and PostgreSQL, real socket clients."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from servers import couple_driver
from sqlalchemy import func, select

from bench import infra
from couples.extensions import db
from couples.models import SessionEvent
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


def test_partners_on_two_processes_decide_on_each_others_shared_states_in_one_statement_per_event(
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

