"""Fixtures of the encryption and backup tests (helper "vault"): the live session fixtures, and a
private world written on each kind of database (tests/security/sealed_world.py)."""

from live.conftest import connect, couple, drive, pair, plan, session_id  # noqa: F401  (fixtures reused here)
from security.sealed_world import app_config, database_url, world  # noqa: F401
