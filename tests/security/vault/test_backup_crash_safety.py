"""Crash safety: the server is killed (SIGKILL) during a burst of events from many couples and started
again: every acknowledged event is stored, no session is half-updated (its state is at the version of
the last event its log records), and the couples carry on."""

from __future__ import annotations


import pytest
from security.vault.talks import acknowledged, half_updated, stored_events, talking


COUPLES = 6
# The killed server drops every connection; websocket-client leaves those sockets to the garbage
# collector, which may close them during a later test (as in tests/live/test_live_server.py).
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


def test_a_server_killed_during_a_burst_keeps_every_acknowledged_event_and_the_couples_carry_on(app):
    with talking(app, COUPLES, first_acks=12 * COUPLES) as (server, talks, sessions):
        server.kill()
        for talk in talks:
            talk.join(60)  # each stops at its first failed event
        sent = acknowledged(talks)
        stored = stored_events(app, sessions)
        broken = half_updated(app, sessions)
        server.start()
        for talk in talks:
            for client in talk.clients.values():
                assert client.joined.wait(20), "a partner did not rejoin after the restart"
        carried_on = [talk.clients["a"].act("pause", None, {})["ok"] for talk in talks]

    assert all(talk.error for talk in talks)  # the kill came in the middle of the burst
    assert {event_id: stored.get(event_id) for event_id in sent} == sent
    assert broken == []
    assert carried_on == [True] * COUPLES
