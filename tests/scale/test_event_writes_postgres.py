"""On PostgreSQL an event is written in one statement, a transaction of its own: the state, the
event's record and a finished step's results together or not at all. Two apps on one database stand for two
processes, each with its own memo, so that one of them decides on a state the other moved on (or
on a state the other shared late, as the message queue would hand it over)."""

from __future__ import annotations

import contextlib
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from builders import make_live_session
from sqlalchemy import event, func, select, text

from bench import infra
from bench.infra import event_script
from couples.domain import Event, SessionState, StepFinished, apply, start
from couples.domain.results import step_facts
from couples import create_app, crypto, fastjson
from couples.extensions import db
from couples.models import LiveSession, SessionEvent
from couples.services import live, results

pytestmark = [pytest.mark.live, pytest.mark.postgres]
PLAN = infra.library_plan("everyday-connection")
SCRIPT = event_script(PLAN)


@pytest.fixture(scope="module")
def second_app(pg_url, pg_app):
    """Another app on the same database: another process's memo."""
    app = infra.make_app(pg_url, secret="scale-secret")
    yield app
    with app.app_context():
        db.engine.dispose()


class Ran(list):
    """Statements run, and (``alone``) whether each ran as a transaction of its own."""

    def __init__(self) -> None:
        super().__init__()
        self.alone: list[bool] = []


@contextlib.contextmanager
def statements_of(app):
    """The statements the app's engine runs meanwhile (BEGIN and COMMIT are not statements here);
    ``alone`` says for each whether it ran as a transaction of its own (autocommit)."""
    ran = Ran()

    def count(conn, _cursor, statement, *_args):
        ran.append(statement)
        ran.alone.append(conn.connection.driver_connection.autocommit)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield ran
    finally:
        event.remove(engine, "before_cursor_execute", count)


def send(app, user_id: int, session_id: int, step: tuple, command_id: str | None = None) -> live.Outcome:
    """One scripted event, handled as a Socket.IO message is: in an app context of its own."""
    _role, type_, step_id, data = step
    with app.app_context():
        return live.handle_event(user_id, live.LiveCommand(command_id or uuid.uuid4().hex, session_id, type_,
                                                           step_id, data))


def stored(app, session_id: int) -> tuple[int, int]:
    """The session's stored version and how many events it recorded."""
    with app.app_context():
        version = db.session.get(LiveSession, session_id).version
        events = db.session.scalar(select(func.count()).where(SessionEvent.session_id == session_id))
        db.session.remove()
        return version, events


def steps_written(app, session_id: int) -> int:
    """How many step results the session has."""
    with app.app_context():
        written = len(results.facts_for_session(session_id))
        db.session.remove()
        return written


@pytest.fixture
def session(pg_app):
    with pg_app.app_context():
        couple, session_id = make_live_session(PLAN)
        return {"a": couple.partner_a_id, "b": couple.partner_b_id}, session_id


def steps_finished_in_script() -> list[bool]:
    """Whether each scripted event finishes a step, by the pure domain."""
    state, found = start(PLAN, 0.0), []
    for role, type_, step_id, data in SCRIPT:
        result = apply(PLAN, state, Event(role, type_, step_id, data, 1.0))
        found.append(any(isinstance(effect, StepFinished) for effect in result.effects))
        state = result.state
    return found


def test_every_event_is_one_statement_with_its_step_results_and_the_whole_plan_is_stored(pg_app, session):
    users, session_id = session
    finishes = steps_finished_in_script()
    for index, step in enumerate(SCRIPT):
        with statements_of(pg_app) as ran:
            assert isinstance(send(pg_app, users[step[0]], session_id, step), live.Applied), step
        if index < 2:
            continue  # a new memo locks and reads the row until a read finds it current
        assert len(ran) == 1 and ran[0].startswith("WITH saved AS") and ran.alone == [True], ran
        assert ("INSERT INTO step_results" in ran[0]) == finishes[index], ran

    assert 0 < sum(finishes) < len(SCRIPT)
    with pg_app.app_context():
        assert db.engine.pool.checkedout() == 0  # every event gave its connection back
        assert db.session.get(LiveSession, session_id).status == "completed"
        with db.engine.connect() as connection:  # back in transactions: a later statement is not committed alone
            assert connection.connection.driver_connection.autocommit is False
        db.session.remove()
    assert stored(pg_app, session_id)[1] == len(SCRIPT)
    with pg_app.app_context():
        state = SessionState.from_dict(db.session.get(LiveSession, session_id).state)
        written = [(row.step_index, row.outcome, row.facts) for row in results.facts_for_session(session_id)]
        db.session.remove()
    assert written == [(index, "finished", step_facts(PLAN, state, index)) for index in range(len(PLAN.steps))]


def test_a_repeated_id_writes_nothing_even_where_its_new_content_would_finish_a_step(pg_app, session):
    users, session_id = session
    finishes = steps_finished_in_script()
    j = next(j for j in range(3, len(SCRIPT)) if finishes[j])
    role = SCRIPT[j][0]
    k = next(k for k in range(2, j) if SCRIPT[k][0] == role)
    for step in SCRIPT[:k]:
        send(pg_app, users[step[0]], session_id, step)
    first = send(pg_app, users[role], session_id, SCRIPT[k], command_id="the-same-id")
    for step in SCRIPT[k + 1:j]:
        send(pg_app, users[step[0]], session_id, step)
    before = stored(pg_app, session_id), steps_written(pg_app, session_id)

    with statements_of(pg_app) as ran:  # the partner's next event, under the id they used before
        again = send(pg_app, users[role], session_id, SCRIPT[j], command_id="the-same-id")

    assert ran[0].startswith("WITH saved AS") and "INSERT INTO step_results" in ran[0]  # refused by the unique key
    assert again == live.Repeated(first)
    assert (stored(pg_app, session_id), steps_written(pg_app, session_id)) == before  # no step result either
    assert isinstance(send(pg_app, users[role], session_id, SCRIPT[j]), live.Applied)


def test_an_event_decided_on_a_state_another_process_moved_on_is_judged_again_and_counts_once(
        pg_app, second_app, session):
    users, session_id = session
    finishes = steps_finished_in_script()
    k = next(k for k in range(3, len(SCRIPT)) if finishes[k])
    for step in SCRIPT[:k - 1]:  # this process remembers the session's state
        send(pg_app, users[step[0]], session_id, step)
    send(second_app, users[SCRIPT[k - 1][0]], session_id, SCRIPT[k - 1])  # the other moves it on

    with statements_of(pg_app) as ran:
        outcome = send(pg_app, users[SCRIPT[k][0]], session_id, SCRIPT[k])

    assert isinstance(outcome, live.Applied)
    assert ran[0].startswith("WITH saved AS")  # decided on the remembered state: found it outdated
    assert any(statement.startswith("UPDATE live_sessions SET version") for statement in ran[1:])  # locked, read
    assert ran.alone == [True] + [False] * (len(ran) - 1)  # and written in a transaction again
    assert stored(pg_app, session_id) == (outcome.version, k + 1)
    assert steps_written(pg_app, session_id) == sum(finishes[:k + 1])  # its step's result once


def shared_change(app, session_id: int, version: int) -> list:
    """The change that led the session to ``version``, as the process that committed it shares it
    (``live._hint``), rebuilt from what the database holds: the event's record and the new state."""
    with app.app_context():
        found = db.session.scalars(select(SessionEvent).where(SessionEvent.session_id == session_id)).all()
        [record] = [row for row in found if row.ack.get("version") == version]
        state = db.session.execute(text("SELECT state FROM live_sessions WHERE id = :id"), {"id": session_id}).scalar_one()
        assert db.session.get(LiveSession, session_id).version == version
        event_ = [record.actor, record.type, record.step_id, record.data, record.at]
        change = [version - 1, version, live._digest(fastjson.dumps_bytes(crypto.open_json(state))),
                  crypto.seal_json(event_)]
        db.session.remove()
        return change


def test_a_shared_change_decides_an_event_only_when_it_follows_on_and_leads_to_its_digest(
        pg_app, second_app, session):
    """In process: ``second_app`` stands for the other process, and changes reach this one's memo as
    the message queue's listener hands them over (``live._keep_shared``)."""
    users, session_id = session
    for step in SCRIPT[:3]:
        send(pg_app, users[step[0]], session_id, step)

    def second_moves_on(step: tuple) -> list:
        outcome = send(second_app, users[step[0]], session_id, step)
        return shared_change(pg_app, session_id, outcome.version)

    def next_event_here(step: tuple) -> tuple[live.Outcome, Ran]:
        with statements_of(pg_app) as ran:
            outcome = send(pg_app, users[step[0]], session_id, step)
        assert isinstance(outcome, live.Applied)
        return outcome, ran

    followed = second_moves_on(SCRIPT[3])
    live._keep_shared(pg_app, session_id, followed)
    assert len(next_event_here(SCRIPT[4])[1]) == 1  # decided on the change it followed: one statement

    unreadable = second_moves_on(SCRIPT[5])
    live._keep_shared(pg_app, session_id, [*unreadable[:3], "enc1:gone:AAAA"])
    after_it = second_moves_on(SCRIPT[6])
    live._keep_shared(pg_app, session_id, after_it)  # follows on from the one that could not be read
    outcome, ran = next_event_here(SCRIPT[7])
    assert any(statement.startswith("UPDATE live_sessions SET version") for statement in ran)  # locked, read
    assert stored(pg_app, session_id) == (outcome.version, 8)

    misleading = second_moves_on(SCRIPT[8])
    live._keep_shared(pg_app, session_id, [*misleading[:2], "0" * 32, misleading[3]])  # not its digest
    outcome, ran = next_event_here(SCRIPT[9])
    assert any(statement.startswith("UPDATE live_sessions SET version") for statement in ran)
    assert stored(pg_app, session_id) == (outcome.version, 10)

    second_moves_on(SCRIPT[10])
    live._keep_shared(pg_app, session_id, second_moves_on(SCRIPT[11]))  # the change before it never came
    outcome, ran = next_event_here(SCRIPT[12])
    assert any(statement.startswith("UPDATE live_sessions SET version") for statement in ran)
    assert stored(pg_app, session_id) == (outcome.version, 13)


@pytest.mark.parametrize("pool", [3, 12])
def test_a_burst_of_events_waits_for_the_pools_connections_instead_of_opening_and_closing_more(
        pg_url, monkeypatch, pool):
    """Eight events waiting for the database at once, twice. The pool never opens more than its
    size: with three, the others wait for one to be given back (SQLAlchemy's default opened up
    to ten more and closed each after one use, every one a new PostgreSQL backend); with the pool
    a busy process needs, the eight opened by the first burst serve the second."""
    monkeypatch.setenv("COUPLES_DATABASE_POOL", str(pool))
    app = create_app({"SQLALCHEMY_DATABASE_URI": pg_url, "SECRET_KEY": "x", "ASYNC_MODE": "threading"})
    opened = []
    with app.app_context():
        engine = db.engine
    event.listen(engine, "connect", lambda *_args: opened.append(1))

    def one_event(_index: int) -> int:
        with engine.connect() as connection:
            return connection.exec_driver_sql("SELECT 1 FROM pg_sleep(0.05)").scalar_one()

    with ThreadPoolExecutor(max_workers=8) as events:
        for _burst in range(2):
            assert list(events.map(one_event, range(8))) == [1] * 8
    engine.dispose()

    assert engine.pool.size() == pool
    assert len(opened) == min(pool, 8)
