"""``flask --app couples rotate-key`` re-encrypts everything under a new key while a real server keeps
serving couples who send events the whole time: every acknowledged event is stored and readable,
and afterwards the database holds values under the new key only, the old key gone from the file."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from security.vault.talks import acknowledged, finish, stored_events, talking

from couples.crypto import read_key_file
from couples.extensions import db
from couples.models import LiveSession
from couples.vault import encrypted_columns, key_usage

COUPLES = 3
ROOT = Path(__file__).resolve().parents[3]


def rotate(app) -> tuple[subprocess.CompletedProcess, float, float]:
    """Run the real command in its own process, as an operator would; returns it with its start and end."""
    env = {**os.environ, "COUPLES_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "COUPLES_KEY_FILE": app.config["ENCRYPTION_KEY_FILE"], "COUPLES_ASYNC_MODE": "threading",
           "COUPLES_SECRET_KEY": "rotation-test"}
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "couples", "rotate-key", "--grace", "1"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    return result, started, time.monotonic()


def key_ids(app) -> set[str]:
    return {key.id for key in read_key_file(Path(app.config["ENCRYPTION_KEY_FILE"]))}


def test_rotating_the_key_while_couples_send_events_loses_nothing(app):
    old_keys = key_ids(app)
    with talking(app, COUPLES, first_acks=10 * COUPLES) as (_, talks, sessions):
        result, started, ended = rotate(app)

        while any(talk.is_alive() and not talk.acked_since(ended) for talk in talks):
            time.sleep(0.05)
        finish(talks)

    assert result.returncode == 0, result.stderr
    assert [talk.error for talk in talks] == [None] * COUPLES
    during = sum(talk.acked_since(started) - talk.acked_since(ended) for talk in talks)
    assert during > 0 and all(talk.acked_since(ended) for talk in talks)  # under load, and served on after it
    new_keys = key_ids(app)
    assert len(new_keys) == 1 and not new_keys & old_keys  # the old key is retired
    assert f"New key {next(iter(new_keys))}" in result.stdout
    sent = acknowledged(talks)
    assert {event_id: stored_events(app, sessions).get(event_id) for event_id in sent} == sent
    with app.app_context():
        assert [db.session.get(LiveSession, sid).state["status"] for sid in sessions] == ["completed"] * COUPLES
        with db.engine.connect() as connection:
            assert set(key_usage(connection, encrypted_columns(db.metadata))) == new_keys
