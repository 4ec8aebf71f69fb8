"""The migrations build the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from couples.extensions import db


def test_migrations_upgrade_an_empty_database_to_head(app):
    with app.app_context():
        tables = set(inspect(db.engine).get_table_names())
        with db.engine.connect() as connection:
            revision = MigrationContext.configure(connection).get_current_revision()

    assert {"users", "couples", "invitations", "audit_log", "live_sessions", "alembic_version"} <= tables
    assert revision is not None


def test_the_migrated_schema_matches_the_models(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)

    assert differences == []
