"""Crash safety: the server is killed (SIGKILL) during a burst of events from many couples and started
again: every acknowledged event is stored, no session is half-updated (its state is at the version of
the last event its log records), and the couples carry on."""

from __future__ import annotations

import gc

import pytest
from security.vault.talks import acknowledged, start_talks, stored_events, wait_for_acks
from servers import live_server
from sqlalchemy import func, select

from couples.extensions import db
from couples.models import LiveSession, SessionEvent

COUPLES = 6
# The killed server drops every connection; websocket-client leaves those sockets to the garbage
# collector, which may close them during a later test (as in tests/live/test_live_server.py).
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


def test_a_server_killed_during_a_burst_keeps_every_acknowledged_event_and_the_couples_carry_on(app):
    server = live_server(app.config["SQLALCHEMY_DATABASE_URI"],
                         extra_env={"COUPLES_KEY_FILE": app.config["ENCRYPTION_KEY_FILE"]}).start()
    talks = []
    try:
        talks, sessions = start_talks(app, server, COUPLES)
        for talk in talks:
            talk.start()
        wait_for_acks(talks, 12 * COUPLES)

        server.kill()
        for talk in talks:
            talk.join(60)  # each stops at its first failed event
        sent = acknowledged(talks)
        stored = stored_events(app, sessions)
        versions = stored_versions(app, sessions)
        server.start()
        for talk in talks:
            for client in talk.clients.values():
                assert client.joined.wait(20), "a partner did not rejoin after the restart"
        carried_on = [talk.clients["a"].act("pause", None, {})["ok"] for talk in talks]
    finally:
        for talk in talks:
            talk.close()
        server.stop()
        gc.collect()  # the dropped sockets are closed now, under this module's warning filter

    assert [talk.is_alive() for talk in talks] == [False] * COUPLES
    assert all(talk.error for talk in talks)  # the kill came in the middle of the burst
    assert {event_id: stored.get(event_id) for event_id in sent} == sent
    assert [state == logged for state, logged in versions] == [True] * COUPLES, versions
    assert carried_on == [True] * COUPLES


def stored_versions(app, sessions: list[int]) -> list[tuple[int, int]]:
    """(the session row's version, the highest version its event log acknowledged), per session."""
    with app.app_context():
        pairs = []
        for session_id in sessions:
            acks = db.session.scalars(select(SessionEvent.ack).where(SessionEvent.session_id == session_id)).all()
            pairs.append((db.session.get(LiveSession, session_id).version, max(ack["version"] for ack in acks)))
        assert db.session.scalar(select(func.count()).select_from(SessionEvent)) >= len(sessions)
        return pairs
