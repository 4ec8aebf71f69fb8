"""Creating and upgrading the database schema."""

from __future__ import annotations

from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import text

from .extensions import db

# Any fixed number: several processes starting at once take turns upgrading.
_UPGRADE_LOCK_ID = 4_217_001


def upgrade_database(app: Flask) -> None:
    """Bring the schema to the newest migration (creates it on an empty database)."""
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as connection:
                connection.execute(text("SELECT pg_advisory_lock(:id)"), {"id": _UPGRADE_LOCK_ID})
                try:
                    upgrade()
                finally:
                    connection.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": _UPGRADE_LOCK_ID})
                    connection.commit()
        else:
            upgrade()
