"""Fixtures of the encryption and backup tests: every test runs on SQLite and on PostgreSQL, with a
key file of its own, and can write a world of private words (sealed_world.py)."""

from live.conftest import connect, couple, drive, pair, plan, session_id  # noqa: F401  (fixtures reused here)
from security.vault.sealed_world import app_config, database_url, world  # noqa: F401
