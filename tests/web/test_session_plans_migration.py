"""Migration 0016 moves each session's plan into a table of its own and back, losing none, on SQLite
and on PostgreSQL."""

from __future__ import annotations

import json

from builders import DEFAULT_RATINGS, make_results
from flask_migrate import downgrade
from live.conftest import couple  # noqa: F401  (a fixture)
from security.vault.sealed_world import app_config, database_url  # noqa: F401  (both kinds of database)
from sqlalchemy import inspect, select, text

from couples.database import upgrade_database
from couples.extensions import db
from couples.models import LiveSession


def test_each_session_keeps_its_plan_through_the_migration_down_and_up(app, couple):  # noqa: F811
    with app.app_context():
        make_results(couple)
        make_results(couple, ratings={"terse": DEFAULT_RATINGS["terse"]}, days_ago=1)
        db.session.commit()
        plans = dict(db.session.execute(select(LiveSession.id, LiveSession.plan)).all())
        db.session.remove()  # its read lock would keep PostgreSQL's ALTER TABLE waiting
        downgrade(revision="0015_invitation_language")
        with db.engine.connect() as connection:
            in_the_row = dict(connection.execute(text('SELECT id, "plan" FROM live_sessions')).all())
            tables = set(inspect(connection).get_table_names())

    assert len(plans) >= 2
    assert "live_session_plans" not in tables
    assert {session_id: _decoded(plan) for session_id, plan in in_the_row.items()} == plans

    upgrade_database(app)

    with app.app_context():
        assert dict(db.session.execute(select(LiveSession.id, LiveSession.plan)).all()) == plans
        with db.engine.connect() as connection:
            assert "plan" not in {column["name"] for column in inspect(connection).get_columns("live_sessions")}


def _decoded(stored):
    """A JSON column read with plain SQL: text on SQLite, already a value on PostgreSQL."""
    return json.loads(stored) if isinstance(stored, str) else stored
