"""The hot path's statements run on the driver's cursor (``couples.prepared``) store exactly what
SQLAlchemy's own execution would, on SQLite and PostgreSQL, one row or several; a statement that
would leave SQLAlchemy a default to compute is refused; listeners still hear them; a driver
error is still SQLAlchemy's, without its parameters; on PostgreSQL a statement run alone is
committed alone, and a connection the database dropped is invalidated, not handed out again."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from builders import make_live_session
from sqlalchemy import bindparam, event, select, text
from sqlalchemy.exc import IntegrityError, OperationalError

from bench import infra
from couples import crypto, prepared
from couples.extensions import db
from couples.models import LiveSession, SessionEvent
from couples.models import StepResult
from couples.services import live, results

PLAN = infra.library_plan("everyday-connection")


@pytest.fixture(params=["sqlite", "postgres"])
def any_app(request):
    """The test app on SQLite, then on the module's PostgreSQL database."""
    return request.getfixturevalue("app" if request.param == "sqlite" else "pg_app")


def _record(session_id: int, user_id: int, **changes) -> dict:
    """One event log row's values, as ``live`` records an applied command."""
    return {"session_id": session_id, "user_id": user_id, "client_event_id": uuid.uuid4().hex, "type": "answer",
            "actor": "a", "step_id": None, "data": {"text": "private words", "n": 3}, "ack": {"ok": True, "version": 4},
            "at": 1764360000.25, **changes}


def _save(session_id: int, row: LiveSession, state: dict) -> dict:
    """:data:`live._SAVE`'s values: the next version of ``row``, still at its own."""
    return {"session_id": session_id, "expected_version": row.version, "new_state": crypto.seal_json(state),
            "new_version": row.version + 1, "new_status": "active",
            "now": datetime(2026, 11, 28, 21, 0, 0, 123456, tzinfo=UTC),
            "open_since": datetime.now(UTC) - timedelta(days=1), "seats_version": row.couple.seats_version}


def _stored(session_id: int, *client_ids: str) -> list[tuple]:
    """The rows as read back through the models (sealed columns opened)."""
    rows = db.session.scalars(select(SessionEvent).where(SessionEvent.session_id == session_id,
                                                         SessionEvent.client_event_id.in_(client_ids))
                              .order_by(SessionEvent.id)).all()
    return [(row.type, row.actor, row.step_id, row.data, row.ack, row.at) for row in rows]


def test_a_prepared_write_stores_what_sqlalchemy_would(any_app):
    with any_app.app_context():
        couple, session_id = make_live_session(PLAN)
        core, mine = _record(session_id, couple.partner_a_id), _record(session_id, couple.partner_a_id)
        connection = db.session.connection()
        connection.execute(live._RECORD, core)
        assert prepared.run(connection, live._RECORD, mine) == 1
        db.session.commit()
        assert _stored(session_id, core["client_event_id"]) == _stored(session_id, mine["client_event_id"])

        row = db.session.get(LiveSession, session_id)
        state, version = {"marker": "prepared", **row.state}, row.version
        assert prepared.run(db.session.connection(), live._SAVE, _save(session_id, row, state)) == 1
        db.session.commit()
        db.session.expire_all()
        saved = db.session.get(LiveSession, session_id)
        assert (saved.state, saved.version, saved.status) == (state, version + 1, "active")
        assert saved.updated_at.replace(tzinfo=UTC) == datetime(2026, 11, 28, 21, 0, 0, 123456, tzinfo=UTC)
        # the stored text compares as SQLAlchemy's own does (the save's WHERE compares timestamps)
        assert db.session.scalar(select(LiveSession.id).where(LiveSession.updated_at == saved.updated_at)) == session_id


def test_several_rows_are_upserted_as_the_orm_would(any_app):
    with any_app.app_context():
        couple, session_id = make_live_session(PLAN)
        ids = (couple.id, session_id)
        finished = datetime(2026, 11, 28, 21, 5, tzinfo=UTC)

        def rows(title: str) -> tuple[dict, ...]:
            return tuple({"session_id": ids[1], "couple_id": ids[0], "step_index": index, "step_id": f"s{index}",
                          "kind": "reflect", "title": title, "outcome": "finished", "facts": {"n": index},
                          "finished_at": finished} for index in range(3))

        results.Upsert(results._STEPS, results._STEP_KEY, True, rows("through the ORM")).run()
        db.session.commit()
        orm = db.session.scalars(select(StepResult).where(StepResult.session_id == session_id)
                                 .order_by(StepResult.step_index)).all()
        expected = [(row.step_id, row.facts, row.finished_at) for row in orm]
        again = results.Upsert(results._STEPS, results._STEP_KEY, True, rows("prepared"))
        connection = db.session.connection()
        prepared.run_each(connection, again.statement(connection.dialect.name), again.rows)
        db.session.commit()
        db.session.expire_all()
        stored = db.session.scalars(select(StepResult).where(StepResult.session_id == session_id)
                                    .order_by(StepResult.step_index)).all()
        assert [(row.step_id, row.facts, row.finished_at) for row in stored] == expected
        assert {row.title for row in stored} == {"prepared"}


def test_a_statement_leaving_sqlalchemy_a_default_to_compute_is_refused(app):
    with app.app_context(), pytest.raises(ValueError, match="every value"):
        statement = StepResult.__table__.insert().values(session_id=bindparam("session_id"))  # finished_at left to its default
        prepared.prepared(statement, db.engine.dialect)


def test_a_save_that_finds_the_session_moved_on_changes_nothing(any_app):
    with any_app.app_context():
        couple, session_id = make_live_session(PLAN)
        row = db.session.get(LiveSession, session_id)
        version = row.version
        stale = {**_save(session_id, row, {"marker": "stale"}), "expected_version": version - 1}
        assert prepared.run(db.session.connection(), live._SAVE, stale) == 0
        db.session.commit()
        db.session.expire_all()
        assert db.session.get(LiveSession, session_id).version == version


def test_a_repeated_key_is_sqlalchemys_integrity_error_without_its_parameters(any_app):
    with any_app.app_context():
        couple, session_id = make_live_session(PLAN)
        values = _record(session_id, couple.partner_a_id)
        connection = db.session.connection()
        prepared.run(connection, live._RECORD, values)
        db.session.commit()
        connection = db.session.connection()
        with pytest.raises(IntegrityError) as raised:
            prepared.run(connection, live._RECORD, values)
        assert "private words" not in str(raised.value) and "[parameters" not in str(raised.value)
        db.session.rollback()
        assert len(_stored(session_id, values["client_event_id"])) == 1  # the connection serves on


def test_listeners_hear_each_prepared_statement(any_app):
    heard: list[str] = []

    def listen(_connection, _cursor, statement, *_rest):
        heard.append(statement)

    with any_app.app_context():
        couple, session_id = make_live_session(PLAN)
        event.listen(db.engine, "before_cursor_execute", listen)
        try:
            prepared.run(db.session.connection(), live._RECORD, _record(session_id, couple.partner_a_id))
        finally:
            event.remove(db.engine, "before_cursor_execute", listen)
        db.session.rollback()
    assert len(heard) == 1 and heard[0].startswith("INSERT INTO session_events")


@pytest.mark.postgres
def test_run_autocommit_commits_alone_and_a_failure_writes_nothing(pg_app):
    with pg_app.app_context():
        couple, session_id = make_live_session(PLAN)
        values = _record(session_id, couple.partner_a_id)
        with db.engine.connect() as connection:
            assert prepared.run_autocommit(connection, live._RECORD, values) == 1
            connection.rollback()  # nothing of SQLAlchemy's to roll back: the row is committed
            assert connection.connection.dbapi_connection.autocommit is False
            with pytest.raises(IntegrityError):
                prepared.run_autocommit(connection, live._RECORD, {**values, "type": "other"})
            assert connection.connection.dbapi_connection.autocommit is False
            assert not connection.in_transaction()
        assert [row[0] for row in _stored(session_id, values["client_event_id"])] == ["answer"]


@pytest.mark.postgres
def test_a_connection_the_database_dropped_is_invalidated_and_the_pool_serves_on(pg_app):
    with pg_app.app_context():
        couple, session_id = make_live_session(PLAN)
        db.session.commit()
        with db.engine.connect() as connection:
            backend = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
            connection.rollback()
            with db.engine.connect() as other:
                other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
            with pytest.raises(OperationalError) as raised:
                prepared.run_autocommit(connection, live._RECORD, _record(session_id, couple.partner_a_id))
            assert raised.value.connection_invalidated and connection.invalidated
        with db.engine.connect() as fresh:
            assert fresh.execute(text("SELECT pg_backend_pid()")).scalar_one() != backend
            fresh.rollback()
            assert prepared.run_autocommit(fresh, live._RECORD, _record(session_id, couple.partner_a_id)) == 1
